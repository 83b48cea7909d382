package sweep

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/fingerprint"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// startPersonas serves every persona on its own loopback address.
func startPersonas(t *testing.T, base netip.Prefix) *scantest.Network {
	t.Helper()
	personas, err := scantest.Personas()
	if err != nil {
		t.Fatal(err)
	}
	var hosts []scantest.HostSpec
	for _, p := range personas {
		hosts = append(hosts, scantest.HostSpec{Persona: p})
	}
	n := scantest.StartTB(t, hosts, scantest.Options{Base: base, Logger: zerolog.Nop()})
	return n
}

func loopbackConfig(n *scantest.Network, profile string) Config {
	var targets []string
	for _, h := range n.Hosts {
		targets = append(targets, h.Addr.String())
	}
	return Config{
		Site:           "TEST",
		Targets:        targets,
		Ports:          n.PortSpec(),
		Profile:        profile,
		Rate:           2000,
		ConnectTimeout: 500 * time.Millisecond,
		ProbeTimeout:   1500 * time.Millisecond,
		HostTimeout:    6 * time.Second,
		UDPPorts:       map[string]uint16{"ssdp": scantest.DefaultPorts()["ssdp"], "mdns": scantest.DefaultPorts()["mdns"]},
	}
}

// TestPersonasIdentifiedEndToEnd runs the real pipeline (scanner probes,
// fingerprint rules) over every persona. The scanner sees only what the
// fakes say on the wire; Truth is used here, for scoring, and nowhere else.
func TestPersonasIdentifiedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end sweep of every persona")
	}
	n := startPersonas(t, scantest.RandomBase())
	fp, err := fingerprint.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, profile := range []string{ProfileGentle, ProfileFull} {
		t.Run(profile, func(t *testing.T) {
			rep, err := Run(context.Background(), loopbackConfig(n, profile), fp, zerolog.Nop(), nil)
			if err != nil {
				t.Fatal(err)
			}
			byAddr := map[netip.Addr]inventory.Device{}
			for _, d := range rep.Devices {
				byAddr[d.IP] = d
			}
			for _, h := range n.Hosts {
				truth := h.Persona.Truth
				d, found := byAddr[h.Addr]
				switch {
				case h.Persona.Hostile != "":
					if found && d.IsCameraLike() {
						t.Errorf("%s (%s): hostile device classed %s", h.Persona.Name, h.Addr, d.Class)
					}
				case evidence.Class(truth.Class).IsVideo():
					if !found {
						t.Errorf("%s (%s): camera not found", h.Persona.Name, h.Addr)
						continue
					}
					if d.Class != truth.Class || !strings.EqualFold(d.Manufacturer, truth.Manufacturer) || !strings.EqualFold(d.Brand, truth.Brand) {
						t.Errorf("%s: got class=%s brand=%q manufacturer=%q, want %s %q %q\n  why: %v", h.Persona.Name,
							d.Class, d.Brand, d.Manufacturer, truth.Class, truth.Brand, truth.Manufacturer, d.Why)
					}
				default:
					if found && d.IsCameraLike() {
						t.Errorf("%s: non-camera classed %s (%s %s); why: %v", h.Persona.Name, d.Class, d.Brand, d.Manufacturer, d.Why)
					}
				}
			}
			if rep.Stats.HostsTimedOut > 0 {
				t.Logf("%d host(s) hit the per-host deadline", rep.Stats.HostsTimedOut)
			}
		})
	}
}
