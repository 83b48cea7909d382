package main

import (
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sweep"
	"github.com/camsweep/camsweep/deploy/examples"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// The demo's registry and policy are the NOH examples shipped in
// deploy/examples, embedded in the binary so the demo needs no files.
const (
	demoRegistry = "registry.csv"
	demoColumns  = "registry-columns.yaml"
	demoPolicy   = "policy.yaml"
)

func newDemoCommand(g *globalFlags) *cobra.Command {
	var (
		of     outputFlags
		now    string
		failOn string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Sweep an emulated hospital network (the NOH case) on loopback and print the findings",
		Long: `demo starts an emulated Nordsjællands Hospital network in-process, every device a fake
served on its own 127.77.x.y loopback address on unprivileged ports (so it runs as any user),
sweeps it with the real scanner and fingerprint engine, watches the recorders pull video from
the cameras (RTSP on loopback, exported as IPFIX to camsweep's flow collector), reads the
emulated central Milestone VMS's camera list through its API, reconciles the result against
the example NOH registry and policy embedded in the binary, and prints the report.
Nothing leaves the machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := of.validate(); err != nil {
				return err
			}
			if of.format == "" {
				of.format = "table"
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			in, err := demoInputs(now, failOn)
			if err != nil {
				return withCode(exitError, err)
			}
			hosts, err := scantest.NOH()
			if err != nil {
				return withCode(exitError, err)
			}
			network, err := scantest.Start(cmd.Context(), hosts, scantest.Options{Logger: zerolog.Nop(), Stream: &scantest.NOHStreamAccount})
			if err != nil {
				return withCode(exitError, fmt.Errorf("start the emulated network: %w", err))
			}
			defer network.Close()
			fp, err := loadFingerprints(nil)
			if err != nil {
				return withCode(exitError, err)
			}
			cfg := demoConfig(network)
			log.Info().Int("hosts", len(network.Hosts)).Strs("targets", cfg.Targets).Strs("ports", cfg.Ports).Msg("emulated NOH network up")
			rep, sweepErr := sweep.Run(cmd.Context(), cfg, fp, log, progressBar(cmd.ErrOrStderr()))
			if rep == nil {
				return withCode(exitError, sweepErr)
			}
			// Who records the cameras, and the central VMS's own list:
			// earned from real RTSP pulls, decoded flow records and the
			// Milestone API, all on loopback (docs/demo-network.md).
			obs, err := demoObservations(cmd.Context(), network, log)
			if err != nil {
				return withCode(exitError, err)
			}
			in.observations = &obs
			if err := in.apply(rep); err != nil {
				return withCode(exitError, err)
			}
			if err := of.write(cmd.OutOrStdout(), rep); err != nil {
				return withCode(exitError, err)
			}
			if sweepErr != nil {
				return withCode(exitInterrupted, sweepErr)
			}
			return in.exitFor(rep.Findings)
		},
	}
	of.register(cmd)
	// The demo is for reading: a table unless asked otherwise, even piped.
	cmd.Flags().Lookup("output-format").Usage = "report format: table, json, csv or html (default table)"
	cmd.Flags().StringVar(&now, "now", "", "judge expiries as of this date (YYYY-MM-DD) instead of today")
	cmd.Flags().StringVar(&failOn, "fail-on", "none", "exit 1 when a finding is at or above this severity, or none")
	return cmd
}

// demoConfig scans each /24 that holds an emulated host, on the ports the
// emulation serves. The rate is higher than a clinical default because
// every packet stays on loopback; timeouts are short so the hostile device
// costs seconds, not minutes.
func demoConfig(n *scantest.Network) sweep.Config {
	var targets []string
	for _, h := range n.Hosts {
		p := netip.PrefixFrom(h.Addr, 24).Masked().String()
		if !slices.Contains(targets, p) {
			targets = append(targets, p)
		}
	}
	slices.Sort(targets)
	return sweep.Config{
		Site:           "NOH",
		Targets:        targets,
		Ports:          n.PortSpec(),
		Profile:        sweep.ProfileGentle,
		Rate:           4000,
		ConnectTimeout: 500 * time.Millisecond,
		ProbeTimeout:   2 * time.Second,
		HostTimeout:    10 * time.Second,
		UDPPorts:       map[string]uint16{"ssdp": scantest.DefaultPorts()["ssdp"], "mdns": scantest.DefaultPorts()["mdns"]},
	}
}

func demoInputs(now, failOn string) (*reconcileInputs, error) {
	rf := reconcileFlags{now: now, failOn: failOn}
	in, err := rf.load()
	if err != nil {
		return nil, err
	}
	regData, err := fs.ReadFile(examples.FS, demoRegistry)
	if err != nil {
		return nil, err
	}
	colData, err := fs.ReadFile(examples.FS, demoColumns)
	if err != nil {
		return nil, err
	}
	columns, err := inventory.ParseColumnMap(demoColumns, colData)
	if err != nil {
		return nil, err
	}
	reg, errs := inventory.ParseRegistry(demoRegistry, regData, columns)
	if len(errs) > 0 {
		return nil, joinErrors("registry", errs)
	}
	polData, err := fs.ReadFile(examples.FS, demoPolicy)
	if err != nil {
		return nil, err
	}
	pol, err := inventory.ParsePolicy(demoPolicy, polData)
	if err != nil {
		return nil, err
	}
	in.registry, in.policy, in.enabled = reg, pol, true
	return in, nil
}
