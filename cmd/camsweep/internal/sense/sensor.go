package sense

import (
	"container/list"
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory/store"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/link"
)

// Defaults of Options.
const (
	DefaultMaxHosts   = 16384           // hosts held in memory per site
	DefaultFlushEvery = 2 * time.Second // how often last-seen times reach the history
	// maxHostEvidence bounds what is kept of what one host said; the
	// listener's evidence per frame is a few items.
	maxHostEvidence = 64
	// maxHostAddrs bounds the addresses one MAC is remembered at.
	maxHostAddrs = 4
	// checkQueue bounds the hosts waiting for the history to say whether
	// they are new; a host that does not fit is tried again at its next
	// frame.
	checkQueue = 8192
	// checkBatch is how many hosts one read of the history looks up.
	checkBatch = 512
	// urgentQueue holds camera-like hosts that found the check queue full
	// (a flood of new MACs): they are checked first.
	urgentQueue = 256
	// trimEvery is how often the history's heard rows are held to their cap.
	trimEvery = time.Minute
)

// History is what the sensor needs of the history store: *store.Store.
type History interface {
	LookupKnown(ctx context.Context, site string, macs []string, addrs []netip.Addr) (store.Known, error)
	RecordHeard(ctx context.Context, site string, rows []store.HeardRow) error
	TrimHeard(ctx context.Context, site string, max int) (int64, error)
}

// Options configure a Sensor.
type Options struct {
	Site string
	// InScope reports whether an address belongs to the site (its scope,
	// exclusions applied). Hosts on the link with another subnet's
	// address (factory defaults) are kept whatever it says.
	InScope func(netip.Addr) bool
	// ExcludedMAC reports a MAC (an excluded OUI, a medical-device maker's
	// block) whose host is recorded as heard and otherwise left alone.
	ExcludedMAC func(mac string) bool
	// History keeps first and last seen and says what is new; nil keeps
	// them in memory only, and every host is new the first time it is
	// heard (camsweep watch).
	History History
	// Probe is called for each triggered look, from one goroutine, within
	// the budget; nil triggers nothing.
	Probe ProbeFunc
	// ProbeBudget is triggered probes per minute (default
	// DefaultProbeBudget); CameraLike ranks waiting hosts when the queue
	// is full (nil: first come first served).
	ProbeBudget int
	CameraLike  func([]evidence.Evidence) bool
	// OnEvent is called for each event, from the sensor's goroutine.
	OnEvent func(Event)
	// AfterProbe, when set, is called once a triggered probe is done and
	// counted (the daemon publishes its counters then).
	AfterProbe func()
	MaxHosts   int
	FlushEvery time.Duration
	Now        func() time.Time
	Log        zerolog.Logger
}

// Stats counts what a sensor did since it started.
type Stats struct {
	Frames   uint64 // what the listener heard (one per frame and host named)
	Relevant uint64 // of which in the site's scope or on its link from another subnet
	Hosts    int    // held in memory now
	// Evicted hosts were dropped from memory, least recently heard first,
	// to make room (their history is kept).
	Evicted          uint64
	DevicesFirstSeen uint64
	MACChanges       uint64
	// CheckDropped counts hosts that did not fit the queue for the
	// history at once (tried again at their next frame).
	CheckDropped  uint64
	HistoryErrors uint64
	Probes        ProbeStats
}

// hostSeen is one address a host was heard at.
type hostSeen struct {
	addr        netip.Addr
	first, last time.Time
}

// host is one device heard: by MAC, or by address when heard only through
// a router.
type host struct {
	key         string
	mac         string
	addrs       []hostSeen // most recent last
	first, last time.Time
	heard       []string
	evidence    []evidence.Evidence
	foreign     bool
	routed      bool
	excluded    bool
	checked     bool // the history has said whether it is new
	queued      bool // waiting for the history
	dirty       bool // heard since the last flush
	// unprobed: new, but heard at no address a probe could use yet (a
	// DHCP DISCOVER before its address); the probe follows the address.
	unprobed bool
	// refused is the reason of a look the budget refused; it is asked
	// for again at the host's next frame.
	refused string
	elem    *list.Element
}

// Sensor is one site's continuous detection. Heard takes what the listener
// hears; Run does the rest until its context ends.
type Sensor struct {
	opts Options
	log  zerolog.Logger

	mu      sync.Mutex
	hosts   map[string]*host
	lru     list.List // *host, least recently heard at the front
	addrIdx map[netip.Addr]string
	checks  chan string
	urgent  chan string
	stats   Stats
	// pending are events waiting to be delivered by Run's goroutine, so
	// that a slow OnEvent never holds the listener; wake tells Run.
	pending []Event
	wake    chan struct{}

	trig *trigger
}

