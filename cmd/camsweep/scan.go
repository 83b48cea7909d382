package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sweep"
	"github.com/camsweep/camsweep/fingerprint"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// reconcileFlags are shared by scan and diff.
type reconcileFlags struct {
	registries []string
	mapping    string
	sheet      string
	policy     string
	now        string
	failOn     string
	limits     inventory.Limits
	// ctx, when set, ends a long registry load (Ctrl-C).
	ctx context.Context
}

func (f *reconcileFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.registries, "registry", nil, registryHelp)
	cmd.Flags().StringVar(&f.mapping, "columns", "", "column mapping file for a CMDB export's own headers")
	registerSheet(cmd, &f.sheet)
	registerRegistryLimits(cmd, &f.limits)
	cmd.Flags().StringVar(&f.policy, "policy", "", "camera policy file (YAML)")
	cmd.Flags().StringVar(&f.now, "now", "", "judge expiries as of this date (YYYY-MM-DD) instead of today")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "critical", "exit 1 when a finding is at or above this severity (info, warning, medium, high, critical, or none)")
}

// outputFlags choose the report format and destination.
type outputFlags struct {
	format       string
	file         string
	mode         string
	csvSeparator string
}

func (f *outputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.format, "output-format", "o", "", "report format: table, json, csv or html (default: table on a terminal, json otherwise)")
	cmd.Flags().StringVar(&f.file, "output", "", "write the report to this file instead of stdout (replaced whole once written; never through a symbolic link)")
	cmd.Flags().StringVar(&f.mode, "output-mode", "0600", "permissions of the --output file, in octal")
	cmd.Flags().StringVar(&f.csvSeparator, "csv-separator", ",", `CSV cell separator: "," or ";" (Danish Excel; adds the UTF-8 mark Excel needs) or "tab"`)
}

type scanFlags struct {
	site        string
	ports       []string
	exclude     []string
	excludeOUIs []string
	allowPublic bool
	profile     string
	probes      []string
	rate        float64
	connectTO   time.Duration
	probeTO     time.Duration
	hostTO      time.Duration
	iface       string
	pcap        string
	listen      time.Duration
	credentials string
	infra       string
	udpPorts    map[string]string
	rules       []string
	dryRun      bool
	noProgress  bool
}

