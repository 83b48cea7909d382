package serve

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// doHost sends a request with the given Host header, as a browser that was
// led to the sensor by a rebound name would.
func (h *harness) doHost(path, host, token string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest("GET", h.url+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Host = host
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// TestDNSRebindingRefused: with metrics_auth: open, the status page and
// /metrics (unregistered cameras with IP and MAC) are served only to the
// sensor's own names and to address literals.
func TestDNSRebindingRefused(t *testing.T) {
	h := startHarness(t, "", newFakeSweep())
	port := h.url[strings.LastIndexByte(h.url, ':')+1:]
	for _, path := range []string{"/", "/metrics"} {
		for _, tc := range []struct {
			host string
			want int
		}{
			{"attacker.example", http.StatusMisdirectedRequest},
			{"attacker.example:" + port, http.StatusMisdirectedRequest},
			{"localhost.attacker.example", http.StatusMisdirectedRequest},
			{"127.0.0.1:" + port, http.StatusOK},
			{"[::1]:" + port, http.StatusOK},
			{"localhost:" + port, http.StatusOK},
			{"LOCALHOST.", http.StatusOK},
		} {
			if res := h.doHost(path, tc.host, ""); res.StatusCode != tc.want {
				t.Errorf("GET %s with Host %q: %d, want %d", path, tc.host, res.StatusCode, tc.want)
			}
		}
	}
	// The API is behind the token; the Host check is not what guards it.
	if res := h.doHost("/api/v1/sites", "attacker.example", testToken); res.StatusCode != http.StatusOK {
		t.Errorf("API with a token: %d", res.StatusCode)
	}
}

func TestAllowedHostsConfigured(t *testing.T) {
	h := startHarness(t, "allowed_hosts: [noh-sensor.region.example]\n", newFakeSweep())
	for host, want := range map[string]int{
		"noh-sensor.region.example": http.StatusOK,
		"NOH-SENSOR.region.example": http.StatusOK,
		"localhost":                 http.StatusMisdirectedRequest, // the list replaces the defaults
		"127.0.0.1":                 http.StatusOK,
	} {
		if res := h.doHost("/metrics", host, ""); res.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, res.StatusCode, want)
		}
	}
}

// TestSecurityHeaders: every response says nosniff; the status page may
// not be framed.
func TestSecurityHeaders(t *testing.T) {
	h := startHarness(t, "", newFakeSweep())
	for _, tc := range []struct{ path, token string }{
		{"/", ""}, {"/metrics", ""}, {"/healthz", ""}, {"/readyz", ""}, {"/nope", ""},
		{"/api/v1/sites", ""}, {"/api/v1/sites", testToken}, {"/api/v1/scans/999", testToken},
	} {
		res, _ := h.do("GET", tc.path, tc.token)
		if res == nil {
			t.Fatalf("GET %s: no answer", tc.path)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s (%d): X-Content-Type-Options %q", tc.path, res.StatusCode, got)
		}
	}
	res, _ := h.do("GET", "/", "")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("status page CSP %q lacks frame-ancestors 'none'", csp)
	}
}

func TestHostGuardDefaults(t *testing.T) {
	g := newHostGuard(nil, "10.20.1.5:9750", func() (string, error) { return "NOH-Sensor.region.example", nil })
	for host, want := range map[string]bool{
		"noh-sensor": true, "noh-sensor.region.example:9750": true, "localhost": true, "10.20.1.5": true,
		"10.99.0.1": true, "fe80::1": true, "": false, "region.example": false, "noh-sensor.evil.example": false,
	} {
		if got := g.allows(host); got != want {
			t.Errorf("allows(%q) = %v, want %v", host, got, want)
		}
	}
}