// New returns a sensor for one site.
func New(opts Options) *Sensor {
	if opts.MaxHosts <= 0 {
		opts.MaxHosts = DefaultMaxHosts
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = DefaultFlushEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.InScope == nil {
		opts.InScope = func(netip.Addr) bool { return true }
	}
	s := &Sensor{
		opts: opts, log: opts.Log.With().Str("component", "sense").Str("site", opts.Site).Logger(),
		hosts: map[string]*host{}, addrIdx: map[netip.Addr]string{}, checks: make(chan string, checkQueue),
		urgent: make(chan string, urgentQueue), wake: make(chan struct{}, 1),
	}
	s.trig = newTrigger(opts.ProbeBudget, opts.CameraLike, opts.Now)
	return s
}

// Stats returns the counters so far.
func (s *Sensor) Stats() Stats {
	s.mu.Lock()
	st := s.stats
	st.Hosts = len(s.hosts)
	s.mu.Unlock()
	st.Probes = s.trig.stats()
	return st
}

func hostKey(h link.Heard) string {
	if h.MAC != "" {
		return h.MAC
	}
	return "ip:" + h.Addr.String()
}

// relevant reports whether what was heard concerns the site.
func (s *Sensor) relevant(h link.Heard) bool {
	switch {
	case h.Addr.IsValid():
		return h.Foreign || s.opts.InScope(h.Addr)
	default:
		return h.MAC != "" // a DHCP client before its address: on this link
	}
}

// Heard takes one thing the listener heard. It never blocks: the listener
// must keep up with the wire.
func (s *Sensor) Heard(h link.Heard) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Frames++
	if !s.relevant(h) {
		return
	}
	s.stats.Relevant++
	now := h.At
	if now.IsZero() {
		now = s.opts.Now()
	}
	k := hostKey(h)
	ho := s.hosts[k]
	if ho == nil {
		for len(s.hosts) >= s.opts.MaxHosts {
			s.evictLocked()
		}
		ho = &host{key: k, mac: h.MAC, first: now, routed: h.MAC == ""}
		ho.excluded = h.MAC != "" && s.opts.ExcludedMAC != nil && s.opts.ExcludedMAC(h.MAC)
		ho.elem = s.lru.PushBack(ho)
		s.hosts[k] = ho
	} else {
		s.lru.MoveToBack(ho.elem)
	}
	ho.last, ho.dirty = now, true
	ho.foreign = ho.foreign || h.Foreign
	if !slices.Contains(ho.heard, h.Proto) && len(ho.heard) < 16 {
		ho.heard = append(ho.heard, h.Proto)
	}
	if room := maxHostEvidence - len(ho.evidence); room > 0 {
		ev := h.Evidence
		if len(ev) > room {
			ev = ev[:room]
		}
		ho.evidence = evidence.AppendNew(ho.evidence, ev...)
	}
	if h.Addr.IsValid() {
		s.seenAtLocked(ho, h.Addr, now)
	}
	if ho.excluded {
		return
	}
	if !ho.checked {
		if !ho.queued {
			s.queueCheckLocked(ho)
		}
		return
	}
	switch {
	case ho.unprobed && h.Addr.IsValid():
		ho.unprobed = false
		s.triggerLocked(ho, NewDevice, h.Addr)
	case ho.refused != "" && h.Addr.IsValid():
		// Refused while the budget was spent: asked again with what it
		// said since, which may rank it a camera now.
		s.triggerLocked(ho, ho.refused, h.Addr)
	}
}

// queueCheckLocked queues ho for the history. When a flood of new MACs has
// filled the queue, a camera-like host still gets in, ahead of the flood;
// the rest are tried again at their next frame. CameraLike is asked only
// then, so the fingerprint costs nothing in normal times.
func (s *Sensor) queueCheckLocked(ho *host) {
	select {
	case s.checks <- ho.key:
		ho.queued = true
		return
	default:
	}
	if s.opts.CameraLike != nil && s.opts.CameraLike(ho.evidence) {
		select {
		case s.urgent <- ho.key:
			ho.queued = true
			return
		default:
		}
	}
	s.stats.CheckDropped++
}

