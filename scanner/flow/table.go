package flow

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Defaults for a Table.
const (
	// DefaultMaxFlows bounds a table: about 400 bytes an entry with the
	// map, so 26 MB (BenchmarkTableFlood).
	// A site of 2,000 cameras with a VMS, a viewer and NTP/DNS each needs
	// a few thousand.
	DefaultMaxFlows = 65536
	// DefaultPromoteBytes is the volume at which a flow moves to the
	// protected segment: a flood of small flows cannot push it out.
	DefaultPromoteBytes = 64 << 10
)

// Record is one observation of traffic in one direction, from a frame on a
// mirror port or a decoded NetFlow/IPFIX/sFlow record.
type Record struct {
	Src, Dst netip.AddrPort
	Proto    uint8
	Bytes    uint64
	Packets  uint64
	Start    time.Time
	End      time.Time
	Source   string // evidence.Source*
	// Role says which side is the server when the source knows (a TCP
	// SYN, an RTP flow an RTSP SETUP negotiated); else the table guesses
	// from the ports (see orient).
	Role Role
	// Video is a sign (evidence.Video*) that the flow carries video.
	Video   string
	Sampled bool
}

// Role says which side of a Record is the server.
type Role uint8

// Roles.
const (
	RoleUnknown Role = iota
	RoleSrcClient
	RoleSrcServer
)

// Key identifies a flow entry: a client using one service of a server.
// Client ports are left out, so a recorder's many connections to one
// camera's RTSP port are one entry.
type Key struct {
	Server, Client netip.Addr
	Port           uint16
	Proto          uint8
}

// Table is a bounded flow table. It is a segmented LRU: new flows enter a
// probation segment; a flow that carries DefaultPromoteBytes or shows a
// video sign moves to a protected segment, which holds at most half the
// table. A flood of short flows (a port scan, spoofed sources) evicts only
// other short flows, oldest first, and the recorders' streams stay.
// Safe for concurrent use.
type Table struct {
	mu           sync.Mutex
	max          int
	protectedMax int
	promoteBytes uint64
	watch        []netip.Prefix
	services     map[uint16]bool
	byKey        map[Key]*entry
	probation    list
	protected    list
	stats        TableStats
}

// TableStats counts a table's work since it was made.
type TableStats struct {
	Entries   int
	Protected int
	Records   uint64
	// Unwatched counts records with neither side in the watched prefixes.
	Unwatched uint64
	Evicted   uint64
	Expired   uint64
}

// TableOptions configure NewTable; the zero value is usable.
type TableOptions struct {
	MaxFlows     int
	PromoteBytes uint64
	// Watch limits the table to flows with a side in these prefixes (a
	// sensor's sites). Empty watches everything.
	Watch []netip.Prefix
	// ServicePorts are ports that make a side the server whatever its
	// number (a site's RTSP on 10554); see orient.
	ServicePorts []uint16
}

// NewTable makes an empty table.
func NewTable(opts TableOptions) *Table {
	if opts.MaxFlows <= 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	if opts.PromoteBytes == 0 {
		opts.PromoteBytes = DefaultPromoteBytes
	}
	t := &Table{
		max:          opts.MaxFlows,
		protectedMax: max(opts.MaxFlows/2, 1),
		promoteBytes: opts.PromoteBytes,
		watch:        slices.Clone(opts.Watch),
		services:     map[uint16]bool{},
		byKey:        make(map[Key]*entry, min(opts.MaxFlows, 4096)),
	}
	for _, p := range wellKnownServices {
		t.services[p] = true
	}
	for _, p := range opts.ServicePorts {
		t.services[p] = true
	}
	t.probation.init()
	t.protected.init()
	return t
}

// entry is one flow; times are Unix nanoseconds and sources a bit set, so
// an entry is small and holds no pointers but its list links.
type entry struct {
	key                          Key
	serverBytes, clientBytes     uint64
	serverPackets, clientPackets uint64
	first, last                  int64
	sources                      uint8
	video                        uint8
	sampled                      bool
	protected                    bool
	prev, next                   *entry
}

