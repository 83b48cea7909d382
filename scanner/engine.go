package scanner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/rs/zerolog"
)

// Defaults are conservative: a clinical network carries fragile devices, and
// a scan that nobody notices is one that keeps being allowed.
const (
	DefaultRate            = 200 // new connections or packets per second, whole sweep
	DefaultConnectTimeout  = time.Second
	DefaultProbeTimeout    = 5 * time.Second
	DefaultHostTimeout     = 45 * time.Second
	DefaultPingPorts       = 3
	DefaultNonCameraBudget = 10
	// maxDefaultWorkers bounds the hosts worked on at once: each is a
	// goroutine whose stack grows to tens of KiB inside a dial, and beyond a
	// thousand the stacks, not the rate, decide the sweep's memory.
	maxDefaultWorkers = 1024
)

// Bounds on what discoverers may make the sweep remember. Sightings of
// in-scope addresses are bounded by the scope; the rest (factory-default
// subnets, hosts seen before they had an address) come from whatever any
// station on the segment announces, so a hostile one could otherwise grow
// the sweep's memory without end with made-up addresses and MACs.
const (
	maxOutOfScopeSightings = 4096 // addresses outside the scope, and MAC-only hosts, each
	// MaxSightingEvidence is the evidence kept per sighting. A discoverer
	// that gathers a round's answers itself holds each host to it too, so
	// a station repeating answers with new values costs no more than the
	// engine would keep of it anyway.
	MaxSightingEvidence = 256
)

// Options configure a sweep. The zero value of each field takes its default.
type Options struct {
	Ports []Port
	// Rate is the global budget of new connections and datagrams per second.
	Rate float64
	// MaxInFlightPerHost bounds simultaneous connections to one host.
	MaxInFlightPerHost int
	// Workers is how many hosts are worked on at once; by default enough to
	// keep the rate budget busy while connects wait for their timeout.
	Workers        int
	ConnectTimeout time.Duration
	ProbeTimeout   time.Duration
	HostTimeout    time.Duration
	// PingPorts is how many of the first ports decide whether an address
	// not already seen by a discoverer is worth the rest of the port set.
	PingPorts int

	// Probers run on every host with an open port, in order (cheapest first).
	Probers []Prober
	// CameraProbers run only on hosts that Triage judges camera-like, so a
	// printer or an infusion-pump gateway is not walked through vendor APIs.
	CameraProbers []Prober
	// Triage decides from the evidence so far whether a host may be a camera.
	// Nil means every host is treated as one.
	Triage func([]evidence.Evidence) bool
	// NonCameraBudget caps connections to a host that Triage rejected.
	NonCameraBudget int

	// HostDiscovery finds live hosts before any TCP is sent (ARP on the
	// local segment). It returns which addresses it covered: a covered
	// address that did not answer is taken as absent and is sent nothing.
	HostDiscovery func(ctx context.Context, scope *Scope, wait func(context.Context) error, found func(Sighting)) (covered func(netip.Addr) bool, err error)
	// Discoverers run alongside the sweep (multicast WS-Discovery, mDNS,
	// passive listening). Their sightings are merged into the host results.
	Discoverers []Discoverer

	// LinkOnly skips TCP discovery and the probes: only HostDiscovery and
	// the Discoverers run (the passive and arp profiles).
	LinkOnly bool
	// Linger keeps the Discoverers running at least this long from the
	// start of the sweep (how long the passive profile listens).
	Linger time.Duration
	// KeepSighting decides which sightings of hosts outside the TCP sweep
	// are reported (nil: all). Passive listening hears the whole segment;
	// the sweep reports only what its scope asked about, plus hosts on a
	// foreign subnet, which are the misconfigured cameras worth knowing.
	KeepSighting func(netip.Addr) bool

	// ExcludeMAC reports whether a host's MAC (an excluded OUI, such as a
	// medical-device maker's block) puts it out of bounds. A MAC is known
	// only once the host has answered something, so such a host may have
	// had an ARP request or one connect; after that it is sent nothing.
	ExcludeMAC func(mac string) bool
	// MACOf looks a host's MAC up where no discoverer gave one (the kernel
	// neighbour table after TCP contact). Nil skips the lookup.
	MACOf func(netip.Addr) (string, bool)

	Log      zerolog.Logger
	Progress func(Progress)
}