func newScanCommand(g *globalFlags) *cobra.Command {
	var (
		sf scanFlags
		rf reconcileFlags
		of outputFlags
		ob observeFlags
	)
	cmd := &cobra.Command{
		Use:   "scan [flags] TARGET...",
		Short: "Sweep targets for cameras, identify them and (with --registry/--policy) reconcile",
		Long: `Sweep TARGETs (CIDR prefixes, ranges such as 10.20.8.10-10.20.8.60 or 10.20.8.10-60,
and single addresses) for IP cameras. Public addresses are refused unless --allow-public.
With --registry and --policy the devices found are reconciled into findings.`,
		Example: `  camsweep scan --site NOH 10.20.8.0/22
  camsweep scan --site NOH --registry noh.csv --policy policy.yaml -o html --output noh.html 10.20.8.0/22
  camsweep scan --dry-run --profile gentle --exclude 10.20.9.0/24 --exclude-oui 00:09:02 10.20.8.0/22`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, targets []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cfg, err := sf.config(targets)
			if err != nil {
				return withCode(exitError, err)
			}
			if sf.dryRun {
				notes, err := ob.dryRun()
				if err != nil {
					return withCode(exitError, err)
				}
				return printPlan(cmd.OutOrStdout(), cfg, notes...)
			}
			fp, err := loadFingerprints(sf.rules)
			if err != nil {
				return withCode(exitError, err)
			}
			var progress func(scanner.Progress)
			if !sf.noProgress {
				progress = progressBar(cmd.ErrOrStderr())
			}
			return scanAndReport(cmd.Context(), cmd.OutOrStdout(), cfg, fp, &rf, &of, &ob, log, progress)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sf.site, "site", "", "site name as the registry names it (e.g. NOH)")
	fl.StringSliceVarP(&sf.ports, "ports", "p", nil, "ports to sweep, e.g. 80,443,554/rtsp,8000-8010 (default the camera port set)")
	fl.StringSliceVar(&sf.exclude, "exclude", nil, "addresses, ranges or prefixes never to touch (exclusions win)")
	fl.StringSliceVar(&sf.excludeOUIs, "exclude-oui", nil, "MAC prefixes (OUI) never to probe, e.g. a medical-device maker's block")
	fl.BoolVar(&sf.allowPublic, "allow-public", false, "allow targets outside private, loopback and link-local space")
	fl.StringVar(&sf.profile, "profile", sweep.ProfileGentle, "what may be sent: passive, arp, gentle or full")
	fl.StringSliceVar(&sf.probes, "probes", nil, "only these unicast probes (default all the profile allows)")
	fl.Float64Var(&sf.rate, "rate", scanner.DefaultRate, "new connections or packets per second, whole sweep")
	fl.DurationVar(&sf.connectTO, "connect-timeout", scanner.DefaultConnectTimeout, "TCP connect timeout")
	fl.DurationVar(&sf.probeTO, "probe-timeout", scanner.DefaultProbeTimeout, "deadline of each probe")
	fl.DurationVar(&sf.hostTO, "host-timeout", scanner.DefaultHostTimeout, "deadline of all work on one host")
	fl.StringVar(&sf.iface, "interface", "", "L2 interface for ARP, passive and multicast discovery (default: the one whose subnet holds the targets)")
	fl.StringVar(&sf.pcap, "pcap", "", "write every frame the L2 probes send and receive to this pcap file")
	fl.StringToStringVar(&sf.udpPorts, "udp-ports", nil, "move a UDP discovery service off its standard port, e.g. ssdp=11900,mdns=15353")
	fl.DurationVar(&sf.listen, "listen", 0, "how long the passive profile listens (e.g. 5m)")
	fl.StringVar(&sf.credentials, "credentials", "", "ONVIF credentials file (YAML); CAMSWEEP_ONVIF_USERNAME/CAMSWEEP_ONVIF_PASSWORD also work")
	fl.StringVar(&sf.infra, "infrastructure", "", "routers and switches to ask over SNMP for MACs and switch ports (YAML; docs/infrastructure.md)")
	fl.StringArrayVar(&sf.rules, "rules", nil, "directory or file of extra fingerprint rules; repeatable")
	fl.BoolVar(&sf.dryRun, "dry-run", false, "print the probe plan and send nothing")
	fl.BoolVar(&sf.noProgress, "no-progress", false, "no progress bar even on a terminal")
	rf.register(cmd)
	ob.registerVMS(cmd)
	ob.registerFlows(cmd)
	of.register(cmd)
	return cmd
}

