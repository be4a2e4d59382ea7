package main

import (
	"fmt"
	"os"

	"github.com/rebond/rebond/channels/providers"
)

// providerTable is the mailbox-provider table: the file of providers_file
// when set, the one shipped in configs/providers.yaml otherwise.
func providerTable(cfg Config) (*providers.Table, error) {
	if cfg.ProvidersFile == "" {
		return providers.Default()
	}
	b, err := os.ReadFile(cfg.ProvidersFile)
	if err != nil {
		return nil, fmt.Errorf("providers_file: %w", err)
	}
	t, err := providers.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("providers_file %s: %w", cfg.ProvidersFile, err)
	}
	return t, nil
}