// Progress is a snapshot for a progress bar.
type Progress struct {
	Total   uint64 // addresses in scope
	Swept   uint64 // addresses done
	Live    uint64
	Packets uint64
}

// SweepStats is what the sweep did.
type SweepStats struct {
	Addresses     uint64
	Swept         uint64
	Live          int
	Connections   uint64
	Datagrams     uint64
	ProbeErrors   map[string]int
	HostsTimedOut int
	// Abandoned counts packets not sent because their wait for the rate
	// limit failed; any makes the sweep Incomplete.
	Abandoned  uint64
	Incomplete bool
	Discovery  []string // which host discovery ran: "arp", "tcp", discoverer names
	Notes      []string
	Started    time.Time
	Finished   time.Time
}

func (o *Options) applyDefaults() {
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.MaxInFlightPerHost <= 0 {
		o.MaxInFlightPerHost = 1
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = DefaultProbeTimeout
	}
	if o.HostTimeout <= 0 {
		o.HostTimeout = DefaultHostTimeout
	}
	if o.PingPorts <= 0 {
		o.PingPorts = DefaultPingPorts
	}
	if o.NonCameraBudget <= 0 {
		o.NonCameraBudget = DefaultNonCameraBudget
	}
	if o.Workers <= 0 {
		// Enough hosts in flight that connects waiting on their timeout do
		// not leave the rate budget idle (a silent address holds a worker
		// for at most a connect timeout per packet), and no more: every
		// host in flight shares the rate, so twice that many left each
		// live host too slow a share to finish its probes inside the host
		// timeout (500 hosts at 250/s: 305 of 500 timed out).
		w := int(o.Rate * o.ConnectTimeout.Seconds())
		o.Workers = min(max(w, 32), maxDefaultWorkers)
	}
}

// Sweep scans scope and calls found once for every live host, from one
// goroutine at a time, as soon as that host's probes are done. A host seen
// by a discoverer only after its probes finished is reported again with the
// late evidence; callers merge results by address.
//
// Cancelling ctx stops the sweep promptly; the stats then say Incomplete and
// the error is ctx's.
func Sweep(ctx context.Context, scope *Scope, opts Options, found func(HostResult)) (SweepStats, error) {
	// A NaN or infinite rate would send without any limit; the callers
	// check, and so does the one place that enforces the limit.
	if math.IsNaN(opts.Rate) || math.IsInf(opts.Rate, 0) {
		return SweepStats{}, fmt.Errorf("scanner: rate %v: want a positive, finite number", opts.Rate)
	}
	opts.applyDefaults()
	if len(opts.Ports) == 0 {
		ports, err := ParsePorts(DefaultPorts)
		if err != nil {
			return SweepStats{}, err
		}
		opts.Ports = ports
	}
	s := &sweep{
		opts:      opts,
		scope:     scope,
		found:     found,
		sightings: map[netip.Addr]*Sighting{},
		macOnly:   map[string]*Sighting{},
		reported:  map[netip.Addr]bool{},
		errs:      map[string]int{},
		stats:     SweepStats{Addresses: scope.Size(), Started: time.Now()},
	}
	s.gate = newSendGate(opts.Rate, scope.Contains, opts.Ports, &s.counters)
	err := s.run(ctx)
	s.stats.Finished = time.Now()
	s.stats.Connections = s.counters.Connections.Load()
	s.stats.Datagrams = s.counters.Datagrams.Load()
	s.stats.Abandoned = s.counters.Abandoned.Load()
	s.stats.Swept = s.swept.Load()
	s.stats.ProbeErrors = s.errs
	if ctx.Err() != nil {
		s.stats.Incomplete = true
		return s.stats, ctx.Err()
	}
	if s.stats.Abandoned > 0 {
		// Not expected outside a cancelled sweep; if it happens, a port
		// was never asked, and its silence proves nothing.
		s.stats.Incomplete = true
		s.stats.Notes = append(s.stats.Notes, fmt.Sprintf("%d packets could not be sent (their wait for the rate limit failed); the sweep is incomplete", s.stats.Abandoned))
		s.opts.Log.Warn().Uint64("abandoned", s.stats.Abandoned).Msg("packets could not be sent; the sweep is incomplete")
	}
	if s.stats.HostsTimedOut > 0 {
		s.opts.Log.Warn().Int("hosts", s.stats.HostsTimedOut).Dur("host_timeout", s.opts.HostTimeout).
			Msg("hosts ran out of their host timeout before every probe ran; they are reported with what was found (hosts_timed_out)")
	}
	return s.stats, err
}

