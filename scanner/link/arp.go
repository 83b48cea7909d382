package link

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/bits"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rs/zerolog"
)

// Defaults of ARPOptions, chosen so that a sweep's overhead above the time
// its packets take at the rate limit stays under two seconds.
const (
	DefaultARPRetries    = 1
	DefaultARPRetryAfter = 500 * time.Millisecond
	DefaultARPWindow     = time.Second
)

// ARPOptions tune an ARP sweep. The zero value is the documented default.
type ARPOptions struct {
	// Retries is how many more times an unanswered address is asked:
	// 0 means DefaultARPRetries, a negative value none.
	Retries int
	// RetryAfter is the pause between a pass and the retry of what it left
	// unanswered (0: DefaultARPRetryAfter).
	RetryAfter time.Duration
	// Window is how long replies are still read after the last request
	// (0: DefaultARPWindow). Late and gratuitous replies in it count.
	Window time.Duration
	// FactoryDefaults are off-subnet addresses also asked on the segment
	// (nil: FactoryDefaultAddrs). NoFactoryDefaults turns this off.
	FactoryDefaults   []netip.Addr
	NoFactoryDefaults bool
	// Exclude is asked before any request, with mac "": an excluded address
	// is never sent a frame. A MAC is known only from a reply, so a host
	// whose reply carries an excluded MAC (a medical device maker's OUI)
	// has already been asked once; it is then neither reported nor asked
	// again, so nothing further is ever sent to it.
	Exclude func(addr netip.Addr, mac string) bool
	// InScope, when set, drops unsolicited announcements (gratuitous ARP)
	// from on-link hosts outside the scan's scope. Replies to our own
	// requests are in scope by construction.
	InScope func(addr netip.Addr) bool
}