func (sf *scanFlags) config(targets []string) (sweep.Config, error) {
	cfg := sweep.Config{
		Site:           sf.site,
		Targets:        targets,
		Exclude:        sf.exclude,
		ExcludeOUIs:    sf.excludeOUIs,
		AllowPublic:    sf.allowPublic,
		Ports:          sf.ports,
		Profile:        sf.profile,
		Probes:         sf.probes,
		Rate:           sf.rate,
		ConnectTimeout: sf.connectTO,
		ProbeTimeout:   sf.probeTO,
		HostTimeout:    sf.hostTO,
		Interface:      sf.iface,
		Pcap:           sf.pcap,
		Listen:         sf.listen,
	}
	for name, port := range sf.udpPorts {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return cfg, fmt.Errorf("--udp-ports %s=%s: not a port number", name, port)
		}
		if cfg.UDPPorts == nil {
			cfg.UDPPorts = map[string]uint16{}
		}
		cfg.UDPPorts[name] = uint16(n)
	}
	// NaN compares false with everything and +Inf passes "> 0": both
	// would sweep unthrottled.
	if !(sf.rate > 0) || math.IsInf(sf.rate, 1) {
		return cfg, fmt.Errorf("--rate %v: want a positive, finite number of packets per second", sf.rate)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--connect-timeout", sf.connectTO}, {"--probe-timeout", sf.probeTO}, {"--host-timeout", sf.hostTO}} {
		if d.v <= 0 {
			return cfg, fmt.Errorf("%s %s: want a positive duration", d.flag, d.v)
		}
	}
	if sf.listen < 0 {
		return cfg, fmt.Errorf("--listen %s: want a positive duration", sf.listen)
	}
	creds, err := probe.LoadCredentials(sf.credentials, os.Getenv)
	if err != nil {
		return cfg, err
	}
	cfg.Credentials = creds
	if sf.infra != "" {
		if err := sf.loadInfrastructure(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.Validate()
}

// loadInfrastructure reads --infrastructure and its credentials. A dry run
// goes on without them (the reviewer who signs the plan off need not hold
// the secrets): the plan then says they were not resolved.
func (sf *scanFlags) loadInfrastructure(cfg *sweep.Config) error {
	ic, err := snmp.LoadConfig(sf.infra)
	if err != nil {
		return err
	}
	cfg.Infrastructure = ic
	creds, err := snmp.ResolveCredentials(ic, os.Getenv)
	if err != nil && !sf.dryRun {
		return err
	}
	cfg.InfraCredentials = creds
	return nil
}

func loadFingerprints(extra []string) (*fingerprint.Engine, error) {
	fp, err := fingerprint.LoadEmbedded()
	if err != nil {
		return nil, err
	}
	for _, path := range extra {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("--rules: %w", err)
		}
		if st.IsDir() {
			err = fp.LoadDir(path)
		} else {
			err = fp.LoadFile(path)
		}
		if err != nil {
			return nil, err
		}
	}
	return fp, nil
}

// scanAndReport is the main job: sweep, reconcile, write, pick the exit code.
func scanAndReport(ctx context.Context, stdout io.Writer, cfg sweep.Config, fp *fingerprint.Engine, rf *reconcileFlags, of *outputFlags, ob *observeFlags, log zerolog.Logger, progress func(scanner.Progress)) error {
	// Registry, policy, VMS and format errors, and a collector port in
	// use, stop us before a single packet.
	if err := of.validate(); err != nil {
		return err
	}
	rf.ctx = ctx
	in, err := rf.load()
	if err != nil {
		return err
	}
	if ob == nil {
		ob = &observeFlags{}
	}
	if err := ob.needsReconcile(in); err != nil {
		return withCode(exitError, err)
	}
	watch, err := ob.prepare(ctx, &cfg, log)
	if err != nil {
		return withCode(exitError, err)
	}
	defer watch.close()
	log.Info().Strs("targets", cfg.Targets).Str("profile", cfg.Profile).Float64("rate", cfg.Rate).Msg("sweep starting")
	rep, sweepErr := sweep.Run(ctx, cfg, fp, log, progress)
	if rep == nil {
		return withCode(exitError, sweepErr)
	}
	interrupted := errors.Is(sweepErr, context.Canceled) || errors.Is(sweepErr, context.DeadlineExceeded)
	if interrupted {
		log.Warn().Msg("sweep interrupted: writing the partial report, marked incomplete")
	}
	obs, err := watch.observe(ctx, rep, log)
	if err != nil {
		return withCode(exitError, err)
	}
	if obs != nil {
		in.observations = obs
	}
	if err := in.apply(rep); err != nil {
		return withCode(exitError, err)
	}
	log.Info().Int("live", rep.Stats.Live).Int("cameras", rep.Stats.Cameras).Int("findings", len(rep.Findings)).
		Float64("duration_seconds", rep.Stats.DurationSeconds).Msg("sweep finished")
	if err := of.write(stdout, rep); err != nil {
		return withCode(exitError, err)
	}
	if interrupted {
		return withCode(exitInterrupted, fmt.Errorf("sweep interrupted; the report is incomplete"))
	}
	return in.exitFor(rep.Findings)
}