// seenAtLocked notes that ho was heard at addr, and that addr changed
// hands when another host held it.
func (s *Sensor) seenAtLocked(ho *host, addr netip.Addr, now time.Time) {
	i := slices.IndexFunc(ho.addrs, func(a hostSeen) bool { return a.addr == addr })
	if i >= 0 {
		ho.addrs[i].last = now
	} else {
		if len(ho.addrs) >= maxHostAddrs {
			// The address forgotten leaves the index too: a host
			// claiming a new address in every frame must not grow it.
			if old := ho.addrs[0].addr; s.addrIdx[old] == ho.key {
				delete(s.addrIdx, old)
			}
			ho.addrs = ho.addrs[1:]
		}
		ho.addrs = append(ho.addrs, hostSeen{addr: addr, first: now, last: now})
	}
	owner, had := s.addrIdx[addr]
	s.addrIdx[addr] = ho.key
	if !had || owner == ho.key || ho.mac == "" || !ho.checked || ho.excluded {
		return
	}
	prev := s.hosts[owner]
	if prev == nil || prev.mac == "" {
		return
	}
	// A host already known to the history took an address another MAC
	// held: the change is visible without asking the history.
	s.emitLocked(ho, MACChanged, addr, prev.mac)
	s.triggerLocked(ho, MACChanged, addr)
}

// evictLocked drops the least recently heard host. Its last-seen time
// reaches the history only if it was flushed; under a flood that is the
// price of a bounded memory, and it is counted.
func (s *Sensor) evictLocked() {
	e := s.lru.Front()
	if e == nil {
		return
	}
	ho := e.Value.(*host)
	s.lru.Remove(e)
	delete(s.hosts, ho.key)
	for _, a := range ho.addrs {
		if s.addrIdx[a.addr] == ho.key {
			delete(s.addrIdx, a.addr)
		}
	}
	s.stats.Evicted++
}

// emitLocked reports an event; OnEvent runs after the lock is released.
func (s *Sensor) emitLocked(ho *host, kind string, addr netip.Addr, prevMAC string) {
	switch {
	case kind == NewDevice:
		s.stats.DevicesFirstSeen++
		if prevMAC != "" {
			s.stats.MACChanges++
		}
	case kind == MACChanged:
		s.stats.MACChanges++
	}
	if s.opts.OnEvent == nil {
		return
	}
	ev := Event{
		Site: s.opts.Site, Kind: kind, Addr: addr, MAC: ho.mac, PrevMAC: prevMAC, FirstHeard: ho.first,
		Heard: slices.Clone(ho.heard), Foreign: ho.foreign, Routed: ho.routed, Evidence: slices.Clone(ho.evidence),
	}
	if len(s.pending) < checkQueue {
		s.pending = append(s.pending, ev)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// triggerLocked asks for a look at ho at addr.
func (s *Sensor) triggerLocked(ho *host, reason string, addr netip.Addr) {
	if s.opts.Probe == nil {
		return
	}
	again := ho.refused != ""
	ok := s.trig.enqueue(Target{
		Site: s.opts.Site, Reason: reason, Addr: addr, MAC: ho.mac, FirstHeard: ho.first, Foreign: ho.foreign,
		Evidence: slices.Clone(ho.evidence),
	}, again)
	ho.refused = ""
	if !ok {
		ho.refused = reason
	}
}

// Run checks new hosts against the history, delivers events, runs the
// triggered probes and flushes first and last seen to the history, until
// ctx ends; then it flushes once more and returns nil.
func (s *Sensor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if s.opts.Probe != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.trig.run(ctx, s.opts.Probe, s.opts.AfterProbe, s.log)
		}()
	}
	defer wg.Wait()
	flush := time.NewTicker(s.opts.FlushEvery)
	defer flush.Stop()
	trim := time.NewTicker(trimEvery)
	defer trim.Stop()
	for {
		select {
		case <-ctx.Done():
			// The last seen times of the last moments still count.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			s.flush(fctx)
			cancel()
			return nil
		case k := <-s.urgent:
			s.checkBatch(ctx, k)
		case k := <-s.checks:
			s.checkBatch(ctx, k)
		case <-s.wake:
			s.deliver()
		case <-flush.C:
			s.flush(ctx)
		case <-trim.C:
			if s.opts.History != nil {
				if n, err := s.opts.History.TrimHeard(ctx, s.opts.Site, store.MaxHeardPerSite); err != nil {
					s.historyError(err, "heard rows not trimmed")
				} else if n > 0 {
					s.log.Warn().Int64("rows", n).Int("cap", store.MaxHeardPerSite).Msg("oldest heard rows dropped: more hosts heard than the history keeps")
				}
			}
		}
	}
}

