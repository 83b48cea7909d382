package scanner_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/rs/zerolog"
)

func TestSSDPProberReadsDescription(t *testing.T) {
	up := &scantest.UPnPService{Server: "Linux/3.0 UPnP/1.0 IpCam/1.0", DeviceType: "urn:schemas-upnp-org:device:Basic:1",
		FriendlyName: "IPC front door", Manufacturer: "Dahua", ModelName: "IPC-HFW2431S", ModelNumber: "HFW2431S",
		Serial: "6G0A1B2PAZ00001", UDN: "uuid:5f9ec1b3-ed59-4ff6-a1b0-6g0a1b2paz00001"}
	cases := []struct {
		name     string
		addr     string
		location func(httpAddr string) string
		wantDesc bool
	}{
		{"own location", "127.77.207.10", func(h string) string { return "http://" + h + scantest.UPnPDescriptionPath }, true},
		// A LOCATION on another host is reported but never fetched.
		{"foreign location", "127.77.207.11", func(h string) string {
			_, port, _ := net.SplitHostPort(h)
			return "http://127.77.207.99:" + port + scantest.UPnPDescriptionPath
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", tc.addr+":0")
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle(scantest.UPnPDescriptionPath, scantest.UPnPDescriptionHandler(up))
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
			go func() { _ = srv.Serve(ln) }()
			defer srv.Close()
			pc := listenUDP(t, tc.addr+":1900")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			loc := tc.location(ln.Addr().String())
			go scantest.ServeSSDP(ctx, pc, up, loc)

			a := netip.MustParseAddr(tc.addr)
			p := scanner.NewSSDPProber(scanner.SSDPOptions{Wait: time.Second}, zerolog.Nop())
			d := &onlyDialer{addr: a}
			got := collect(t, p, scanner.Target{Addr: a, Dialer: d})
			if d.refused != 0 {
				t.Errorf("prober tried to dial %d other address(es)", d.refused)
			}
			if g := got["ssdp.server"]; len(g) != 1 || g[0] != up.Server {
				t.Errorf("ssdp.server = %q", g)
			}
			if g := got["ssdp.location"]; len(g) != 1 || g[0] != loc {
				t.Errorf("ssdp.location = %q, want %q", g, loc)
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
