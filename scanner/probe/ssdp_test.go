package probe_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/rs/zerolog"
)

func TestSSDPProberReadsDescription(t *testing.T) {
	up := &scantest.UPnPService{Server: "Linux/3.0 UPnP/1.0 IpCam/1.0", DeviceType: "urn:schemas-upnp-org:device:Basic:1",
		FriendlyName: "IPC front door", Manufacturer: "Dahua", ModelName: "IPC-HFW2431S", ModelNumber: "HFW2431S",
		Serial: "6G0A1B2PAZ00001", UDN: "uuid:5f9ec1b3-ed59-4ff6-a1b0-6g0a1b2paz00001"}
	own := func(h string) string { return "http://" + h + scantest.UPnPDescriptionPath }
	cases := []struct {
		name     string
		addr     string
		location func(httpAddr string) string
		// passive: the host does not answer the M-SEARCH; the LOCATION was
		// only overheard (a NOTIFY, a multicast answer) and is in the
		// target's evidence.
		passive  bool
		portOpen bool // the description's port is one of the target's open ports
		wantDesc bool
	}{
		{"own location on an open port", "127.77.207.10", own, false, true, true},
		// A LOCATION on another host is reported but never fetched.
		{"foreign location", "127.77.207.11", func(h string) string {
			_, port, _ := net.SplitHostPort(h)
			return "http://127.77.207.99:" + port + scantest.UPnPDescriptionPath
		}, false, true, false},
		// libupnp's 49152 and the like: not a port the operator allowed.
		{"own location on a port outside the port set", "127.77.207.12", own, false, false, false},
		// Anyone on the segment can announce in the host's name.
		{"overheard location, open port", "127.77.207.13", own, true, true, false},
		{"overheard location, other port", "127.77.207.14", own, true, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", tc.addr+":0")
			if err != nil {
				t.Fatal(err)
			}
			var requests atomic.Int64
			mux := http.NewServeMux()
			desc := scantest.UPnPDescriptionHandler(up)
			mux.HandleFunc(scantest.UPnPDescriptionPath, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				desc.ServeHTTP(w, r)
			})
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
			go func() { _ = srv.Serve(ln) }()
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			loc := tc.location(ln.Addr().String())
			var heard []evidence.Evidence
			if tc.passive {
				heard = append(heard, evidence.Evidence{Probe: "passive", Field: "ssdp.location", Value: loc})
			} else {
				pc := listenUDP(t, tc.addr+":1900")
				go scantest.ServeSSDP(ctx, pc, up, loc)
			}
			httpPort := uint16(ln.Addr().(*net.TCPAddr).Port)
			ports := []scanner.Port{{Number: 554, Service: "rtsp"}}
			if tc.portOpen {
				ports = append(ports, scanner.Port{Number: httpPort, Service: "http"})
			}

			a := netip.MustParseAddr(tc.addr)
			p := probe.NewSSDPProber(probe.SSDPOptions{Wait: 500 * time.Millisecond}, zerolog.Nop())
			d := &onlyDialer{addr: a}
			got := collect(t, p, scanner.Target{Addr: a, Dialer: d, Ports: ports, Evidence: heard})
			if d.refused != 0 {
				t.Errorf("prober tried to dial %d other address(es)", d.refused)
			}
			if n := requests.Load(); !tc.wantDesc && n != 0 {
				t.Errorf("description fetched %d times, want never", n)
			}
			if !tc.passive {
				wantOne(t, got, "ssdp.server", up.Server)
				wantOne(t, got, "ssdp.location", loc)
			}
			want := map[string]string{
				"upnp.manufacturer": "Dahua", "upnp.model_name": "IPC-HFW2431S", "upnp.model_number": "HFW2431S",
				"upnp.serial": up.Serial, "upnp.udn": up.UDN, "upnp.friendly_name": "IPC front door", "upnp.device_type": up.DeviceType,
			}
			for f, v := range want {
				g := got[f]
				if tc.wantDesc && (len(g) != 1 || g[0] != v) {
					t.Errorf("%s = %q, want %q", f, g, v)
				}
				if !tc.wantDesc && len(g) != 0 {
					t.Errorf("foreign description fetched: %s = %q", f, g)
				}
			}
		})
	}
}
