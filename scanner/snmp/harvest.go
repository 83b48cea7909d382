package snmp

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Options are what a harvest needs besides its Config.
type Options struct {
	// InScope says which addresses the sweep covers: only their neighbour
	// entries are kept (and those of the infrastructure's own addresses,
	// to recognise its MACs on switch ports).
	InScope func(netip.Addr) bool
	// Credentials are the resolved profiles (ResolveCredentials).
	Credentials map[string]Credential
	Log         zerolog.Logger
	// Open connects a session; nil uses (*gosnmp.GoSNMP).Connect. The lab
	// opens it inside the scanner's network namespace.
	Open func(*gosnmp.GoSNMP) error
}

// Sighting is how the address's MAC was learnt from a router.
type Sighting struct {
	MAC string
	// Router is the device's name; Table the table it came from.
	Router string
	Table  string
}

// Result is what the harvest learnt, and how each device went.
type Result struct {
	// Neighbours maps in-scope addresses to their MAC.
	Neighbours map[netip.Addr]Sighting
	// Locations maps MACs to the edge port they sit behind.
	Locations map[string]evidence.Location
	// LLDP maps MACs to what the device said about itself in LLDP.
	LLDP map[string][]evidence.Evidence
	// Devices reports each configured device, in configuration order.
	Devices []DeviceReport
	// Requests counts every datagram sent, retries included.
	Requests uint64
	Duration time.Duration
	// Conflicts counts in-scope addresses two routers resolve to different
	// MACs (the first router in the configuration wins); Ambiguous counts
	// MACs seen on edge ports of several switches with nothing to choose
	// between them (placed nowhere).
	Conflicts, Ambiguous int
}

// Failed counts the devices whose harvest did not complete.
func (r *Result) Failed() int {
	n := 0
	for _, d := range r.Devices {
		if !d.OK {
			n++
		}
	}
	return n
}

// Harvest asks every configured device for what its roles call for, in
// parallel (Config.Parallel at a time), each within its own time bound and
// the whole within Config.MaxDuration. It never fails: a device that
// cannot be read is reported in Result.Devices, and the sweep goes on.
func Harvest(ctx context.Context, cfg *Config, opts Options) *Result {
	start := time.Now()
	maxDur := cfg.MaxDuration
	if maxDur <= 0 {
		maxDur = DefaultMaxDuration
	}
	ctx, cancel := context.WithTimeout(ctx, maxDur)
	defer cancel()
	inScope := opts.InScope
	if inScope == nil {
		inScope = func(netip.Addr) bool { return false }
	}
	infraAddrs := map[netip.Addr]bool{}
	for _, d := range cfg.Devices {
		infraAddrs[d.Address.Unmap()] = true
	}
	keep := func(a netip.Addr) bool { a = a.Unmap(); return inScope(a) || infraAddrs[a] }

	parallel := cfg.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	data := make([]*deviceData, len(cfg.Devices))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range cfg.Devices {
		d := cfg.Resolved(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			data[i] = harvestOne(ctx, d, opts, keep)
		}()
	}
	wg.Wait()

	res := &Result{Neighbours: map[netip.Addr]Sighting{}}
	id := infra{macs: map[string]string{}, names: map[string]bool{}}
	var switches []*deviceData
	for _, dd := range data {
		for _, n := range []string{dd.dev.Name, dd.sysName} {
			if n != "" {
				id.names[strings.ToLower(n)] = true
			}
		}
		for _, fdb := range []map[fdbKey]fdbRow{dd.fdb, dd.vlanFDB} {
			for k, r := range fdb {
				if r.status == fdbStatusSelf || r.status == fdbStatusMgmt {
					id.macs[macString(k.mac)] = dd.report.Name
				}
			}
		}
	}
	for _, dd := range data {
		for _, n := range dd.neighbours {
			a := n.Addr.Unmap()
			if infraAddrs[a] {
				for _, other := range data {
					if other.dev.Address.Unmap() == a {
						id.macs[n.MAC] = other.report.Name
					}
				}
			}
			if !inScope(a) {
				continue
			}
			dd.report.Neighbours++
			if cur, ok := res.Neighbours[a]; ok {
				if cur.MAC != n.MAC {
					res.Conflicts++
				}
				continue
			}
			res.Neighbours[a] = Sighting{MAC: n.MAC, Router: dd.report.Name, Table: dd.neighbourTable}
		}
		if dd.dev.Has(RoleSwitch) {
			switches = append(switches, dd)
		}
	}
	loc := locate(switches, id)
	res.Locations, res.LLDP, res.Ambiguous = loc.locations, loc.lldp, loc.ambiguous
	for _, dd := range data {
		res.Devices = append(res.Devices, dd.report)
		res.Requests += dd.report.Requests
	}
	res.Duration = time.Since(start)
	return res
}

