// Package configs embeds rebond's default configuration (rebond.yaml), its
// built-in rule sets (rules/*.yaml) and its mailbox-provider table
// (providers.yaml), so a bare binary runs with sane defaults and every rule
// it applies is visible as data in the repository.
package configs

import "embed"

// Files holds rebond.yaml, providers.yaml and rules/*.yaml as shipped with
// this build.
//
//go:embed rebond.yaml providers.yaml rules/*.yaml
var Files embed.FS
