package main

import "github.com/spf13/cobra"

func newClassifyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "classify",
		Short: "Classify bounce mails or SMS receipts offline, without any server",
	}
	cmd.AddCommand(newClassifyEmailCmd(g), newClassifySMSCmd(g))
	return cmd
}
