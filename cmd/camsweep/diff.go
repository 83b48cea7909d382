package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/report"
)

func newDiffCommand(g *globalFlags) *cobra.Command {
	var (
		rf reconcileFlags
		of outputFlags
		ob observeFlags
	)
	cmd := &cobra.Command{
		Use:   "diff --registry R --policy P [--now DATE] [--vms vms.yaml] REPORT.json",
		Short: "Reconcile a saved scan report against the registry and policy, offline",
		Long: `Reconcile a saved scan report against the registry and policy, offline: nothing is sent
to the scanned hosts. The flows and VMS entries the report kept are judged again; with --vms,
not_on_central_vms is judged from the central VMS's own hardware list, read now. Flows are
gathered during a sweep: scan --collector or --mirror (or the daemon).`,
		Args: cobra.ExactArgs(1),
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
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			watch, err := ob.prepare(cmd.Context(), nil, log)
			if err != nil {
				return withCode(exitError, err)
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
			// the report kept it (flows, lookups, the VMS's entries); with
			// --vms on the VMS's list read now, the saved one kept when it
			// cannot be read (as the daemon keeps its last good list).
			obs, devices := inventory.SavedObservations(rep)
			rep.Devices = devices
			fresh, err := watch.observe(cmd.Context(), rep, log)
			if err != nil {
				return withCode(exitError, err)
			}
			if fresh != nil {
				if fresh.VMS != nil {
					obs.VMS = fresh.VMS
				}
				obs.VMSError = fresh.VMSError
			}
			in.observations = &obs
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
	ob.registerVMS(cmd)
	of.register(cmd)
	return cmd
}
