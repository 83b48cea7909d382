package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/report"
)

func newDiffCommand(_ *globalFlags) *cobra.Command {
	var (
		rf reconcileFlags
		of outputFlags
	)
	cmd := &cobra.Command{
		Use:   "diff --registry R --policy P [--now DATE] REPORT.json",
		Short: "Reconcile a saved scan report against the registry and policy, offline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := of.validate(); err != nil {
				return err
			}
			rf.ctx = cmd.Context()
			in, err := rf.load()
			if err != nil {
				return err
			}
			if !in.enabled {
				return withCode(exitError, fmt.Errorf("diff needs --registry and/or --policy"))
			}
			f, err := os.Open(args[0])
			if err != nil {
				return withCode(exitError, err)
			}
			defer f.Close()
			rep, err := report.ParseReport(f)
			if err != nil {
				return withCode(exitError, fmt.Errorf("%s: %w", args[0], err))
			}
			for i := range rep.Devices {
				rep.Devices[i].RegistryID = ""
			}
			// Judged again on what the sensor saw beside the sweep, as
			// the report kept it (flows, lookups, the VMS's entries).
			obs, devices := inventory.SavedObservations(rep)
			rep.Devices, in.observations = devices, &obs
			if err := in.apply(rep); err != nil {
				return withCode(exitError, err)
			}
			if err := of.write(cmd.OutOrStdout(), rep); err != nil {
				return withCode(exitError, err)
			}
			return in.exitFor(rep.Findings)
		},
	}
	rf.register(cmd)
	of.register(cmd)
	return cmd
}
