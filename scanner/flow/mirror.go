package flow

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/miekg/dns"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// FrameReader is where the mirror gets its frames: scanner's FrameConn (a
// raw socket on a SPAN port, a pcap replay) fits it, and so will the
// daemon's shared passive listener.
type FrameReader interface {
	ReadFrame(ctx context.Context) ([]byte, error)
}

// maxExpectations bounds the RTP flows awaited from RTSP SETUPs.
const maxExpectations = 4096

// expectationTTL is how long a SETUP's client ports are awaited.
const expectationTTL = 2 * time.Minute

// Mirror turns the frames of a mirror (SPAN) port into flows and DNS
// lookups. It reads headers and the first bytes of TCP segments (an RTSP
// or HTTP start line and a few headers) and keeps no payload. Safe for
// concurrent use; frames are decoded one at a time.
type Mirror struct {
	table *Table
	dns   *DNSTable

	mu      sync.Mutex
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	pay     gopacket.Payload
	dnsMsg  dns.Msg
	// expect holds RTP flows an RTSP SETUP negotiated, so their UDP is
	// known for video however its ports look.
	expect map[expectKey]time.Time
	stats  MirrorStats
}

// MirrorStats counts a mirror's frames.
type MirrorStats struct {
	Frames uint64
	// Undecodable frames carried no IPv4/IPv6 TCP or UDP we could read
	// (ARP, fragments after the first, other protocols).
	Undecodable uint64
	Heads       uint64 // RTSP/HTTP heads read
	DNSQueries  uint64
	// Panics counts frames a decoder panicked on (none known; the
	// fuzz targets look for them).
	Panics uint64
	// ExpectationsDropped counts SETUPs not remembered because the
	// expectation table was full.
	ExpectationsDropped uint64
}

type expectKey struct {
	server, client netip.Addr
	clientPort     uint16
}

// NewMirror makes a mirror that feeds table and, when dns is not nil,
// records lookups of camera makers' cloud names there.
func NewMirror(table *Table, dns *DNSTable) *Mirror {
	m := &Mirror{table: table, dns: dns, expect: map[expectKey]time.Time{}}
	m.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet,
		&m.eth, &m.dot1q, &m.ip4, &m.ip6, &m.tcp, &m.udp, &m.pay)
	m.parser.IgnoreUnsupported = true
	m.decoded = make([]gopacket.LayerType, 0, 8)
	return m
}