func (o ARPOptions) retries() int {
	switch {
	case o.Retries < 0:
		return 0
	case o.Retries == 0:
		return DefaultARPRetries
	}
	return o.Retries
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ARPStats counts what a sweep did, for the report and the dry-run check.
type ARPStats struct {
	Requests    int // ARP requests sent, retries included
	Retries     int // of which retries
	Asked       int // distinct addresses asked
	Replies     int // ARP frames accepted as answers, duplicates included
	Found       int // sightings reported
	Foreign     int // of which answered for an address outside the interface's subnets
	OffLink     int // targets skipped: not on the interface's subnets (or not IPv4)
	Excluded    int // targets never sent a frame because Exclude said so
	ExcludedMAC int // hosts that answered with an excluded MAC: not reported, not asked again
	MACsDropped int // answers from a MAC beyond the first maxARPMACsPerAddr of an address: noted, not kept
	Duration    time.Duration
}

// ARPSweep finds live hosts on the interface's segment by ARP, including
// cameras left on a factory-default address of another subnet.
type ARPSweep struct {
	conn FrameConn
	ifc  Interface
	opts ARPOptions
	log  zerolog.Logger
}

// NewARPSweep prepares a sweep over conn, which must be open on ifc.
func NewARPSweep(conn FrameConn, ifc Interface, opts ARPOptions, log zerolog.Logger) *ARPSweep {
	return &ARPSweep{conn: conn, ifc: ifc, opts: opts, log: log.With().Str("probe", "arp").Str("interface", ifc.Name).Logger()}
}

// Sweep asks every on-link target once, at the pace wait allows (the
// engine's rate limiter: one call per frame), then asks again what stayed
// silent, and reads replies until the window after the last request
// closes. found is called from one goroutine, never after Sweep returns.
// The only state kept for a silent address is two bits.
func (a *ARPSweep) Sweep(ctx context.Context, targets iter.Seq[netip.Addr], wait func(context.Context) error, found func(scanner.Sighting)) (ARPStats, error) {
	start := time.Now()
	if !a.ifc.Addr.Is4() || len(a.ifc.MAC) != 6 {
		return ARPStats{}, fmt.Errorf("scanner: arp sweep: interface %s has no IPv4 source address or no MAC", a.ifc.Name)
	}
	st := newARPState(a.ifc, a.opts, found)
	readCtx, stopRead := context.WithCancel(ctx)
	readDone := make(chan error, 1)
	go func() { readDone <- a.read(readCtx, st) }()

	err := a.send(ctx, st, targets, wait)
	if err == nil {
		err = sleep(ctx, orDefault(a.opts.Window, DefaultARPWindow))
	}
	stopRead()
	rerr := <-readDone
	stats := st.snapshot()
	stats.Duration = time.Since(start)
	a.log.Debug().Int("requests", stats.Requests).Int("found", stats.Found).Int("foreign", stats.Foreign).
		Dur("duration", stats.Duration).Msg("arp sweep done")
	if err != nil {
		return stats, fmt.Errorf("scanner: arp sweep: %w", err)
	}
	if rerr != nil {
		return stats, fmt.Errorf("scanner: arp sweep: read: %w", rerr)
	}
	return stats, nil
}

// send runs the first pass, the factory-default addresses and the retry
// passes.
func (a *ARPSweep) send(ctx context.Context, st *arpState, targets iter.Seq[netip.Addr], wait func(context.Context) error) error {
	tmpl, err := arpRequestTemplate(a.ifc.MAC, a.ifc.Addr)
	if err != nil {
		return err
	}
	ask := func(addr netip.Addr, retry bool) error {
		if err := wait(ctx); err != nil {
			return err
		}
		frame := append([]byte(nil), tmpl...)
		ip := addr.As4()
		copy(frame[38:42], ip[:])
		if err := a.conn.WriteFrame(frame); err != nil {
			return err
		}
		st.sentOne(retry)
		return nil
	}
	passStart, passSent := time.Now(), 0
	for addr := range targets {
		if !st.admit(addr) {
			continue
		}
		if err := ask(addr, false); err != nil {
			return err
		}
		passSent++
	}
	var defaults []netip.Addr
	if !a.opts.NoFactoryDefaults {
		defaults = a.opts.FactoryDefaults
		if defaults == nil {
			defaults = scanner.FactoryDefaultAddrs()
		}
	}
	for _, d := range defaults {
		// An on-link default is a scope address like any other: asked
		// only if the scope holds it.
		if !d.Is4() || a.ifc.OnLink(d) || !st.admitForeign(d) {
			continue
		}
		if err := ask(d, false); err != nil {
			return err
		}
		passSent++
	}
	for r := 0; r < a.opts.retries(); r++ {
		silent := st.unanswered()
		if len(silent) == 0 {
			break
		}
		// Every address needs RetryAfter between its ask and its retry.
		// Retries go in the order of the asks, at the pace of the pass, so
		// the pause is only what the retries before the last-asked address
		// do not already cover.
		pause := orDefault(a.opts.RetryAfter, DefaultARPRetryAfter)
		if passSent > 0 {
			pace := time.Since(passStart) / time.Duration(passSent)
			pause -= pace * time.Duration(len(silent)-1)
		}
		if pause > 0 {
			if err := sleep(ctx, pause); err != nil {
				return err
			}
			silent = st.unanswered() // answers came in during the pause
		}
		passStart, passSent = time.Now(), 0
		for _, addr := range silent {
			if err := ask(addr, true); err != nil {
				return err
			}
			passSent++
		}
	}
	return nil
}

// read turns ARP frames into sightings until ctx ends.
func (a *ARPSweep) read(ctx context.Context, st *arpState) error {
	for {
		frame, err := a.conn.ReadFrame(ctx)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, io.EOF):
			return nil // a replay ran out; the sweep still waits its window
		default:
			return err
		}
		p, ok := decodeARP(frame)
		if !ok {
			continue
		}
		st.reply(p, a.ifc.MAC)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// arpRequestTemplate builds a broadcast who-has from us; the target
// address (bytes 38-41) is patched per request.
func arpRequestTemplate(mac net.HardwareAddr, src netip.Addr) ([]byte, error) {
	ip := src.As4()
	eth := &layers.Ethernet{SrcMAC: mac, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
	arp := &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest,
		SourceHwAddress: mac, SourceProtAddress: ip[:],
		DstHwAddress: make([]byte, 6), DstProtAddress: make([]byte, 4),
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{}, eth, arp); err != nil {
		return nil, fmt.Errorf("scanner: arp request: %w", err)
	}
	out := buf.Bytes()
	if len(out) < 42 {
		return nil, errors.New("scanner: arp request: frame too short")
	}
	return out, nil
}

// arpPacket is the part of an ARP frame a discoverer uses.
type arpPacket struct {
	EthDst    net.HardwareAddr
	Op        uint16
	SenderMAC net.HardwareAddr
	SenderIP  netip.Addr
	TargetIP  netip.Addr
}

// arpEthIPv4Len is the size of an ARP packet for Ethernet and IPv4: an
// 8-byte header, two 6-byte MACs and two 4-byte addresses.
const arpEthIPv4Len = 8 + 2*6 + 2*4

// decodeARP decodes an Ethernet/IPv4 ARP frame from the wire. Anything
// else, or anything malformed, is not ARP.
func decodeARP(frame []byte) (arpPacket, bool) {
	var eth layers.Ethernet
	var arp layers.ARP
	if err := eth.DecodeFromBytes(frame, gopacket.NilDecodeFeedback); err != nil || eth.EthernetType != layers.EthernetTypeARP {
		return arpPacket{}, false
	}
	// gopacket slices the addresses by the lengths the frame claims without
	// checking them against the frame, so a hostile frame could panic it:
	// accept only the Ethernet/IPv4 shape, whole, before handing it over.
	if p := eth.Payload; len(p) < arpEthIPv4Len || p[4] != 6 || p[5] != 4 {
		return arpPacket{}, false
	}
	if err := arp.DecodeFromBytes(eth.Payload, gopacket.NilDecodeFeedback); err != nil {
		return arpPacket{}, false
	}
	if arp.AddrType != layers.LinkTypeEthernet || arp.Protocol != layers.EthernetTypeIPv4 ||
		arp.HwAddressSize != 6 || arp.ProtAddressSize != 4 ||
		len(arp.SourceHwAddress) != 6 || len(arp.SourceProtAddress) != 4 || len(arp.DstProtAddress) != 4 {
		return arpPacket{}, false
	}
	return arpPacket{
		EthDst:    append(net.HardwareAddr(nil), eth.DstMAC...),
		Op:        arp.Operation,
		SenderMAC: append(net.HardwareAddr(nil), arp.SourceHwAddress...),
		SenderIP:  netip.AddrFrom4([4]byte(arp.SourceProtAddress)),
		TargetIP:  netip.AddrFrom4([4]byte(arp.DstProtAddress)),
	}, true
}

// usableMAC rejects sender addresses no real host has.
func usableMAC(m net.HardwareAddr) bool {
	if len(m) != 6 || m[0]&1 == 1 { // multicast or broadcast
		return false
	}
	return string(m) != "\x00\x00\x00\x00\x00\x00"
}

// maxARPMACsPerAddr bounds the MACs kept (and sighted) for one address.
// One is the rule and two an address conflict; more than a few is a
// station answering for addresses it does not hold (ARP spoofing) or a
// flood, and keeping each would let it grow the sweep's memory for the
// whole ARP window. The first ones are kept; the rest are noted once.
const maxARPMACsPerAddr = 4

// arpState is shared by the sending and the reading goroutine.
type arpState struct {
	mu      sync.Mutex
	ifc     Interface
	opts    ARPOptions
	found   func(scanner.Sighting)
	nets    []*addrBitmap
	foreign map[netip.Addr]bool     // factory defaults asked: answered?
	order   []netip.Addr            // factory defaults in the order asked
	seen    map[netip.Addr][]string // MACs sighted per address, at most maxARPMACsPerAddr
	crowded map[netip.Addr]bool     // addresses more MACs answered for (noted once)
	badMAC  map[string]bool
	stats   ARPStats
}

func newARPState(ifc Interface, opts ARPOptions, found func(scanner.Sighting)) *arpState {
	st := &arpState{ifc: ifc, opts: opts, found: found, foreign: map[netip.Addr]bool{}, seen: map[netip.Addr][]string{}, crowded: map[netip.Addr]bool{}, badMAC: map[string]bool{}}
	for _, p := range ifc.Prefixes {
		if p.Addr().Is4() && p.Bits() >= 8 {
			st.nets = append(st.nets, &addrBitmap{prefix: p.Masked()})
		}
	}
	return st
}

func (st *arpState) bitmapFor(addr netip.Addr) *addrBitmap {
	for _, b := range st.nets {
		if b.prefix.Contains(addr) {
			return b
		}
	}
	return nil
}

// admit decides whether a target is asked, and records it as asked.
func (st *arpState) admit(addr netip.Addr) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	addr = addr.Unmap()
	b := st.bitmapFor(addr)
	if !addr.Is4() || b == nil {
		st.stats.OffLink++
		return false
	}
	if addr == st.ifc.Addr || b.edge(addr) {
		return false
	}
	if st.opts.Exclude != nil && st.opts.Exclude(addr, "") {
		st.stats.Excluded++
		return false
	}
	if !b.setSent(addr) {
		return false // asked already: scopes may overlap
	}
	st.stats.Asked++
	return true
}