// checkBatch checks k and what else waits, camera-like hosts that found
// the queue full first, then delivers and flushes.
func (s *Sensor) checkBatch(ctx context.Context, k string) {
	batch := []string{k}
	for _, ch := range []chan string{s.urgent, s.checks} {
	drain:
		for len(batch) < checkBatch {
			select {
			case k := <-ch:
				batch = append(batch, k)
			default:
				break drain
			}
		}
	}
	s.check(ctx, batch)
	s.deliver()
	s.flush(ctx)
}

func (s *Sensor) historyError(err error, msg string) {
	s.mu.Lock()
	s.stats.HistoryErrors++
	s.mu.Unlock()
	s.log.Error().Err(err).Msg(msg)
}

// check asks the history whether the hosts of keys are new, and emits and
// triggers what is.
func (s *Sensor) check(ctx context.Context, keys []string) {
	var (
		macs  []string
		addrs []netip.Addr
	)
	s.mu.Lock()
	for _, k := range keys {
		ho := s.hosts[k]
		if ho == nil || ho.checked {
			continue
		}
		if ho.mac != "" {
			macs = append(macs, ho.mac)
		}
		for _, a := range ho.addrs {
			addrs = append(addrs, a.addr)
		}
	}
	s.mu.Unlock()
	var known store.Known
	if s.opts.History != nil && (len(macs) > 0 || len(addrs) > 0) {
		var err error
		known, err = s.opts.History.LookupKnown(ctx, s.opts.Site, macs, addrs)
		if err != nil {
			if ctx.Err() == nil {
				s.historyError(err, "history not read: hosts are checked again at their next frame")
			}
			s.mu.Lock()
			for _, k := range keys {
				if ho := s.hosts[k]; ho != nil {
					ho.queued = false
				}
			}
			s.mu.Unlock()
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		ho := s.hosts[k]
		if ho == nil || ho.checked {
			continue
		}
		ho.queued, ho.checked = false, true
		var addr netip.Addr
		if n := len(ho.addrs); n > 0 {
			addr = ho.addrs[n-1].addr
		}
		isNew := s.opts.History == nil
		prev := ""
		if ho.mac != "" {
			isNew = isNew || !known.MACs[ho.mac]
			for _, a := range ho.addrs {
				if m := known.AddrMAC[a.addr]; m != "" && m != ho.mac {
					prev, addr = m, a.addr
				}
			}
		} else {
			isNew = isNew || !known.Addrs[addr]
		}
		switch {
		case isNew:
			s.emitLocked(ho, NewDevice, addr, prev)
			if addr.IsValid() {
				s.triggerLocked(ho, NewDevice, addr)
			} else {
				ho.unprobed = true
			}
		case prev != "":
			s.emitLocked(ho, MACChanged, addr, prev)
			s.triggerLocked(ho, MACChanged, addr)
		}
	}
}

// deliver hands pending events to OnEvent.
func (s *Sensor) deliver() {
	s.mu.Lock()
	evs := s.pending
	s.pending = nil
	s.mu.Unlock()
	if s.opts.OnEvent == nil {
		return
	}
	for _, ev := range evs {
		s.opts.OnEvent(ev)
	}
}

// flush writes first and last seen of every host heard since the last
// flush: one row per MAC and address.
func (s *Sensor) flush(ctx context.Context) {
	if s.opts.History == nil {
		return
	}
	var rows []store.HeardRow
	s.mu.Lock()
	for _, ho := range s.hosts {
		if !ho.dirty {
			continue
		}
		ho.dirty = false
		heard := slices.Clone(ho.heard)
		if len(ho.addrs) == 0 {
			rows = append(rows, store.HeardRow{Site: s.opts.Site, MAC: ho.mac, FirstSeen: ho.first, LastSeen: ho.last, Heard: heard})
		}
		for _, a := range ho.addrs {
			rows = append(rows, store.HeardRow{Site: s.opts.Site, MAC: ho.mac, Addr: a.addr, FirstSeen: a.first, LastSeen: a.last, Heard: heard})
		}
	}
	s.mu.Unlock()
	if err := s.opts.History.RecordHeard(ctx, s.opts.Site, rows); err != nil && ctx.Err() == nil {
		s.historyError(err, "heard hosts not recorded")
	}
}