func macString(b [6]byte) string {
	const hexdig = "0123456789abcdef"
	out := make([]byte, 0, 17)
	for i, v := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hexdig[v>>4], hexdig[v&0xf])
	}
	return string(out)
}

// harvestOne opens a session to one device and reads it.
func harvestOne(ctx context.Context, d Device, opts Options, keep func(netip.Addr) bool) *deviceData {
	start := time.Now()
	log := opts.Log.With().Str("device", d.Label()).Str("address", d.Address.String()).Logger()
	ctx, cancel := context.WithTimeout(ctx, d.MaxDuration)
	defer cancel()
	fail := func(err error, secrets []string) *deviceData {
		dd := &deviceData{dev: d, report: DeviceReport{Name: d.Label(), Address: d.Address, Roles: d.Roles, Tables: map[string]int{}}}
		dd.report.Error, dd.report.ErrorKind = describe(err, secrets), classify(err)
		dd.report.Duration = time.Since(start)
		log.Warn().Str("error_kind", dd.report.ErrorKind).Str("error", dd.report.Error).Msg("snmp: harvest failed")
		return dd
	}
	if ctx.Err() != nil {
		return fail(ctx.Err(), nil)
	}
	cred, ok := opts.Credentials[d.Credentials]
	if !ok {
		return fail(errors.New("snmp: credential profile "+strconv.Quote(d.Credentials)+" was not resolved"), nil)
	}
	var sent atomic.Uint64
	g := newSession(ctx, d, cred, func() { sent.Add(1) })
	open := opts.Open
	if open == nil {
		open = (*gosnmp.GoSNMP).Connect
	}
	if err := open(g); err != nil {
		return fail(err, cred.secretValues())
	}
	defer g.Close()
	w := &walker{ctx: ctx, s: g, limit: rate.NewLimiter(rate.Limit(d.Rate), 1), maxRep: d.MaxRepetitions, maxRows: d.MaxEntries}
	dd := harvestDevice(d, w, keep, vlanScoper(g, cred))
	dd.report.Requests = sent.Load()
	dd.report.Duration = time.Since(start)
	if dd.report.Error != "" {
		// The text came from the library or the agent; check it once more.
		dd.report.Error = describe(errors.New(dd.report.Error), cred.secretValues())
	}
	for i := range dd.report.VLANs {
		if r := &dd.report.VLANs[i]; r.Error != "" {
			r.Error = describe(errors.New(r.Error), cred.secretValues())
		}
	}
	ev := log.Info()
	if !dd.report.OK {
		ev = log.Warn().Str("error_kind", dd.report.ErrorKind).Str("error", dd.report.Error)
	}
	ev.Str("sys_name", dd.sysName).Uint64("requests", dd.report.Requests).Int("neighbours", len(dd.neighbours)).
		Int("fdb", len(dd.fdb)+len(dd.vlanFDB)).Int("vlans", len(dd.report.VLANs)).Int("lldp", len(dd.lldp)).Dur("duration", dd.report.Duration).Msg("snmp: harvested")
	return dd
}

// newSession configures a gosnmp session for one device. ExponentialTimeout
// is off so a request's worst case is Timeout × (Retries+1), and the
// library's logger stays nil: it would print packets.
func newSession(ctx context.Context, d Device, c Credential, onSent func()) *gosnmp.GoSNMP {
	g := &gosnmp.GoSNMP{
		Target:         d.Address.Unmap().String(),
		Port:           d.Port,
		Transport:      "udp",
		Version:        c.Version,
		Context:        ctx,
		Timeout:        d.Timeout,
		Retries:        *d.Retries,
		MaxRepetitions: d.MaxRepetitions,
		MaxOids:        gosnmp.MaxOids,
		OnSent:         func(*gosnmp.GoSNMP) { onSent() },
	}
	if c.Version == gosnmp.Version2c {
		g.Community = c.Community.Reveal()
		return g
	}
	g.SecurityModel = gosnmp.UserSecurityModel
	g.MsgFlags = c.Flags
	g.ContextName = c.ContextName
	g.SecurityParameters = &gosnmp.UsmSecurityParameters{
		UserName:                 c.Username,
		AuthenticationProtocol:   c.AuthProtocol,
		AuthenticationPassphrase: c.AuthPassword.Reveal(),
		PrivacyProtocol:          c.PrivProtocol,
		PrivacyPassphrase:        c.PrivPassword.Reveal(),
	}
	if c.Flags == gosnmp.NoAuthNoPriv {
		g.SecurityParameters = &gosnmp.UsmSecurityParameters{UserName: c.Username}
	}
	return g
}
