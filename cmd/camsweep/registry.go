package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/inventory"
)

func newRegistryCommand(_ *globalFlags) *cobra.Command {
	var mapping, sheet, policy, site string
	check := &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate registry files (CSV, JSON, YAML, .xlsx) and report every problem, with its line and column or cell",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var pol *inventory.Policy
			if policy != "" {
				p, err := inventory.LoadPolicy(policy)
				if err != nil {
					return withCode(exitError, err)
				}
				pol = p
			}
			reg, errs, err := loadRegistries(files, mapping, sheet)
			if err != nil {
				return withCode(exitError, err)
			}
			out := cmd.OutOrStdout()
			for _, e := range errs {
				fmt.Fprintln(out, e)
			}
			conflicts := inventory.CheckRegistry(reg, pol, site)
			for _, f := range conflicts {
				fmt.Fprintf(out, "%s: %s: %s\n", f.Severity, f.Kind, f.Detail)
			}
			rows := 0
			if reg != nil {
				rows = len(reg.Rows)
			}
			fmt.Fprintf(out, "%d row(s) loaded, %d error(s), %d conflict(s)\n", rows, len(errs), len(conflicts))
			if len(errs) > 0 || len(conflicts) > 0 {
				return withCode(exitError, fmt.Errorf("registry has problems"))
			}
			return nil
		},
	}
	check.Flags().StringVar(&mapping, "columns", "", "column mapping file for a CMDB export's own headers")
	registerSheet(check, &sheet)
	check.Flags().StringVar(&policy, "policy", "", "policy file, to check dispensation ids and claims")
	check.Flags().StringVar(&site, "site", "", "only this site's conflicts")
	reg := &cobra.Command{Use: "registry", Short: "Work with camera registry files"}
	reg.AddCommand(check)
	return reg
}