type sweep struct {
	opts     Options
	scope    *Scope
	gate     *sendGate
	counters Counters
	swept    atomic.Uint64
	live     atomic.Uint64

	mu        sync.Mutex // guards what follows and serialises found
	found     func(HostResult)
	sightings map[netip.Addr]*Sighting // hosts that answered a discoverer
	macOnly   map[string]*Sighting     // hosts seen without an address, by MAC
	macsSeen  map[string]bool          // MACs of reported hosts
	reported  map[netip.Addr]bool
	// outOfScope counts sightings of addresses outside the scope, and
	// dropped those refused beyond maxOutOfScopeSightings.
	outOfScope, dropped int
	errs                map[string]int
	stats               SweepStats
	covered             func(netip.Addr) bool
}

func (s *sweep) run(ctx context.Context) error {
	stopProgress := s.startProgress(ctx)
	defer stopProgress()

	// Discoverers listen and announce for the whole sweep; what they send
	// passes the sweep's rate limit and counters.
	dctx, stopDiscoverers := context.WithCancel(withSendGate(ctx, s.gate))
	var dwg sync.WaitGroup
	for _, d := range s.opts.Discoverers {
		s.noteDiscovery(d.Name())
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			if err := d.Discover(dctx, s.addSighting); err != nil && dctx.Err() == nil {
				s.countError(d.Name())
				s.opts.Log.Warn().Err(err).Str("probe", d.Name()).Msg("discoverer failed")
			}
		}()
	}

	if s.opts.HostDiscovery != nil {
		covered, err := s.opts.HostDiscovery(ctx, s.scope, func(ctx context.Context) error { return s.gate.Wait(ctx, nil) }, s.addSighting)
		if err != nil {
			// Falling back to TCP discovery is safe; saying so matters.
			s.opts.Log.Warn().Err(err).Msg("local host discovery failed; using TCP discovery for every address")
			s.mu.Lock()
			s.stats.Notes = append(s.stats.Notes, "local host discovery failed: "+err.Error())
			s.mu.Unlock()
		} else {
			s.covered = covered
		}
	}
	if !s.opts.LinkOnly {
		s.noteDiscovery("tcp")
		s.tcpSweep(ctx)
	}
	if s.opts.Linger > 0 {
		t := time.NewTimer(time.Until(s.stats.Started.Add(s.opts.Linger)))
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}

	stopDiscoverers()
	dwg.Wait()
	s.reportUnprobedSightings()
	return nil
}

