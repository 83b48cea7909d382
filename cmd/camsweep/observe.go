package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/serve"
	"github.com/camsweep/camsweep/cmd/camsweep/internal/sweep"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner"
)

// observeFlags are the evidence beside the sweep that the daemon uses too
// (docs/flows.md): the central VMS's own list, and flows from a collector
// or a mirror port while the sweep runs. Each is read by the daemon's
// code (serve.LoadVMSFile, serve.FetchVMS, serve.OpenFlows).
type observeFlags struct {
	vms string
	// Flow sources (scan only).
	collector []string
	exporters []string
	sampling  uint32
	mirror    string
	flowWait  time.Duration
}

func (f *observeFlags) registerVMS(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.vms, "vms", "", "the central VMS whose own hardware list judges not_on_central_vms (YAML: a vms: block as in the daemon's site; docs/flows.md)")
}

func (f *observeFlags) registerFlows(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.collector, "collector", nil, "listen for NetFlow v5/v9, IPFIX and sFlow on this UDP host:port while the sweep runs; repeatable (needs --exporter)")
	fl.StringArrayVar(&f.exporters, "exporter", nil, "a router or switch (address or prefix) allowed to send flows to --collector; repeatable")
	fl.Uint32Var(&f.sampling, "sampling", 0, "sampling rate (1 in N) of an exporter that does not announce its own")
	fl.StringVar(&f.mirror, "mirror", "", "listen, promiscuous and silent, on this mirror (SPAN) interface while the sweep runs (Linux, CAP_NET_RAW)")
	fl.DurationVar(&f.flowWait, "flow-wait", 0, "keep collecting flows this long after the sweep (exporters send a flow when it ends or times out)")
}

// flows turns the flow flags into the daemon's flows: configuration; nil
// when no source is asked for.
func (f *observeFlags) flows() (*serve.FlowsConfig, error) {
	if len(f.collector) == 0 && f.mirror == "" {
		switch {
		case len(f.exporters) > 0:
			return nil, fmt.Errorf("--exporter names who may send to --collector: give --collector too")
		case f.flowWait != 0:
			return nil, fmt.Errorf("--flow-wait needs --collector or --mirror")
		}
		return nil, nil
	}
	if f.flowWait < 0 {
		return nil, fmt.Errorf("--flow-wait %s: want a positive duration", f.flowWait)
	}
	cfg := &serve.FlowsConfig{}
	if f.mirror != "" {
		cfg.Mirror = &serve.MirrorConfig{Interface: f.mirror}
	}
	if len(f.collector) > 0 {
		for _, l := range f.collector {
			if _, _, err := net.SplitHostPort(l); err != nil {
				return nil, fmt.Errorf("--collector %q: want host:port, e.g. 0.0.0.0:2055", l)
			}
		}
		// A collector open to anyone would let any host write the evidence
		// recorders are judged on.
		if len(f.exporters) == 0 {
			return nil, fmt.Errorf("--collector needs --exporter: the routers and switches allowed to send flows")
		}
		cfg.NetFlow = &serve.NetFlowConfig{Listen: f.collector, Exporters: f.exporters, Sampling: f.sampling}
	}
	return cfg, nil
}

// planNotes say, for --dry-run, what the VMS and flow flags will do.
func (f *observeFlags) planNotes(vms *serve.VMSConfig, flows *serve.FlowsConfig) []string {
	var notes []string
	if vms != nil {
		perHardware := ""
		if vms.MACAddresses == nil || *vms.MACAddresses {
			perHardware = ", then one request per hardware for its MAC"
		}
		notes = append(notes, fmt.Sprintf("vms: after the sweep, reads the hardware list of the %s at %s (HTTPS, never a scanned host: a token request, the recording servers and hardware lists%s); not_on_central_vms is judged from it", vms.Type, vms.URL, perHardware))
	}
	if flows != nil && flows.NetFlow != nil {
		notes = append(notes, fmt.Sprintf("flows: listens for NetFlow/IPFIX/sFlow on UDP %s from %s while the sweep runs (and --flow-wait %s after); sends nothing",
			strings.Join(flows.NetFlow.Listen, ", "), strings.Join(flows.NetFlow.Exporters, ", "), f.flowWait))
	}
	if flows != nil && flows.Mirror != nil {
		notes = append(notes, fmt.Sprintf("flows: listens, promiscuous, on mirror port %s while the sweep runs (and --flow-wait %s after); sends nothing on it", flows.Mirror.Interface, f.flowWait))
	}
	return notes
}