// Add folds one record into the table.
func (t *Table) Add(r Record) {
	src, dst := r.Src.Addr().Unmap(), r.Dst.Addr().Unmap()
	if !src.IsValid() || !dst.IsValid() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Records++
	if !t.watched(src) && !t.watched(dst) {
		t.stats.Unwatched++
		return
	}
	srcIsServer, e := t.find(src, dst, r)
	if e == nil {
		k := Key{Server: dst, Client: src, Port: r.Dst.Port(), Proto: r.Proto}
		if srcIsServer {
			k = Key{Server: src, Client: dst, Port: r.Src.Port(), Proto: r.Proto}
		}
		e = t.insert(k)
	}
	if srcIsServer {
		e.serverBytes += r.Bytes
		e.serverPackets += r.Packets
	} else {
		e.clientBytes += r.Bytes
		e.clientPackets += r.Packets
	}
	start, end := r.Start, r.End
	if start.IsZero() {
		start = end
	}
	if end.IsZero() {
		end = start
	}
	if !start.IsZero() {
		if s := start.UnixNano(); e.first == 0 || s < e.first {
			e.first = s
		}
		if n := end.UnixNano(); n > e.last {
			e.last = n
		}
	}
	e.sources |= sourceBit(r.Source)
	if v := videoCode(r.Video); v > e.video {
		e.video = v
	}
	e.sampled = e.sampled || r.Sampled
	t.touch(e)
}

// find returns the existing entry for the record in either orientation,
// or the orientation a new entry should take.
func (t *Table) find(src, dst netip.Addr, r Record) (srcIsServer bool, e *entry) {
	asServer := Key{Server: src, Client: dst, Port: r.Src.Port(), Proto: r.Proto}
	asClient := Key{Server: dst, Client: src, Port: r.Dst.Port(), Proto: r.Proto}
	switch r.Role {
	case RoleSrcServer:
		if e := t.byKey[asServer]; e != nil {
			return true, e
		}
		// An entry made earlier by a guess keeps its orientation: one
		// conversation, one entry.
		if e := t.byKey[asClient]; e != nil {
			return false, e
		}
		return true, nil
	case RoleSrcClient:
		if e := t.byKey[asClient]; e != nil {
			return false, e
		}
		if e := t.byKey[asServer]; e != nil {
			return true, e
		}
		return false, nil
	}
	if e := t.byKey[asServer]; e != nil {
		return true, e
	}
	if e := t.byKey[asClient]; e != nil {
		return false, e
	}
	return t.orient(src, dst, r.Src.Port(), r.Dst.Port()), nil
}

// orient guesses whether src is the server of a conversation seen without
// its handshake, as flow collectors do: a service port wins (the site's
// camera ports and the well-known ones below), then a port under 1024,
// then the lower port; equal ports leave it to the lower address.
func (t *Table) orient(src, dst netip.Addr, sp, dp uint16) bool {
	if ss, ds := t.services[sp], t.services[dp]; ss != ds {
		return ss
	}
	if (sp < 1024) != (dp < 1024) {
		return sp < 1024
	}
	if sp != dp {
		return sp < dp
	}
	return src.Less(dst)
}

// wellKnownServices are camera, recorder and infrastructure ports that a
// side serves even when its number is high (Dahua's 37777) or the client
// happened to pick a lower one.
var wellKnownServices = []uint16{
	53, 80, 123, 161, 443, 445, 514, 554, 1935, 2020, 3702, 5353, 7000, 7070,
	7681, 8000, 8080, 8443, 8554, 8899, 9000, 34567, 37020, 37777, 37778, 37810,
}

