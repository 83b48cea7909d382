package link

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
)

// passiveMaxRemembered bounds the memory of what was already reported. A
// continuous listener on a busy segment would otherwise grow without end;
// when full the memory is dropped and hosts are reported once more, which
// the consumer merges anyway.
const passiveMaxRemembered = 1 << 16

// PassiveStats counts what a listener saw.
type PassiveStats struct {
	Frames    uint64 // frames read
	Decoded   uint64 // frames that placed a host
	Sightings uint64 // sightings reported by Listen (new information only)
	Routed    uint64 // frames from hosts behind a router (no MAC taken)
	Panics    uint64 // frames a third-party decoder panicked on
	Defrag    DefragStats
}

// Passive reports hosts from what they send on the segment without sending
// a packet: every frame of a host places it (address, MAC, what was heard),
// and the announcements (ARP, DHCP, mDNS, SSDP, WS-Discovery Hello, SADP,
// DHIP) say more. IPv4 fragments are reassembled within DefragLimits. It
// is the first and safest discoverer, and the daemon runs it continuously.
type Passive struct {
	conn FrameConn
	log  zerolog.Logger

	mu         sync.Mutex
	dec        *Decoder
	remembered map[uint64]struct{}
	sightings  uint64
	panics     uint64
}

// NewPassive listens on conn, which is never written to: Passive only
// reads. opts carry the interface whose subnets attribution needs.
func NewPassive(conn FrameConn, opts DecoderOptions, log zerolog.Logger) *Passive {
	return &Passive{
		conn: conn, log: log.With().Str("probe", "passive").Logger(),
		dec: NewDecoder(opts), remembered: map[uint64]struct{}{},
	}
}

// Stats returns the counters so far.
func (p *Passive) Stats() PassiveStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	ds := p.dec.Stats()
	return PassiveStats{Frames: ds.Frames, Decoded: ds.Decoded, Sightings: p.sightings, Routed: ds.Routed, Panics: p.panics, Defrag: ds.Defrag}
}

// Hear reads frames until ctx ends (nil) or the source ends (nil at
// io.EOF, the end of a replay), and calls heard for what every frame says,
// from this goroutine only: the daemon's sensor keeps first and last seen
// from it.
func (p *Passive) Hear(ctx context.Context, heard func(Heard)) error {
	for {
		frame, err := p.conn.ReadFrame(ctx)
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.Is(err, io.EOF):
			return nil
		default:
			return fmt.Errorf("scanner: passive: %w", err)
		}
		for _, h := range p.decodeSafely(frame, time.Now()) {
			heard(h)
		}
	}
}

// Listen is Hear for a sweep: each new fact about a host is reported once.
// A sighting may have no address (a DHCP DISCOVER from a host that has
// none yet): it is then identified by its MAC alone.
func (p *Passive) Listen(ctx context.Context, found func(scanner.Sighting)) error {
	return p.ListenKeep(ctx, nil, found)
}

// ListenKeep is Listen reporting only what keep accepts (nil: all). A
// sweep keeps a host behind a router only when its address is in the
// scope: the sensor's own traffic with the rest of the world (its DNS
// server, the sites it talks to) is heard too, and is not the sweep's.
func (p *Passive) ListenKeep(ctx context.Context, keep func(Heard) bool, found func(scanner.Sighting)) error {
	return p.Hear(ctx, func(h Heard) {
		if (keep == nil || keep(h)) && p.fresh(h.Sighting) {
			found(h.Sighting)
		}
	})
}

// decodeSafely decodes one frame and survives a panic in the third-party
// layer decoders: any station on the segment can send us any bytes, and
// one malformed frame must cost that frame, not the listener.
func (p *Passive) decodeSafely(frame []byte, at time.Time) (hs []Heard) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			p.panics++
			p.log.Warn().Interface("panic", r).Int("frame_bytes", len(frame)).Msg("malformed frame dropped")
			hs = nil
		}
	}()
	return p.dec.Decode(frame, at)
}

// fresh reports whether s says something not reported before.
func (p *Passive) fresh(s scanner.Sighting) bool {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s", s.Addr, s.MAC)
	for _, e := range s.Evidence {
		fmt.Fprintf(h, "|%s=%s", e.Field, e.Value)
	}
	k := h.Sum64()
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.remembered[k]; ok {
		return false
	}
	if len(p.remembered) >= passiveMaxRemembered {
		clear(p.remembered)
	}
	p.remembered[k] = struct{}{}
	p.sightings++
	return true
}
