package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newClassifyEmailCmd is a placeholder until the email channel lands.
func newClassifyEmailCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "email PATH...",
		Short: "Classify bounce mails (not available yet)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("classify email: not available yet") },
	}
}