func (t *Table) watched(a netip.Addr) bool {
	if len(t.watch) == 0 {
		return true
	}
	for _, p := range t.watch {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// insert adds a new entry at the head of probation, evicting when full.
func (t *Table) insert(k Key) *entry {
	if len(t.byKey) >= t.max {
		victim := t.probation.tail()
		if victim == nil {
			victim = t.protected.tail()
		}
		t.remove(victim)
		t.stats.Evicted++
	}
	e := &entry{key: k}
	t.byKey[k] = e
	t.probation.pushFront(e)
	return e
}

func (t *Table) remove(e *entry) {
	if e.protected {
		t.protected.unlink(e)
	} else {
		t.probation.unlink(e)
	}
	delete(t.byKey, e.key)
}

// touch moves e to the head of its segment, promoting it when it has
// earned protection, and demotes the protected segment's oldest when it
// overflows.
func (t *Table) touch(e *entry) {
	if !e.protected && (e.video != 0 || e.serverBytes+e.clientBytes >= t.promoteBytes) {
		t.probation.unlink(e)
		e.protected = true
		t.protected.pushFront(e)
		if t.protected.n > t.protectedMax {
			old := t.protected.tail()
			t.protected.unlink(old)
			old.protected = false
			t.probation.pushFront(old)
		}
		return
	}
	l := &t.probation
	if e.protected {
		l = &t.protected
	}
	l.unlink(e)
	l.pushFront(e)
}

// Expire drops flows last seen before cutoff; it returns how many.
func (t *Table) Expire(cutoff time.Time) int {
	c := cutoff.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.byKey {
		if e.last < c {
			t.remove(e)
			n++
		}
	}
	t.stats.Expired += uint64(n)
	return n
}

// Stats returns the table's counters.
func (t *Table) Stats() TableStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Entries = len(t.byKey)
	s.Protected = t.protected.n
	return s
}

// Flows returns the flows last seen at or after since (all when zero),
// ordered by server, client, port and protocol.
func (t *Table) Flows(since time.Time) []evidence.Flow {
	var c int64
	if !since.IsZero() {
		c = since.UnixNano()
	}
	t.mu.Lock()
	out := make([]evidence.Flow, 0, len(t.byKey))
	for _, e := range t.byKey {
		if e.last < c {
			continue
		}
		out = append(out, e.flow())
	}
	t.mu.Unlock()
	slices.SortFunc(out, compareFlows)
	return out
}

func compareFlows(a, b evidence.Flow) int {
	if c := a.Server.Compare(b.Server); c != 0 {
		return c
	}
	if c := a.Client.Compare(b.Client); c != 0 {
		return c
	}
	if a.Port != b.Port {
		return int(a.Port) - int(b.Port)
	}
	return int(a.Proto) - int(b.Proto)
}

func (e *entry) flow() evidence.Flow {
	f := evidence.Flow{
		Server: e.key.Server, Client: e.key.Client, Port: e.key.Port, Proto: e.key.Proto,
		ServerBytes: e.serverBytes, ClientBytes: e.clientBytes,
		ServerPackets: e.serverPackets, ClientPackets: e.clientPackets,
		Video: videoName(e.video), Sources: sourceNames(e.sources), Sampled: e.sampled,
	}
	if e.first != 0 {
		f.First = time.Unix(0, e.first).UTC()
	}
	if e.last != 0 {
		f.Last = time.Unix(0, e.last).UTC()
	}
	return f
}

var sources = []string{evidence.SourceMirror, evidence.SourceNetFlow, evidence.SourceIPFIX, evidence.SourceSFlow, evidence.SourceNetFlow5}

func sourceBit(s string) uint8 {
	for i, n := range sources {
		if n == s {
			return 1 << i
		}
	}
	return 0
}

func sourceNames(bits uint8) []string {
	out := []string{}
	for i, n := range sources {
		if bits&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// videos are the video signs by code, weakest first, so a higher code is
// the stronger sign.
var videos = []string{"", evidence.VideoMJPEG, evidence.VideoRTP, evidence.VideoRTSPHTTP, evidence.VideoRTSPPlay}

func videoCode(v string) uint8 {
	for i, n := range videos {
		if n == v {
			return uint8(i)
		}
	}
	return 0
}

func videoName(c uint8) string {
	if int(c) < len(videos) {
		return videos[c]
	}
	return ""
}

// list is an intrusive doubly linked list with a sentinel.
type list struct {
	root entry
	n    int
}

func (l *list) init() { l.root.next, l.root.prev = &l.root, &l.root }

func (l *list) pushFront(e *entry) {
	e.prev, e.next = &l.root, l.root.next
	l.root.next.prev = e
	l.root.next = e
	l.n++
}

func (l *list) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	l.n--
}

func (l *list) tail() *entry {
	if l.n == 0 {
		return nil
	}
	return l.root.prev
}
