package datagram

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/rs/zerolog"
)

// multicastInterfaces picks the interfaces a discoverer queries: the given
// ones, or else every interface that is up, multicast-capable, not loopback
// and has an IPv4 address.
func multicastInterfaces(given []net.Interface) ([]net.Interface, error) {
	if len(given) > 0 {
		return given, nil
	}
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("scanner: list interfaces: %w", err)
	}
	var out []net.Interface
	for _, ifi := range all {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		if hasIPv4(ifi) {
			out = append(out, ifi)
		}
	}
	return out, nil
}

func hasIPv4(ifi net.Interface) bool {
	addrs, err := ifi.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return true
		}
	}
	return false
}

// Sightings gathers one round's answers per sender address, so a device that
// answers twice (to each typed probe, or on a retry) is one sighting with its
// evidence once.
type Sightings struct {
	order []netip.Addr
	hosts map[netip.Addr]*scanner.Sighting
	seen  map[netip.Addr]map[evidence.Evidence]struct{}
}

func NewSightings() *Sightings {
	return &Sightings{hosts: map[netip.Addr]*scanner.Sighting{}, seen: map[netip.Addr]map[evidence.Evidence]struct{}{}}
}

// Add records evidence from src, dropping exact repeats.
func (s *Sightings) Add(src netip.Addr, ev []evidence.Evidence) {
	if len(ev) == 0 {
		return
	}
	h, ok := s.hosts[src]
	if !ok {
		h = &scanner.Sighting{Addr: src}
		s.hosts[src] = h
		s.seen[src] = map[evidence.Evidence]struct{}{}
		s.order = append(s.order, src)
	}
	for _, e := range ev {
		if _, dup := s.seen[src][e]; dup {
			continue
		}
		if len(h.Evidence) >= scanner.MaxSightingEvidence {
			// A host repeating answers with new values (4096 LOCATIONs)
			// is held to what the engine would keep of it anyway.
			break
		}
		s.seen[src][e] = struct{}{}
		h.Evidence = append(h.Evidence, e)
		if e.Field == "mac" && h.MAC == "" {
			h.MAC = e.Value
		}
	}
}

// Each calls found for every host, in the order they first answered.
func (s *Sightings) Each(found func(scanner.Sighting)) {
	for _, a := range s.order {
		found(*s.hosts[a])
	}
}

// Discover runs one round per interface, in parallel, and reports
// each answering host once per interface, with its evidence merged. An
// interface that fails is logged and skipped; the error is returned only
// when every interface failed.
func Discover(ctx context.Context, given []net.Interface, log zerolog.Logger, found func(scanner.Sighting),
	setup func(net.Interface) (Round, func(netip.Addr, []byte) []evidence.Evidence)) error {
	ifaces, err := multicastInterfaces(given)
	if err != nil {
		return err
	}
	if len(ifaces) == 0 {
		return fmt.Errorf("scanner: multicast discovery: no usable interface")
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures int
		lastErr  error
	)
	fail := func(ifi net.Interface, err error) {
		failures++
		lastErr = err
		log.Warn().Err(err).Str("iface", ifi.Name).Msg("multicast round failed")
	}
	for _, ifi := range ifaces {
		round, parse := setup(ifi)
		// Sockets are opened here, on the caller's thread (see open).
		o, err := round.open(ctx)
		if err != nil {
			mu.Lock()
			fail(ifi, err)
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			s := NewSightings()
			err := o.serve(ctx, func(src netip.Addr, b []byte) { s.Add(src, parse(src, b)) })
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fail(ifi, err)
			}
			s.Each(found)
		})
	}
	wg.Wait()
	if failures == len(ifaces) {
		return lastErr
	}
	return nil
}
