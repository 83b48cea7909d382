package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/fingerprint"
)

func newRulesCommand(_ *globalFlags) *cobra.Command {
	rules := &cobra.Command{Use: "rules", Short: "Work with fingerprint rule files"}
	rules.AddCommand(&cobra.Command{
		Use:   "verify FILE...",
		Short: "Check rule files: every example matches and yields its values, ids are unique, no rule shadows another",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			problems := 0
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					return withCode(exitError, err)
				}
				for _, e := range fingerprint.Verify(f, data) {
					problems++
					fmt.Fprintln(cmd.OutOrStdout(), e)
				}
			}
			if problems > 0 {
				return withCode(exitError, fmt.Errorf("%d problem(s) in %d file(s)", problems, len(files)))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d file(s) verified\n", len(files))
			return nil
		},
	})
	return rules
}