func (s *sweep) tcpSweep(ctx context.Context) {
	addrs := make(chan netip.Addr)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range addrs {
				s.sweepHost(ctx, a)
				s.swept.Add(1)
			}
		}()
	}
	for a := range s.scope.Addrs() {
		select {
		case addrs <- a:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(addrs)
	wg.Wait()
}

func (s *sweep) noteDiscovery(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.stats.Discovery {
		if n == name {
			return
		}
	}
	s.stats.Discovery = append(s.stats.Discovery, name)
}

func (s *sweep) addSighting(sg Sighting) {
	if !sg.Addr.IsValid() {
		// A DHCP DISCOVER names a host before it has an address: keep it
		// by MAC, reported at the end unless an addressed sighting or a
		// probed host turns out to carry the same MAC.
		if sg.MAC == "" {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur, ok := s.macOnly[sg.MAC]; ok {
			cur.Evidence = appendSighted(cur.Evidence, sg.Evidence)
			return
		}
		if len(s.macOnly) >= maxOutOfScopeSightings {
			s.dropped++
			return
		}
		c := sg
		c.Evidence = appendSighted(nil, sg.Evidence)
		s.macOnly[sg.MAC] = &c
		return
	}
	sg.Addr = sg.Addr.Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.sightings[sg.Addr]
	if !ok {
		if !s.scope.Contains(sg.Addr) {
			if s.outOfScope >= maxOutOfScopeSightings {
				s.dropped++
				return
			}
			s.outOfScope++
		}
		c := sg
		c.Evidence = appendSighted(nil, sg.Evidence)
		s.sightings[sg.Addr] = &c
		return
	}
	if cur.MAC == "" {
		cur.MAC = sg.MAC
	}
	cur.Evidence = appendSighted(cur.Evidence, sg.Evidence)
}

// appendSighted is evidence.AppendNew held to MaxSightingEvidence items.
func appendSighted(have, more []evidence.Evidence) []evidence.Evidence {
	if room := MaxSightingEvidence - len(have); len(more) > room {
		more = more[:max(room, 0)]
	}
	return evidence.AppendNew(have, more...)
}

func (s *sweep) sighting(a netip.Addr) (Sighting, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sg, ok := s.sightings[a]
	if !ok {
		return Sighting{}, false
	}
	c := *sg
	c.Evidence = append([]evidence.Evidence(nil), sg.Evidence...)
	return c, true
}

func (s *sweep) countError(probe string) {
	s.mu.Lock()
	s.errs[probe]++
	s.mu.Unlock()
}

func (s *sweep) sweepHost(ctx context.Context, a netip.Addr) {
	if ctx.Err() != nil {
		return
	}
	sg, seen := s.sighting(a)
	if !seen && s.covered != nil && s.covered(a) {
		// Local discovery asked and nobody answered: send nothing more.
		return
	}
	if seen && s.macExcluded(sg.MAC) {
		return
	}
	// Until triage says camera, every host is held to the non-camera
	// budget, the port scan and the first banner probes included.
	budget := 0
	if s.opts.Triage != nil {
		budget = s.opts.NonCameraBudget
	}
	d := newHostDialer(s.gate, a, s.opts.MaxInFlightPerHost, budget)
	// The host timeout counts the host's own time, not its waits for the
	// rate limit (see hostClock).
	hctx, cancel := withActiveTimeout(ctx, s.opts.HostTimeout, d.clock)
	defer cancel()
	mac := sg.MAC
	var firstAnswer func() bool
	if mac == "" && s.opts.MACOf != nil {
		// The kernel learns the MAC with the host's first answer: look
		// it up then, so an excluded OUI costs the device one connection
		// (ExcludeMAC's promise), not the whole port set.
		firstAnswer = func() bool {
			mac, _ = s.opts.MACOf(a)
			return s.macExcluded(mac)
		}
	}
	open, _ := connectScan(hctx, dialPort(d), s.opts.Ports, s.opts.ConnectTimeout, s.opts.PingPorts, seen, firstAnswer)
	if mac == "" && s.opts.MACOf != nil {
		mac, _ = s.opts.MACOf(a) // a host seen but silent to every port
	}
	if s.macExcluded(mac) {
		return
	}
	if len(open) == 0 && !seen {
		// Absent, or alive but refusing every camera port: nothing to
		// identify, and no state is kept for it.
		return
	}
	res := HostResult{Addr: a, MAC: mac, OpenPorts: portNumbers(open), ProbeErrors: map[string]int{}}
	res.Evidence = append(res.Evidence, sg.Evidence...)
	res.Evidence = append(res.Evidence, tcpEvidence(open)...)
	if len(open) > 0 {
		s.probeHost(hctx, d, open, &res)
	}
	if hctx.Err() != nil && ctx.Err() == nil {
		res.TimedOut = true
	}
	res.Connections = d.connectionsUsed()
	s.emit(res)
}

func (s *sweep) macExcluded(mac string) bool {
	return mac != "" && s.opts.ExcludeMAC != nil && s.opts.ExcludeMAC(mac)
}

func (s *sweep) probeHost(ctx context.Context, d *hostDialer, open []Port, res *HostResult) {
	probe := func(p Prober) {
		t := Target{Addr: res.Addr, Ports: open, Dialer: d, Evidence: res.Evidence}
		pctx, cancel := withActiveTimeout(ctx, s.opts.ProbeTimeout, d.clock)
		var got []evidence.Evidence
		err := p.Probe(pctx, t, func(e evidence.Evidence) { got = append(got, e) })
		cancel()
		res.Evidence = evidence.AppendNew(res.Evidence, got...)
		if err != nil && !errors.Is(err, ErrHostBudget) && ctx.Err() == nil {
			res.ProbeErrors[p.Name()]++
			s.countError(p.Name())
			s.opts.Log.Debug().Err(err).Str("probe", p.Name()).Str("host", res.Addr.String()).Msg("probe failed")
		}
	}
	// Triage after each cheap probe: the host dialer's non-camera budget
	// is lifted as soon as the evidence looks like a camera, so a camera's
	// later banner probes are not starved while a printer's stay capped.
	camera := s.opts.Triage == nil || s.opts.Triage(res.Evidence)
	if camera {
		d.liftBudget()
	}
	for _, p := range s.opts.Probers {
		if ctx.Err() != nil {
			return
		}
		probe(p)
		if !camera && s.opts.Triage(res.Evidence) {
			camera = true
			d.liftBudget()
		}
	}
	if !camera {
		return
	}
	for _, p := range s.opts.CameraProbers {
		if ctx.Err() != nil {
			return
		}
		probe(p)
	}
}

func (s *sweep) emit(res HostResult) {
	s.live.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if res.TimedOut {
		s.stats.HostsTimedOut++
	}
	s.stats.Live++
	s.reported[res.Addr] = true
	s.noteMAC(res.MAC)
	s.found(res)
}

// noteMAC remembers a reported host's MAC so an address-less sighting of
// the same host is not reported as another device. Callers hold s.mu.
func (s *sweep) noteMAC(mac string) {
	if mac == "" {
		return
	}
	if s.macsSeen == nil {
		s.macsSeen = map[string]bool{}
	}
	s.macsSeen[mac] = true
}

// reportUnprobedSightings reports hosts that discoverers saw but the TCP
// sweep did not report: hosts with no open camera port, hosts outside the
// scope (a camera on a factory-default address of another subnet), and
// late sightings of hosts already reported.
func (s *sweep) reportUnprobedSightings() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped > 0 {
		msg := fmt.Sprintf("%d sightings of hosts outside the scope or without an address dropped: more than %d of each were announced", s.dropped, maxOutOfScopeSightings)
		s.opts.Log.Warn().Int("dropped", s.dropped).Msg("too many sightings outside the scope; a station may be flooding the segment")
		s.stats.Notes = append(s.stats.Notes, msg)
	}
	for a, sg := range s.sightings {
		if s.macExcluded(sg.MAC) || (s.opts.KeepSighting != nil && !s.opts.KeepSighting(a)) {
			continue
		}
		if s.reported[a] && s.scope.Contains(a) {
			// Late evidence for a probed host: report it as a fragment.
			s.found(HostResult{Addr: a, MAC: sg.MAC, Evidence: sg.Evidence, ProbeErrors: map[string]int{}})
			continue
		}
		s.stats.Live++
		s.live.Add(1)
		s.reported[a] = true
		s.noteMAC(sg.MAC)
		s.found(HostResult{Addr: a, MAC: sg.MAC, Evidence: sg.Evidence, ProbeErrors: map[string]int{}})
	}
	for _, sg := range s.sightings {
		s.noteMAC(sg.MAC)
	}
	for mac, sg := range s.macOnly {
		if s.macsSeen[mac] || s.macExcluded(mac) {
			continue
		}
		s.stats.Live++
		s.live.Add(1)
		s.found(HostResult{MAC: mac, Evidence: sg.Evidence, ProbeErrors: map[string]int{}})
	}
}

func (s *sweep) startProgress(ctx context.Context) func() {
	if s.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			s.opts.Progress(Progress{Total: s.stats.Addresses, Swept: s.swept.Load(), Live: s.live.Load(), Packets: s.counters.Packets()})
			select {
			case <-t.C:
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		s.opts.Progress(Progress{Total: s.stats.Addresses, Swept: s.swept.Load(), Live: s.live.Load(), Packets: s.counters.Packets()})
	}
}
