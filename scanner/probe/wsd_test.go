package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/rs/zerolog"
)

// onlyDialer dials its one address and refuses every other, as the engine's
// per-host dialer does, so a test fails if a prober goes elsewhere.
type onlyDialer struct {
	addr    netip.Addr
	dials   int
	refused int // dials to any other address: always a test failure
}

func (d *onlyDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if a, err := netip.ParseAddr(host); err != nil || a != d.addr {
		d.refused++
		return nil, fmt.Errorf("test dialer: %s is not the target %s", address, d.addr)
	}
	d.dials++
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

// listenUDP binds addr or skips the test when the loopback address is taken.
func listenUDP(t *testing.T, addr string) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// collect runs a prober and returns field -> values.
// wantOne checks that field came exactly once, with value want.
func wantOne(t *testing.T, got map[string][]string, field, want string) {
	t.Helper()
	if g := got[field]; len(g) != 1 || g[0] != want {
		t.Errorf("%s = %q, want %q", field, g, want)
	}
}

func collect(t *testing.T, p scanner.Prober, tg scanner.Target) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := map[string][]string{}
	err := p.Probe(ctx, tg, func(e evidence.Evidence) {
		if e.Probe != p.Name() {
			t.Errorf("evidence %v carries probe %q, want %q", e, e.Probe, p.Name())
		}
		got[e.Field] = append(got[e.Field], e.Value)
	})
	if err != nil {
		t.Fatalf("%s probe: %v", p.Name(), err)
	}
	return got
}

func onvifPersona(maker, model, serial string, noLB bool) *scantest.ONVIFService {
	return &scantest.ONVIFService{
		Manufacturer: maker, Model: model, Serial: serial, Firmware: "V1.0", HardwareID: "88",
		Types: "dn:NetworkVideoTransmitter tds:Device",
		Scopes: []string{
			"onvif://www.onvif.org/type/video_encoder",
			"onvif://www.onvif.org/name/" + maker,
			"onvif://www.onvif.org/hardware/" + model,
			"onvif://www.onvif.org/location/city/Hiller%C3%B8d",
			"onvif://www.onvif.org/MAC/44-19-B6-0A-0B-0C",
		},
		NoLineBreaks: noLB,
	}
}

// TestWSDUnicastFindsEachResponder: one unicast probe per host, each on its
// own loopback address, no multicast anywhere.
func TestWSDUnicastFindsEachResponder(t *testing.T) {
	type host struct {
		addr    string
		persona *scantest.ONVIFService
		want    map[string]string // field -> one expected value; nil: expect nothing
	}
	sdc := &scantest.ONVIFService{Types: "dpws:Device", Scopes: []string{"sdc.mds.pkp:1.2.840.10004.20701.1.1"}}
	hosts := []host{
		{"127.77.204.10", onvifPersona("HIKVISION", "DS-2CD2143G2-I", "S1", false), map[string]string{
			"wsd.hardware": "DS-2CD2143G2-I", "wsd.name": "HIKVISION", "wsd.location": "city/Hillerød",
			"wsd.mac": "44:19:b6:0a:0b:0c", "wsd.xaddrs": "http://127.77.204.10:10080/onvif/device_service",
			"wsd.types": "dn:NetworkVideoTransmitter tds:Device",
		}},
		{"127.77.204.11", onvifPersona("Dahua", "IPC-HDW2431T", "S2", false), map[string]string{"wsd.hardware": "IPC-HDW2431T"}},
		{"127.77.204.12", onvifPersona("Annke", "C500", "S3", true), map[string]string{"wsd.hardware": "C500"}},
		// A device of another type must stay silent to typed probes; if it
		// answered (as some stacks do), it would still not be ONVIF.
		{"127.77.204.13", sdc, nil},
	}
	for _, h := range hosts {
		pc := listenUDP(t, h.addr+":3702")
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go scantest.ServeWSD(ctx, pc, h.persona, "44:19:b6:0a:0b:0c", "http://"+h.addr+":10080/onvif/device_service")
	}
	p := probe.NewWSDProber(probe.DatagramOptions{Wait: 700 * time.Millisecond}, zerolog.Nop())
	for _, h := range hosts {
		t.Run(h.addr, func(t *testing.T) {
			a := netip.MustParseAddr(h.addr)
			got := collect(t, p, scanner.Target{Addr: a, Dialer: &onlyDialer{addr: a}})
			if h.want == nil {
				if len(got) != 0 {
					t.Fatalf("non-ONVIF host gave evidence %v", got)
				}
				return
			}
			for f, v := range h.want {
				if !slices.Contains(got[f], v) {
					t.Errorf("%s = %q, want %q among them", f, got[f], v)
				}
			}
			if len(got["wsd.endpoint"]) != 1 || !strings.HasPrefix(got["wsd.endpoint"][0], "urn:uuid:") {
				t.Errorf("wsd.endpoint = %q, want one urn:uuid", got["wsd.endpoint"])
			}
			if len(got["wsd.scope"]) != 5 {
				t.Errorf("wsd.scope = %q, want the 5 scopes once each", got["wsd.scope"])
			}
		})
	}
}

// TestWSDSilentHost: no responder, the probe ends within its wait without error.
func TestWSDSilentHost(t *testing.T) {
	a := netip.MustParseAddr("127.77.204.30")
	p := probe.NewWSDProber(probe.DatagramOptions{Wait: 300 * time.Millisecond}, zerolog.Nop())
	start := time.Now()
	got := collect(t, p, scanner.Target{Addr: a, Dialer: &onlyDialer{addr: a}})
	if len(got) != 0 {
		t.Fatalf("silent host gave %v", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("silent host took %v", d)
	}
}
