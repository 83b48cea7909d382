package serve

import (
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
)

// hostGuard defends the pages served without a token (with metrics_auth:
// open, /metrics and the status page, which name unregistered cameras with
// their addresses and MACs) against DNS rebinding: a web page on
// attacker.example re-resolves its own name to the sensor's address, and
// the victim's browser, on the hospital network, then reads the sensor's
// pages as same-origin. The browser still sends Host: attacker.example, so
// only the names the sensor is known by are served. An address literal
// cannot be rebound (the page's origin is then the address itself) and is
// always served.
type hostGuard struct {
	names map[string]bool
}

// newHostGuard allows the configured names, or by default: the listen
// address's host, localhost and the machine's host name (short and as the
// system gives it).
func newHostGuard(allowed []string, listen string, hostname func() (string, error)) hostGuard {
	g := hostGuard{names: map[string]bool{}}
	if len(allowed) > 0 {
		for _, h := range allowed {
			g.names[normHost(h)] = true
		}
		return g
	}
	g.names["localhost"] = true
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		g.names[normHost(h)] = true
	}
	if hostname != nil {
		if h, err := hostname(); err == nil && h != "" {
			h = normHost(h)
			g.names[h] = true
			short, _, _ := strings.Cut(h, ".")
			g.names[short] = true
		}
	}
	return g
}

func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// allows reports whether a request's Host header may be served.
func (g hostGuard) allows(hostHeader string) bool {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return host != "" && g.names[normHost(host)]
}

// wrap answers 421 Misdirected Request to a Host the sensor is not known
// by.
func (g hostGuard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allows(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, "this sensor is not served under that host name; add it to allowed_hosts if it is one of its names")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// securityHeaders marks every response: nosniff keeps a browser from
// reading a JSON answer that carries device text as HTML or script.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// osHostname is the machine's name, for newHostGuard.
var osHostname = os.Hostname
