package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/fingerprint"
)

func newOUICommand() *cobra.Command {
	return &cobra.Command{
		Use:     "oui MAC...",
		Short:   "Name the organisation the IEEE registry gives a MAC address block",
		Example: "  camsweep oui 44:19:b6:01:02:03 3c:ef:8c:00:00:01",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, macs []string) error {
			unknown := 0
			for _, mac := range macs {
				org, ok := fingerprint.LookupOUI(mac)
				if !ok {
					unknown++
					org = "(not in the IEEE registry, or not a MAC address)"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", mac, org)
			}
			if unknown > 0 {
				return withCode(exitError, fmt.Errorf("%d of %d addresses not found", unknown, len(macs)))
			}
			return nil
		},
	}
}