func (st *arpState) admitForeign(addr netip.Addr) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.foreign[addr]; ok {
		return false
	}
	if st.opts.Exclude != nil && st.opts.Exclude(addr, "") {
		st.stats.Excluded++
		return false
	}
	st.foreign[addr] = false
	st.order = append(st.order, addr)
	st.stats.Asked++
	return true
}

func (st *arpState) sentOne(retry bool) {
	st.mu.Lock()
	st.stats.Requests++
	if retry {
		st.stats.Retries++
	}
	st.mu.Unlock()
}

// unanswered lists the asked addresses still silent.
func (st *arpState) unanswered() []netip.Addr {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []netip.Addr
	for _, b := range st.nets {
		out = b.appendSilent(out)
	}
	for _, a := range st.order {
		if !st.foreign[a] {
			out = append(out, a)
		}
	}
	return out
}

// reply handles one decoded ARP frame.
func (st *arpState) reply(p arpPacket, self net.HardwareAddr) {
	gratuitous := p.SenderIP == p.TargetIP
	switch {
	case p.Op == layers.ARPReply && (sameMAC(p.EthDst, self) || gratuitous):
	case p.Op == layers.ARPRequest && gratuitous:
	default:
		return // someone else's question, or a reply meant for another host
	}
	if !p.SenderIP.IsValid() || p.SenderIP.IsUnspecified() || p.SenderIP == st.ifc.Addr || !usableMAC(p.SenderMAC) || sameMAC(p.SenderMAC, self) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	addr := p.SenderIP
	asked := false
	if b := st.bitmapFor(addr); b != nil {
		asked = b.sent(addr)
		if !asked && (!gratuitous || st.opts.InScope != nil && !st.opts.InScope(addr)) {
			return
		}
		if st.opts.Exclude != nil && !asked && st.opts.Exclude(addr, "") {
			return
		}
		b.setAnswered(addr)
	} else {
		if _, ok := st.foreign[addr]; !ok {
			return // an off-subnet address we never asked about
		}
		st.foreign[addr] = true
	}
	mac := macString(p.SenderMAC)
	if st.badMAC[mac] {
		return
	}
	if st.opts.Exclude != nil && st.opts.Exclude(addr, mac) {
		st.badMAC[mac] = true
		st.stats.ExcludedMAC++
		return
	}
	st.stats.Replies++
	for _, m := range st.seen[addr] {
		if m == mac {
			return
		}
	}
	foreign := !st.ifc.OnLink(addr)
	if len(st.seen[addr]) >= maxARPMACsPerAddr {
		// Keep the first MACs; that more answered is itself evidence
		// (spoofing or a conflict), reported once for the address.
		st.stats.MACsDropped++
		if st.crowded[addr] {
			return
		}
		st.crowded[addr] = true
		s := scanner.Sighting{Addr: addr, Evidence: []evidence.Evidence{{Probe: "arp", Field: "arp.mac_conflict",
			Value: fmt.Sprintf("more than %d MACs answered for this address", maxARPMACsPerAddr)}}}
		if foreign {
			s.Evidence = append(s.Evidence, evidence.Evidence{Probe: "arp", Field: "arp.foreign_subnet", Value: "true"})
		}
		if st.found != nil {
			st.found(s)
		}
		return
	}
	// Two MACs for one address is an address conflict, itself worth
	// reporting: both are sighted.
	st.seen[addr] = append(st.seen[addr], mac)
	s := scanner.Sighting{Addr: addr, MAC: mac, Evidence: []evidence.Evidence{{Probe: "arp", Field: "mac", Value: mac}}}
	if foreign {
		s.Evidence = append(s.Evidence, evidence.Evidence{Probe: "arp", Field: "arp.foreign_subnet", Value: "true"})
		st.stats.Foreign++
	}
	st.stats.Found++
	if st.found != nil {
		st.found(s)
	}
}

