package probe

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestONVIFEndpointsStayOnOpenPorts: an XAddr (from a WS-Discovery answer
// or an overheard Hello) is followed only on the target's own address and
// one of its open ports, all in the sweep's port set; the standard path on
// each HTTP port is always tried.
func TestONVIFEndpointsStayOnOpenPorts(t *testing.T) {
	host := netip.MustParseAddr("10.1.2.3")
	ports := []scanner.Port{{Number: 80, Service: "http"}, {Number: 8899, Service: "http"}, {Number: 443, Service: "https"}, {Number: 554, Service: "rtsp"}}
	std := []string{"http://10.1.2.3:80/onvif/device_service", "http://10.1.2.3:8899/onvif/device_service", "https://10.1.2.3:443/onvif/device_service"}
	tests := []struct {
		name  string
		xaddr string
		want  []string // before the standard paths
	}{
		{"own address, open port", "http://10.1.2.3:8899/onvif/dev", []string{"http://10.1.2.3:8899/onvif/dev"}},
		{"own address, scheme's default port", "http://10.1.2.3/onvif/device_service", []string{"http://10.1.2.3/onvif/device_service"}},
		{"https default port", "https://10.1.2.3/onvif/device_service", []string{"https://10.1.2.3/onvif/device_service"}},
		{"another host", "http://10.1.2.4:80/onvif/device_service", nil},
		{"own address, port not in the set", "http://10.1.2.3:2323/onvif/device_service", nil},
		{"own address, open port of another service", "http://10.1.2.3:554/onvif/device_service", []string{"http://10.1.2.3:554/onvif/device_service"}},
		{"own address, a medical device's serial bridge", "http://10.1.2.3:4001/", nil},
		{"bad port", "http://10.1.2.3:99999/", nil},
		{"credentials in the URL", "http://u:p@10.1.2.3:80/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := onvifEndpoints(scanner.Target{Addr: host, Ports: ports, Evidence: []evidence.Evidence{{Probe: "wsd", Field: "wsd.xaddrs", Value: tt.xaddr}}})
			want := append(slices.Clone(tt.want), std...)
			if !slices.Equal(got, want) {
				t.Errorf("endpoints %q, want %q", got, want)
			}
		})
	}
}
