package serve

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/metrics"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/flow"
	"github.com/camsweep/camsweep/scanner/link"
)

// Flow source names in reports and metrics.
const (
	flowSourceMirror  = "mirror"
	flowSourceNetFlow = "netflow"
)

// flowRuntime runs the sensor's flow sources for the daemon's life: one
// table, fed by the mirror port and the collector, read by every site's
// reconcile.
type flowRuntime struct {
	cfg       FlowsConfig
	table     *flow.Table
	dns       *flow.DNSTable
	mirror    *flow.Mirror
	collector *flow.Collector
	sources   []string
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	// Bound are the collector's listening addresses, for logs and tests.
	bound []string
}

// startFlows opens the configured sources. The table watches the sites'
// scopes only, and takes the sites' ports as service ports.
func startFlows(ctx context.Context, cfg FlowsConfig, sites []Site, clock Clock, log zerolog.Logger) (*flowRuntime, error) {
	var watch []netip.Prefix
	var services []uint16
	for _, s := range sites {
		if sc := s.ScannerScope(); sc != nil {
			watch = append(watch, sc.Prefixes()...)
		}
		if ports, err := scanner.ParsePorts(s.Ports); err == nil {
			for _, p := range ports {
				services = append(services, p.Number)
			}
		}
	}
	return openFlows(ctx, cfg, watch, services, clock, log)
}

// openFlows opens the sources for a table that watches the prefixes and
// takes the ports as service ports.
func openFlows(ctx context.Context, cfg FlowsConfig, watch []netip.Prefix, services []uint16, clock Clock, log zerolog.Logger) (*flowRuntime, error) {
	ctx, cancel := context.WithCancel(ctx)
	f := &flowRuntime{
		cfg:    cfg,
		table:  flow.NewTable(flow.TableOptions{MaxFlows: cfg.MaxFlows, Watch: watch, ServicePorts: services}),
		dns:    flow.NewDNSTable(nil, watch, 0),
		cancel: cancel,
	}
	fail := func(err error) (*flowRuntime, error) {
		f.close()
		return nil, err
	}
	if n := cfg.NetFlow; n != nil {
		f.collector = flow.NewCollector(f.table, flow.CollectorOptions{
			Exporters: n.exporters, Sampling: n.Sampling, Log: log.With().Str("component", "flow_collector").Logger(),
		})
		for _, l := range n.Listen {
			var lc net.ListenConfig
			pc, err := lc.ListenPacket(ctx, "udp", l)
			if err != nil {
				return fail(fmt.Errorf("serve: flows: collector: %w", err))
			}
			f.bound = append(f.bound, pc.LocalAddr().String())
			f.wg.Go(func() {
				if err := f.collector.Serve(ctx, pc); err != nil {
					log.Error().Err(err).Str("listen", pc.LocalAddr().String()).Msg("flow collector stopped")
				}
			})
		}
		f.sources = append(f.sources, flowSourceNetFlow)
		log.Info().Strs("listen", f.bound).Int("exporters", len(n.exporters)).Msg("flow collector listening")
	}
	if m := cfg.Mirror; m != nil {
		conn, err := openMirror(m.Interface)
		if err != nil {
			return fail(err)
		}
		f.mirror = flow.NewMirror(f.table, f.dns)
		f.wg.Go(func() {
			defer conn.Close()
			if err := f.mirror.Run(ctx, conn); err != nil {
				log.Error().Err(err).Str("interface", m.Interface).Msg("mirror port stopped")
			}
		})
		f.sources = append(f.sources, flowSourceMirror)
		log.Info().Str("interface", m.Interface).Msg("listening on the mirror port")
	}
	// Flows older than the window count for nothing; drop them so the
	// table holds the window and no more.
	f.wg.Go(func() {
		for {
			t := clock.NewTimer(time.Minute)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
				cutoff := clock.Now().Add(-cfg.Window)
				f.table.Expire(cutoff)
				f.dns.Expire(cutoff)
			}
		}
	})
	return f, nil
}

// openMirror opens the mirror port: promiscuous (it carries other hosts'
// frames), listen-only. A span port usually has no address, which the
// scanner's interface choice requires, so it is named directly.
func openMirror(name string) (link.FrameConn, error) {
	nif, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("serve: flows: mirror interface: %w", err)
	}
	filter, err := link.MirrorFilter()
	if err != nil {
		return nil, err
	}
	ifc := link.Interface{Name: nif.Name, Index: nif.Index, MAC: nif.HardwareAddr, MTU: nif.MTU, Requested: true}
	conn, err := link.OpenFrameConn(ifc, link.FrameOptions{Filter: filter, Promiscuous: true})
	if err != nil {
		return nil, fmt.Errorf("serve: flows: mirror: %w", err)
	}
	return conn, nil
}

// observations are the flows of the window that touch the site's scope.
func (f *flowRuntime) observations(site Site, now time.Time) inventory.Observations {
	return f.observe(site.InventoryScope(), now.Add(-f.cfg.Window), now)
}

// observe gives the flows seen since since that touch the scope.
func (f *flowRuntime) observe(scope inventory.Scope, since, now time.Time) inventory.Observations {
	obs := inventory.Observations{FlowSources: slices.Clone(f.sources), FlowWindow: now.Sub(since), MinVideoBytes: f.cfg.MinVideoBytes}
	for _, fl := range f.table.Flows(since) {
		if scope.Contains(fl.Server) || scope.Contains(fl.Client) {
			obs.Flows = append(obs.Flows, fl)
		}
	}
	for _, l := range f.dns.Lookups(since) {
		if scope.Contains(l.Client) {
			obs.DNS = append(obs.DNS, l)
		}
	}
	return obs
}

// stats are the sources' counters for the metrics.
func (f *flowRuntime) stats() *metrics.FlowStats {
	ts := f.table.Stats()
	s := &metrics.FlowStats{Sources: slices.Clone(f.sources), Entries: ts.Entries, Evicted: ts.Evicted, Records: map[string]uint64{}}
	if f.collector != nil {
		cs := f.collector.Stats()
		s.Records = cs.Records
		s.Refused, s.DecodeErrors = cs.Refused, cs.Errors
		s.Decoded = cs.Datagrams - cs.Refused - cs.Errors
		s.LastDatagram = cs.LastDatagram
	}
	if f.mirror != nil {
		ms := f.mirror.Stats()
		s.MirrorFrames = ms.Frames
		s.DNSLookups = uint64(len(f.dns.Lookups(time.Time{})))
	}
	return s
}

func (f *flowRuntime) close() {
	f.cancel()
	f.wg.Wait()
}

// flowMetricsEvery is how often the flow counters are republished: they
// change with every datagram, not at the daemon's state changes.
const flowMetricsEvery = 15 * time.Second

// republishFlows publishes the state every flowMetricsEvery until ctx
// ends, so /metrics carries fresh flow counters.
func (d *daemon) republishFlows(ctx context.Context) {
	for {
		t := d.clock.NewTimer(flowMetricsEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
			d.mu.Lock()
			d.changedLocked()
			d.mu.Unlock()
			d.notify()
		}
	}
}
