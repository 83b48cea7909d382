package probe_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
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

const testPassword = "Tr0ub4dor&3-not-in-logs"

// serveONVIF runs an ONVIF device service for p on addr (loopback) and
// returns its port.
func serveONVIF(t *testing.T, addr string, p *scantest.ONVIFService) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(scantest.ONVIFPath, scantest.NewONVIFHandler(p, "44:19:b6:0a:0b:0c", nil))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

func TestONVIFDeviceInformation(t *testing.T) {
	creds := probe.Credentials{Username: "camsweep", Password: probe.NewSecret(testPassword)}
	withAuth := func(skew time.Duration, digest bool) *scantest.ONVIFService {
		p := onvifPersona("HIKVISION", "DS-2CD2143G2-I", "DS-2CD2143G2-I20210101AAWRG12345678", false)
		p.Username, p.Password, p.ClockSkew, p.AuthDigest = "camsweep", testPassword, skew, digest
		return p
	}
	cases := []struct {
		name      string
		addr      string
		persona   *scantest.ONVIFService
		creds     probe.Credentials
		auth      string
		wantModel bool
		offset    int // expected clock offset, seconds
	}{
		{"open", "127.77.205.10", onvifPersona("Dahua", "IPC-HDW2431T", "7L0ABCD123", false), probe.Credentials{}, "none", true, 0},
		{"ws-token", "127.77.205.11", withAuth(0, false), creds, "ws-usernametoken", true, 0},
		{"ws-token clock two hours ahead", "127.77.205.12", withAuth(2*time.Hour, false), creds, "ws-usernametoken", true, 7200},
		{"ws-token clock two hours behind", "127.77.205.13", withAuth(-2*time.Hour, false), creds, "ws-usernametoken", true, -7200},
		{"digest", "127.77.205.14", withAuth(0, true), creds, "digest", true, 0},
		{"auth needed, no credentials", "127.77.205.15", withAuth(0, false), probe.Credentials{}, "required", false, 0},
		{"wrong password", "127.77.205.16", withAuth(0, false),
			probe.Credentials{Username: "camsweep", Password: probe.NewSecret("wrong")}, "required", false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := serveONVIF(t, tc.addr, tc.persona)
			a := netip.MustParseAddr(tc.addr)
			var logs bytes.Buffer
			log := zerolog.New(&logs).Level(zerolog.DebugLevel)
			p := probe.NewONVIFProber(tc.creds, probe.ONVIFOptions{}, log)
			got := collect(t, p, scanner.Target{Addr: a, Dialer: &onlyDialer{addr: a},
				Ports: []scanner.Port{{Number: port, Service: "http"}}})
			wantOne(t, got, "onvif.auth", tc.auth)
			if tc.wantModel {
				for f, v := range map[string]string{
					"onvif.manufacturer": tc.persona.Manufacturer, "onvif.model": tc.persona.Model,
					"onvif.serial": tc.persona.Serial, "onvif.firmware": "V1.0", "onvif.hardware_id": "88",
					"onvif.mac": "44:19:b6:0a:0b:0c", "mac": "44:19:b6:0a:0b:0c",
				} {
					wantOne(t, got, f, v)
				}
				if g := got["wsd.hardware"]; len(g) != 1 || g[0] != tc.persona.Model {
					t.Errorf("GetScopes: wsd.hardware = %q, want %q", g, tc.persona.Model)
				}
			} else if len(got["onvif.model"]) != 0 || len(got["onvif.mac"]) != 0 {
				t.Errorf("refused device still gave %v", got)
			}
			off, err := strconv.Atoi(strings.Join(got["onvif.clock_offset_seconds"], ""))
			if err != nil || off < tc.offset-3 || off > tc.offset+3 {
				t.Errorf("onvif.clock_offset_seconds = %q, want %d±3", got["onvif.clock_offset_seconds"], tc.offset)
			}
			assertNoPassword(t, logs.Bytes(), got)
		})
	}
}

// assertNoPassword greps every log line and all evidence for the password.
func assertNoPassword(t *testing.T, logs []byte, ev map[string][]string) {
	t.Helper()
	if bytes.Contains(logs, []byte(testPassword)) {
		t.Errorf("password appears in the logs")
	}
	b, _ := json.Marshal(ev)
	if bytes.Contains(b, []byte(testPassword)) {
		t.Errorf("password appears in the evidence")
	}
}

// TestONVIFFollowsOnlyOwnXAddrs: an XAddr naming another host is never
// dialled, nor the host's own XAddr on a port that is not one of its open
// ports of the sweep's port set: a device (or a station announcing in its
// name) must not steer a SOAP POST to any port it likes.
func TestONVIFFollowsOnlyOwnXAddrs(t *testing.T) {
	tests := []struct {
		name      string
		addr      string
		portOpen  bool // the XAddr's port is among the target's open ports
		wantModel bool
	}{
		{"own XAddr on an open port", "127.77.205.20", true, true},
		{"own XAddr on a port outside the port set", "127.77.205.21", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := serveONVIF(t, tt.addr, onvifPersona("Axis", "M3046-V", "ACCC8E000001", false))
			a := netip.MustParseAddr(tt.addr)
			d := &onlyDialer{addr: a}
			var ports []scanner.Port
			if tt.portOpen {
				ports = []scanner.Port{{Number: port}} // no http hint: only the XAddr names it
			}
			var logs bytes.Buffer
			p := probe.NewONVIFProber(probe.Credentials{}, probe.ONVIFOptions{}, zerolog.New(&logs).Level(zerolog.DebugLevel))
			got := collect(t, p, scanner.Target{Addr: a, Dialer: d, Ports: ports, Evidence: []evidence.Evidence{
				{Probe: "wsd", Field: "wsd.xaddrs", Value: "http://127.77.205.99:" + strconv.Itoa(int(port)) + "/onvif/device_service"},
				{Probe: "wsd", Field: "wsd.xaddrs", Value: "http://" + tt.addr + ":" + strconv.Itoa(int(port)) + "/onvif/device_service"},
			}})
			if g := got["onvif.model"]; tt.wantModel != (len(g) == 1 && g[0] == "M3046-V") {
				t.Errorf("onvif.model = %q via own XAddr, want it %v", g, tt.wantModel)
			}
			if !tt.wantModel && d.dials != 0 {
				t.Errorf("prober dialled %d time(s) a port outside the port set", d.dials)
			}
			if d.refused != 0 {
				t.Errorf("prober tried to dial another host %d time(s)", d.refused)
			}
		})
	}
}