// Run reads frames from src until ctx ends or src runs dry (io.EOF, the
// end of a replay), observing each at the time it is read.
func (m *Mirror) Run(ctx context.Context, src FrameReader) error {
	for {
		frame, err := src.ReadFrame(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		m.Observe(frame, time.Now())
	}
}

// Stats returns the mirror's counters.
func (m *Mirror) Stats() MirrorStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Observe takes one Ethernet frame seen at at.
func (m *Mirror) Observe(frame []byte, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		// A decoder bug on one hostile frame must cost that frame, not
		// the daemon's passive listener.
		if r := recover(); r != nil {
			m.stats.Panics++
		}
	}()
	m.stats.Frames++
	m.decoded = m.decoded[:0]
	// DecodingLayerParser stops at the first layer it cannot decode and
	// says so in err; what it decoded so far is still usable.
	_ = m.parser.DecodeLayers(frame, &m.decoded)
	var (
		src, dst netip.Addr
		ipLen    uint64
		haveIP   bool
	)
	for _, lt := range m.decoded {
		switch lt {
		case layers.LayerTypeIPv4:
			if m.ip4.Flags&layers.IPv4MoreFragments != 0 || m.ip4.FragOffset != 0 {
				// Only whole datagrams carry both ports.
				m.stats.Undecodable++
				return
			}
			src, _ = netip.AddrFromSlice(m.ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(m.ip4.DstIP.To4())
			ipLen, haveIP = uint64(m.ip4.Length), true
		case layers.LayerTypeIPv6:
			src, _ = netip.AddrFromSlice(m.ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(m.ip6.DstIP)
			ipLen, haveIP = uint64(m.ip6.Length)+40, true
		case layers.LayerTypeTCP:
			if haveIP {
				m.observeTCP(src, dst, ipLen, at)
				return
			}
		case layers.LayerTypeUDP:
			if haveIP {
				m.observeUDP(src, dst, ipLen, at)
				return
			}
		}
	}
	m.stats.Undecodable++
}

func (m *Mirror) observeTCP(src, dst netip.Addr, n uint64, at time.Time) {
	t := &m.tcp
	r := Record{
		Src: netip.AddrPortFrom(src, uint16(t.SrcPort)), Dst: netip.AddrPortFrom(dst, uint16(t.DstPort)),
		Proto: 6, Bytes: n, Packets: 1, Start: at, End: at, Source: evidence.SourceMirror,
	}
	switch {
	case t.SYN && !t.ACK:
		r.Role = RoleSrcClient
	case t.SYN && t.ACK:
		r.Role = RoleSrcServer
	}
	if len(t.Payload) > 0 {
		if h, ok := parseHead(t.Payload); ok {
			m.stats.Heads++
			m.applyHead(&r, h, src, dst, at)
		}
	}
	m.table.Add(r)
}

// applyHead turns what an RTSP or HTTP head says into the record's role
// and video sign, and remembers the RTP ports a SETUP asks for.
func (m *Mirror) applyHead(r *Record, h head, src, dst netip.Addr, at time.Time) {
	if h.response {
		r.Role = RoleSrcServer
	} else {
		r.Role = RoleSrcClient
	}
	switch {
	case h.rtsp && h.method == "PLAY":
		r.Video = evidence.VideoRTSPPlay
	case h.tunnel:
		r.Video = evidence.VideoRTSPHTTP
	case h.mjpeg && h.response:
		r.Video = evidence.VideoMJPEG
	}
	if h.rtsp && h.method == "SETUP" {
		for _, p := range h.clientPorts {
			m.expectRTP(expectKey{server: dst, client: src, clientPort: p}, at)
		}
	}
}

func (m *Mirror) expectRTP(k expectKey, at time.Time) {
	if _, ok := m.expect[k]; !ok && len(m.expect) >= maxExpectations {
		for old, t := range m.expect {
			if at.Sub(t) > expectationTTL {
				delete(m.expect, old)
			}
		}
		if len(m.expect) >= maxExpectations {
			m.stats.ExpectationsDropped++
			return
		}
	}
	m.expect[k] = at
}

func (m *Mirror) observeUDP(src, dst netip.Addr, n uint64, at time.Time) {
	u := &m.udp
	r := Record{
		Src: netip.AddrPortFrom(src, uint16(u.SrcPort)), Dst: netip.AddrPortFrom(dst, uint16(u.DstPort)),
		Proto: 17, Bytes: n, Packets: 1, Start: at, End: at, Source: evidence.SourceMirror,
	}
	if t, ok := m.expect[expectKey{server: src, client: dst, clientPort: uint16(u.DstPort)}]; ok && at.Sub(t) <= expectationTTL {
		r.Role, r.Video = RoleSrcServer, evidence.VideoRTP
	}
	if u.DstPort == 53 && m.dns != nil && len(u.Payload) > 0 {
		m.observeDNS(src, u.Payload, at)
	}
	m.table.Add(r)
}

// observeDNS records the questions of a DNS query that name a maker's
// cloud. Answers and other names are not kept. miekg/dns decodes: gopacket
// 1.1.19's DNS layer panics on some malformed records (found by
// FuzzMirrorObserve).
func (m *Mirror) observeDNS(client netip.Addr, payload []byte, at time.Time) {
	m.dnsMsg = dns.Msg{}
	if err := m.dnsMsg.Unpack(payload); err != nil || m.dnsMsg.Response {
		return
	}
	m.stats.DNSQueries++
	for i, q := range m.dnsMsg.Question {
		if i == 8 {
			break
		}
		m.dns.Add(client, q.Name, at)
	}
}
