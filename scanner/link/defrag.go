package link

import (
	"container/list"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/ip4defrag"
	"github.com/google/gopacket/layers"
)

// Default bounds of the reassembly the passive listener does. A WS-Discovery
// Hello with a long scope list (1.5-1.7 kB) arrives as two fragments; the
// largest UDP datagram at a 1500-byte MTU is 45. Any station on the segment
// can send fragments that never complete, so what is held waiting is capped
// in count, in bytes and in time, and the oldest waiting datagram is
// dropped first when a cap is reached.
const (
	DefaultDefragDatagrams = 256              // datagrams being reassembled at once
	DefaultDefragFragments = 64               // fragments held for one datagram
	DefaultDefragBytes     = 4 << 20          // bytes held for all of them
	DefaultDefragTimeout   = 15 * time.Second // RFC 791's suggested lower bound for the reassembly timer
)

// DefragLimits bound a Defragmenter; zero fields take the defaults.
type DefragLimits struct {
	Datagrams int
	Fragments int
	Bytes     int
	Timeout   time.Duration
}

func (l DefragLimits) withDefaults() DefragLimits {
	if l.Datagrams <= 0 {
		l.Datagrams = DefaultDefragDatagrams
	}
	if l.Fragments <= 0 {
		l.Fragments = DefaultDefragFragments
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultDefragBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultDefragTimeout
	}
	return l
}

// DefragStats counts what a Defragmenter did with the fragments it was given.
type DefragStats struct {
	Fragments   uint64 // fragments offered
	Reassembled uint64 // datagrams completed
	// Refused fragments were malformed or truncated (options, a payload
	// shorter than the header says, overlaps ip4defrag rejects).
	Refused uint64
	// Expired datagrams waited longer than the timeout; Evicted ones were
	// dropped, oldest first, to make room under a cap.
	Expired, Evicted uint64
	Held             int // datagrams waiting now
	HeldBytes        int // bytes waiting now
}

// fragKey is RFC 791's reassembly key.
type fragKey struct {
	src, dst netip.Addr
	id       uint16
	proto    layers.IPProtocol
}

// fragFlow is one datagram being reassembled. Each has its own
// ip4defrag.IPv4Defragmenter, so that dropping a datagram (on a cap or
// its timeout) is dropping this value: ip4defrag itself keeps every flow
// in one map with no bound and no way to forget one flow.
type fragFlow struct {
	key       fragKey
	started   time.Time
	fragments int
	bytes     int
	d         *ip4defrag.IPv4Defragmenter
	elem      *list.Element
}

// Defragmenter reassembles IPv4 datagrams with gopacket's ip4defrag,
// within DefragLimits. It is not safe for concurrent use: the passive
// listener decodes one frame at a time.
type Defragmenter struct {
	lim   DefragLimits
	flows map[fragKey]*fragFlow
	order list.List // *fragFlow, oldest first
	bytes int
	stats DefragStats
}

// NewDefragmenter returns a Defragmenter held to lim.
func NewDefragmenter(lim DefragLimits) *Defragmenter {
	return &Defragmenter{lim: lim.withDefaults(), flows: map[fragKey]*fragFlow{}}
}

// Stats returns the counters so far.
func (d *Defragmenter) Stats() DefragStats {
	s := d.stats
	s.Held, s.HeldBytes = len(d.flows), d.bytes
	return s
}

// isFragment reports whether ip is part of a fragmented datagram.
func isFragment(ip *layers.IPv4) bool {
	return ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0
}

// Add takes one fragment seen at at, and returns the whole datagram (its
// IPv4 header fields and reassembled payload) when this fragment completes
// it. packet must be the fragment's own copy of the IPv4 bytes: the
// Defragmenter keeps it until the datagram completes or is dropped.
func (d *Defragmenter) Add(packet []byte, at time.Time) (*layers.IPv4, bool) {
	d.stats.Fragments++
	d.expire(at)
	ip := &layers.IPv4{}
	if err := ip.DecodeFromBytes(packet, gopacket.NilDecodeFeedback); err != nil || !isFragment(ip) {
		d.stats.Refused++
		return nil, false
	}
	// ip4defrag counts a fragment's data as Length-20 and slices payloads
	// by it: a header with options, or a payload cut short by the capture,
	// would make it build garbage or index past the end.
	if ip.IHL != 5 || len(ip.Payload) != int(ip.Length)-20 || len(ip.Payload) == 0 {
		d.stats.Refused++
		return nil, false
	}
	src, _ := netip.AddrFromSlice(ip.SrcIP.To4())
	dst, _ := netip.AddrFromSlice(ip.DstIP.To4())
	k := fragKey{src: src, dst: dst, id: ip.Id, proto: ip.Protocol}
	f := d.flows[k]
	if f == nil {
		for len(d.flows) >= d.lim.Datagrams {
			d.evictOldest()
		}
		f = &fragFlow{key: k, started: at, d: ip4defrag.NewIPv4Defragmenter()}
		f.elem = d.order.PushBack(f)
		d.flows[k] = f
	}
	size := len(packet)
	if f.fragments+1 > d.lim.Fragments || f.bytes+size > d.lim.Bytes {
		d.drop(f)
		d.stats.Evicted++
		return nil, false
	}
	// Make room from the other datagrams, oldest first. They hold more
	// than the overshoot, since this one alone stays within the cap.
	for d.bytes+size > d.lim.Bytes {
		e := d.order.Front()
		if e.Value.(*fragFlow) == f {
			e = e.Next()
		}
		d.drop(e.Value.(*fragFlow))
		d.stats.Evicted++
	}
	f.fragments++
	f.bytes += size
	d.bytes += size
	out, err := f.d.DefragIPv4WithTimestamp(ip, at)
	switch {
	case err != nil:
		d.stats.Refused++
		d.drop(f)
		return nil, false
	case out == nil:
		return nil, false
	}
	d.drop(f)
	// ip4defrag sets Length to the payload's length; the header it
	// returns is otherwise the last fragment's.
	if int(out.Length) != len(out.Payload) {
		d.stats.Refused++
		return nil, false
	}
	d.stats.Reassembled++
	return out, true
}

// expire drops datagrams whose first fragment is older than the timeout.
// Flows are ordered by their first fragment, so only the front is looked at.
func (d *Defragmenter) expire(now time.Time) {
	for e := d.order.Front(); e != nil; e = d.order.Front() {
		f := e.Value.(*fragFlow)
		if now.Sub(f.started) < d.lim.Timeout {
			return
		}
		d.drop(f)
		d.stats.Expired++
	}
}

func (d *Defragmenter) evictOldest() {
	if e := d.order.Front(); e != nil {
		d.drop(e.Value.(*fragFlow))
		d.stats.Evicted++
	}
}

func (d *Defragmenter) drop(f *fragFlow) {
	if d.flows[f.key] != f {
		return
	}
	delete(d.flows, f.key)
	d.order.Remove(f.elem)
	d.bytes -= f.bytes
}
