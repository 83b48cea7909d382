package probe_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/rs/zerolog"
)

// TestPersonasOverLoopback runs the protocol probers against every embedded
// persona, each on its own 127.x address, unicast only: WS-Discovery finds
// each ONVIF responder, ONVIF reads device information with the persona's
// credentials (the skewed-clock persona included), SADP and DHIP give model
// and serial, SSDP leads to a parsed description.
func TestPersonasOverLoopback(t *testing.T) {
	personas, err := scantest.Personas()
	if err != nil {
		t.Fatal(err)
	}
	var specs []scantest.HostSpec
	for _, p := range personas {
		if p.ONVIF != nil || p.SADP != nil || p.DHIP != nil || p.UPnP != nil {
			specs = append(specs, scantest.HostSpec{Persona: p})
		}
	}
	n := scantest.StartTB(t, specs, scantest.Options{Base: scantest.RandomBase(), Logger: zerolog.Nop()})
	log := zerolog.Nop()
	wait := probe.DatagramOptions{Wait: time.Second}
	var onvifSeen, sadpSeen, dhipSeen, upnpSeen int
	for _, h := range n.Hosts {
		p := h.Persona
		t.Run(p.Name, func(t *testing.T) {
			tg := scanner.Target{Addr: h.Addr, Dialer: &onlyDialer{addr: h.Addr}}
			if port, ok := h.Ports["http"]; ok {
				tg.Ports = []scanner.Port{{Number: port, Service: "http"}}
			}
			if p.ONVIF != nil {
				onvifSeen++
				got := collect(t, probe.NewWSDProber(wait, log), tg)
				if len(got["wsd.endpoint"]) != 1 || len(got["wsd.xaddrs"]) != 1 {
					t.Errorf("wsd: endpoint %q xaddrs %q", got["wsd.endpoint"], got["wsd.xaddrs"])
				}
				for _, s := range p.ONVIF.Scopes {
					if !slices.Contains(got["wsd.scope"], s) {
						t.Errorf("wsd.scope lacks %q", s)
					}
				}
				creds := probe.Credentials{Username: p.ONVIF.Username, Password: probe.NewSecret(p.ONVIF.Password)}
				for _, e := range got["wsd.xaddrs"] {
					tg.Evidence = append(tg.Evidence, evidence.Evidence{Probe: "wsd", Field: "wsd.xaddrs", Value: e})
				}
				og := collect(t, probe.NewONVIFProber(creds, probe.ONVIFOptions{}, log), tg)
				if g := og["onvif.model"]; len(g) != 1 || g[0] != p.ONVIF.Model {
					t.Errorf("onvif.model = %q, want %q (auth %q)", g, p.ONVIF.Model, og["onvif.auth"])
				}
				wantOne(t, og, "onvif.serial", p.ONVIF.Serial)
				if p.ONVIF.ClockSkew != 0 {
					want := int(p.ONVIF.ClockSkew.Seconds())
					if g := strings.Join(og["onvif.clock_offset_seconds"], ""); !near(g, want) {
						t.Errorf("onvif.clock_offset_seconds = %q, want about %d", g, want)
					}
				}
			}
			if p.SADP != nil {
				sadpSeen++
				got := collect(t, probe.NewSADPProber(wait, log), tg)
				wantOne(t, got, "sadp.model", p.SADP.Description)
				wantOne(t, got, "sadp.serial", p.SADP.Serial)
			}
			if p.DHIP != nil {
				dhipSeen++
				got := collect(t, probe.NewDHIPProber(wait, log), tg)
				wantOne(t, got, "dhip.model", p.DHIP.DeviceType)
				wantOne(t, got, "dhip.serial", p.DHIP.Serial)
			}
			if p.UPnP != nil {
				upnpSeen++
				got := collect(t, probe.NewSSDPProber(probe.SSDPOptions{Port: h.Ports["ssdp"], Wait: time.Second}, log), tg)
				wantOne(t, got, "upnp.model_name", p.UPnP.ModelName)
			}
		})
	}
	t.Logf("onvif %d, sadp %d, dhip %d, upnp %d personas", onvifSeen, sadpSeen, dhipSeen, upnpSeen)
	if onvifSeen == 0 || sadpSeen == 0 || dhipSeen == 0 {
		t.Fatal("the catalogue lacks a protocol this test covers")
	}
}

func near(s string, want int) bool {
	v, err := strconv.Atoi(s)
	return err == nil && v >= want-3 && v <= want+3
}
