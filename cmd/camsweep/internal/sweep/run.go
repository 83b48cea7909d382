package sweep

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/fingerprint"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// cameraServices are port hints that only cameras and recorders serve, so
// an otherwise unknown host with one open earns the camera probes.
var cameraServices = []string{"rtsp", "hik-sdk", "dahua-sdk", "reolink-media"}

// Run sweeps one site and returns the report with devices identified and no
// findings. When ctx is cancelled it returns the partial report, marked
// incomplete, together with ctx's error.
func Run(ctx context.Context, cfg Config, fp *fingerprint.Engine, log zerolog.Logger, progress func(scanner.Progress)) (*inventory.Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	scope, err := scanner.NewScope(cfg.Targets, cfg.Exclude, cfg.AllowPublic)
	if err != nil {
		return nil, err
	}
	portSpecs := cfg.Ports
	if len(portSpecs) == 0 {
		portSpecs = scanner.DefaultPorts
	}
	ports, err := scanner.ParsePorts(portSpecs)
	if err != nil {
		return nil, err
	}
	log = log.With().Str("site", cfg.Site).Logger()
	all, cameraOnly, probeNames := selectedProbes(&cfg, log)

	opts := scanner.Options{
		Ports:          ports,
		Rate:           cfg.Rate,
		ConnectTimeout: cfg.ConnectTimeout,
		ProbeTimeout:   cfg.ProbeTimeout,
		HostTimeout:    cfg.HostTimeout,
		Workers:        cfg.Workers,
		Probers:        all,
		CameraProbers:  cameraOnly,
		ExcludeMAC:     macExcluder(cfg.ExcludeOUIs),
		Log:            log,
		Progress:       progress,
	}
	if cfg.Profile == ProfileGentle {
		opts.Triage = triage(fp, ports)
	}
	l2, err := setupLocal(ctx, &cfg, scope, &opts, log)
	if err != nil {
		return nil, err
	}
	defer l2.close()

	var (
		mu    sync.Mutex
		hosts = map[hostKey]*scanner.HostResult{}
	)
	started := time.Now()
	stats, sweepErr := scanner.Sweep(ctx, scope, opts, func(r scanner.HostResult) {
		mu.Lock()
		defer mu.Unlock()
		mergeHost(hosts, r)
	})
	if sweepErr != nil && !errors.Is(sweepErr, context.Canceled) && !errors.Is(sweepErr, context.DeadlineExceeded) {
		return nil, sweepErr
	}

	rep := &inventory.Report{
		Schema:     inventory.ReportSchema,
		Site:       cfg.Site,
		Started:    started.UTC(),
		Finished:   time.Now().UTC(),
		Incomplete: stats.Incomplete,
		Scope: inventory.ScopeSummary{
			Targets:     scope.Targets(),
			Exclude:     nonNil(scope.Excludes()),
			ExcludeOUIs: cfg.ExcludeOUIs,
			Ports:       scanner.PortSpecs(ports),
			Profile:     cfg.Profile,
			Probes:      nonNil(probeNames),
			Discovery:   nonNil(append(l2.discovery, stats.Discovery...)),
			RatePerSec:  opts.Rate,
			Interface:   l2.iface,
			Notes:       append(l2.notes, stats.Notes...),
		},
		Findings: []inventory.Finding{},
	}
	if rep.Scope.RatePerSec == 0 {
		rep.Scope.RatePerSec = scanner.DefaultRate
	}
	var harvest *snmp.Result
	if cfg.Infrastructure != nil {
		switch {
		case cfg.Profile == ProfilePassive:
			rep.Scope.Notes = append(rep.Scope.Notes, "snmp: the passive profile sends nothing, to anyone; the infrastructure was not asked")
		case ctx.Err() == nil:
			harvest = harvestInfrastructure(ctx, &cfg, scope, hosts, log)
		default:
			rep.Scope.Notes = append(rep.Scope.Notes, "snmp: the sweep was interrupted; the infrastructure was not asked")
		}
		rep.Finished = time.Now().UTC()
	}
	rep.Devices = Identify(hosts, fp)
	rep.Stats = inventory.Stats{
		Addresses:       stats.Addresses,
		Live:            len(rep.Devices),
		PacketsSent:     stats.Connections + stats.Datagrams + l2.framesSent(),
		Connections:     stats.Connections,
		DurationSeconds: rep.Finished.Sub(rep.Started).Seconds(),
		ProbeErrors:     stats.ProbeErrors,
		HostsTimedOut:   stats.HostsTimedOut,
	}
	if rep.Stats.ProbeErrors == nil {
		rep.Stats.ProbeErrors = map[string]int{}
	}
	if harvest != nil {
		applyHarvest(rep, harvest)
	}
	for _, d := range rep.Devices {
		if d.IsCameraLike() {
			rep.Stats.Cameras++
		}
	}
	return rep, sweepErr
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// triage tells the engine whether a host deserves the camera probes: the
// fingerprint already says camera or recorder, or it says nothing yet but a
// camera-only service port is open.
func triage(fp *fingerprint.Engine, ports []scanner.Port) func([]evidence.Evidence) bool {
	cameraPort := map[string]bool{}
	for _, p := range ports {
		if slices.Contains(cameraServices, p.Service) {
			cameraPort[strconv.Itoa(int(p.Number))] = true
		}
	}
	return func(ev []evidence.Evidence) bool {
		v := fp.Identify(ev)
		switch v.Class {
		case evidence.Camera, evidence.Recorder:
			return true
		case evidence.Other:
			return false
		}
		for _, e := range ev {
			if e.Field == "tcp.open" && cameraPort[e.Value] {
				return true
			}
		}
		return false
	}
}

// hostKey identifies a host in a sweep: its address, or for a host seen
// only before it had one (a DHCP request), its MAC.
type hostKey struct {
	addr netip.Addr
	mac  string
}

func keyOf(r scanner.HostResult) hostKey {
	if r.Addr.IsValid() {
		return hostKey{addr: r.Addr}
	}
	return hostKey{mac: r.MAC}
}

// mergeHost folds a result (or a late fragment of one) into the host map.
func mergeHost(hosts map[hostKey]*scanner.HostResult, r scanner.HostResult) {
	k := keyOf(r)
	cur, ok := hosts[k]
	if !ok {
		c := r
		hosts[k] = &c
		return
	}
	if cur.MAC == "" {
		cur.MAC = r.MAC
	}
	for _, p := range r.OpenPorts {
		if !slices.Contains(cur.OpenPorts, p) {
			cur.OpenPorts = append(cur.OpenPorts, p)
		}
	}
	for _, e := range r.Evidence {
		if !slices.Contains(cur.Evidence, e) {
			cur.Evidence = append(cur.Evidence, e)
		}
	}
	cur.TimedOut = cur.TimedOut || r.TimedOut
	cur.Connections += r.Connections
}

// Identify turns host results into devices, sorted by address (hosts
// known only by MAC last, by MAC).
func Identify(hosts map[hostKey]*scanner.HostResult, fp *fingerprint.Engine) []inventory.Device {
	devices := make([]inventory.Device, 0, len(hosts))
	for _, h := range hosts {
		devices = append(devices, DeviceFrom(*h, fp))
	}
	slices.SortFunc(devices, func(a, b inventory.Device) int {
		if a.IP.IsValid() != b.IP.IsValid() {
			if a.IP.IsValid() {
				return -1
			}
			return 1
		}
		if c := a.IP.Compare(b.IP); c != 0 {
			return c
		}
		return strings.Compare(a.MAC, b.MAC)
	})
	return devices
}

// DeviceFrom applies the fingerprint verdict to one host.
func DeviceFrom(h scanner.HostResult, fp *fingerprint.Engine) inventory.Device {
	v := fp.Identify(h.Evidence)
	mac := normaliseMAC(h.MAC)
	var hostnames []string
	for _, e := range h.Evidence {
		if mac == "" && (e.Field == "mac" || strings.HasSuffix(e.Field, ".mac")) {
			mac = normaliseMAC(e.Value)
		}
		if (e.Field == "hostname" || e.Field == "dhcp.hostname" || e.Field == "mdns.host") && !slices.Contains(hostnames, e.Value) {
			hostnames = append(hostnames, e.Value)
		}
	}
	ports := slices.Clone(h.OpenPorts)
	slices.Sort(ports)
	ev := slices.Clone(h.Evidence)
	if ev == nil {
		ev = []evidence.Evidence{}
	}
	return inventory.Device{
		IP:           h.Addr,
		MAC:          mac,
		MACSource:    macSource(h.Evidence, mac),
		Hostnames:    nonNil(hostnames),
		OpenPorts:    nonNilPorts(ports),
		Class:        v.Class,
		Brand:        v.Brand,
		Manufacturer: v.Manufacturer,
		Model:        v.Model,
		Firmware:     v.Firmware,
		Serial:       v.Serial,
		Confidence:   v.Confidence,
		Why:          append(slices.Clone(v.Why), prefixed("conflict: ", v.Conflicts)...),
		Connections:  h.Connections,
		Evidence:     ev,
	}
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

func nonNilPorts(p []uint16) []uint16 {
	if p == nil {
		return []uint16{}
	}
	return p
}

// normaliseMAC is the registry's MAC form, so reconciliation matches on
// equal strings; "" when s is not a MAC.
func normaliseMAC(s string) string {
	mac, err := inventory.NormalizeMAC(s)
	if err != nil {
		return ""
	}
	return mac
}
