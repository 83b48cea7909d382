package probe

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"time"
)

// Bounds shared by the banner probes. A device on a hospital network may be
// broken or hostile; none of these may grow with what it sends.
const (
	maxBodyBytes    = 64 << 10  // HTML pages and vendor API answers
	maxFaviconBytes = 256 << 10 // favicons: larger ones are not hashed
	maxHeaderBytes  = 32 << 10  // all response headers of one HTTP answer
	maxRTSPBytes    = 16 << 10  // one RTSP response, headers and body
	maxBodyExcerpt  = 512       // http.body (docs/evidence.md)
	defaultTimeout  = 5 * time.Second
)

// withTimeout bounds one request so a silent port cannot use up the whole
// host budget before the next port is tried; the parent deadline still wins.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = defaultTimeout
	}
	return context.WithTimeout(ctx, d)
}

// hostPort is the dial address of a target port, bracketing IPv6.
func hostPort(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a, port).String()
}

// urlPort is the TCP port an http or https URL names, or its scheme's
// default; 0 when it names none usable.
func urlPort(u *url.URL) uint16 {
	ps := u.Port()
	if ps == "" {
		ps = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}

// trimSpaceBytes is bytes.TrimSpace for the ASCII white space protocols use.
func trimSpaceBytes(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

// errorf builds a probe error with the package's "scanner: <probe>:" prefix.
func errorf(probe, format string, args ...any) error {
	return fmt.Errorf("scanner: "+probe+": "+format, args...)
}

// wrapf wraps err with the package's "scanner: <probe>:" prefix.
func wrapf(probe string, err error) error {
	return fmt.Errorf("scanner: %s: %w", probe, err)
}