func (st *arpState) snapshot() ARPStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.stats
}

// addrBitmap holds two bits per address of an IPv4 prefix: asked and
// answered. A /22 costs 256 bytes, a /16 16 KiB; allocated on first use.
type addrBitmap struct {
	prefix   netip.Prefix
	asked    []uint64
	answered []uint64
}

func (b *addrBitmap) index(addr netip.Addr) uint32 {
	a, base := addr.As4(), b.prefix.Addr().As4()
	return binary.BigEndian.Uint32(a[:]) - binary.BigEndian.Uint32(base[:])
}

func (b *addrBitmap) size() uint32 { return 1 << (32 - b.prefix.Bits()) }

// edge reports the network and broadcast addresses of subnets that have
// them: nobody answers ARP there.
func (b *addrBitmap) edge(addr netip.Addr) bool {
	if b.prefix.Bits() >= 31 {
		return false
	}
	i := b.index(addr)
	return i == 0 || i == b.size()-1
}

func (b *addrBitmap) alloc() {
	if b.asked == nil {
		n := (b.size() + 63) / 64
		b.asked, b.answered = make([]uint64, n), make([]uint64, n)
	}
}

// setSent marks addr asked; false when it already was.
func (b *addrBitmap) setSent(addr netip.Addr) bool {
	b.alloc()
	i := b.index(addr)
	if b.asked[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	b.asked[i/64] |= 1 << (i % 64)
	return true
}

func (b *addrBitmap) sent(addr netip.Addr) bool {
	if b.asked == nil {
		return false
	}
	i := b.index(addr)
	return b.asked[i/64]&(1<<(i%64)) != 0
}

func (b *addrBitmap) setAnswered(addr netip.Addr) {
	b.alloc()
	i := b.index(addr)
	b.answered[i/64] |= 1 << (i % 64)
}

func (b *addrBitmap) appendSilent(out []netip.Addr) []netip.Addr {
	base := b.prefix.Addr().As4()
	b0 := binary.BigEndian.Uint32(base[:])
	for w := range b.asked {
		silent := b.asked[w] &^ b.answered[w]
		for silent != 0 {
			bit := uint32(bits.TrailingZeros64(silent))
			silent &^= 1 << bit
			var ip [4]byte
			binary.BigEndian.PutUint32(ip[:], b0+uint32(w)*64+bit)
			out = append(out, netip.AddrFrom4(ip))
		}
	}
	return out
}