// needsReconcile refuses VMS and flow flags that would judge nothing:
// their findings come from reconciling against the registry and policy.
func (f *observeFlags) needsReconcile(in *reconcileInputs) error {
	if in.enabled || (f.vms == "" && len(f.collector) == 0 && f.mirror == "") {
		return nil
	}
	return fmt.Errorf("--vms, --collector and --mirror feed findings: give --registry and/or --policy too")
}

// dryRun checks the flags and files as a real run would, opens nothing,
// and says what they will do.
func (f *observeFlags) dryRun() ([]string, error) {
	fc, err := f.flows()
	if err != nil {
		return nil, err
	}
	var v *serve.VMSConfig
	if f.vms != "" {
		if v, err = serve.LoadVMSFile(f.vms); err != nil {
			return nil, err
		}
	}
	return f.planNotes(v, fc), nil
}

// observer gathers the observations of one scan or diff.
type observer struct {
	vms   *serve.VMSConfig
	flows *serve.Flows
	wait  time.Duration
}

// prepare loads the --vms file and opens the flow sources, before a
// single packet is sent: a bad file or a port in use stops the run here.
func (f *observeFlags) prepare(ctx context.Context, cfg *sweep.Config, log zerolog.Logger) (*observer, error) {
	o := &observer{wait: f.flowWait}
	if f.vms != "" {
		v, err := serve.LoadVMSFile(f.vms)
		if err != nil {
			return nil, err
		}
		o.vms = v
	}
	if cfg == nil {
		return o, nil
	}
	fc, err := f.flows()
	if err != nil || fc == nil {
		return o, err
	}
	scope, err := scanner.NewScope(cfg.Targets, cfg.Exclude, true)
	if err != nil {
		return nil, err
	}
	specs := cfg.Ports
	if len(specs) == 0 {
		specs = scanner.DefaultPorts
	}
	ports, err := scanner.ParsePorts(specs)
	if err != nil {
		return nil, err
	}
	var services []uint16
	for _, p := range ports {
		services = append(services, p.Number)
	}
	if o.flows, err = serve.OpenFlows(ctx, *fc, scope.Prefixes(), services, log); err != nil {
		return nil, err
	}
	return o, nil
}

// observe ends the flow sources (after --flow-wait) and reads the VMS
// list. A VMS that cannot be read does not fail the run: the registry's
// vms column judges instead, and the report says why (as in the daemon).
func (o *observer) observe(ctx context.Context, rep *inventory.Report, log zerolog.Logger) (*inventory.Observations, error) {
	if o == nil || (o.vms == nil && o.flows == nil) {
		return nil, nil
	}
	var obs inventory.Observations
	if o.flows != nil {
		if o.wait > 0 {
			t := time.NewTimer(o.wait)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
		scope, err := reconcileScope(rep)
		if err != nil {
			return nil, err
		}
		obs = o.flows.Observations(scope)
		o.flows.Close()
		o.flows = nil
		log.Info().Strs("sources", obs.FlowSources).Int("flows", len(obs.Flows)).Int("dns_lookups", len(obs.DNS)).Msg("flows observed during the sweep")
	}
	if o.vms != nil {
		inv, err := serve.FetchVMS(ctx, o.vms, log)
		if err != nil {
			obs.VMSError = err.Error()
			log.Error().Err(err).Msg("VMS list not read; the registry's vms column judges not_on_central_vms instead")
		} else {
			obs.VMS = inv
			log.Info().Str("vms", inv.URL).Int("hardware", len(inv.Hardware)).Msg("VMS list read")
		}
	}
	return &obs, nil
}

// close stops the flow sources of a run that ends early.
func (o *observer) close() {
	if o != nil && o.flows != nil {
		o.flows.Close()
	}
}
