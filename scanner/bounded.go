package scanner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Bounds shared by the banner probes. A device on a hospital network may be
// broken or hostile; none of these may grow with what it sends.
const (
	maxBodyBytes    = 64 << 10  // HTML pages and vendor API answers
	maxFaviconBytes = 256 << 10 // favicons: larger ones are not hashed
	maxHeaderBytes  = 32 << 10  // all response headers of one HTTP answer
	maxRTSPBytes    = 16 << 10  // one RTSP response, headers and body
	maxValueLen     = 256       // one evidence value, unless the field says otherwise
	maxBodyExcerpt  = 512       // http.body (docs/evidence.md)
	defaultTimeout  = 5 * time.Second
)

// readBounded reads r to EOF but keeps at most limit bytes. truncated is set
// when r had more; the rest is never read, so an endless body costs only the
// bound (and the deadline that the caller set).
func readBounded(r io.Reader, limit int64) (data []byte, truncated bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}

// watchConn ties a connection to ctx: the deadline of ctx becomes the
// connection's deadline, and cancelling ctx unblocks any read or write at
// once. The returned stop must be called when the connection is done.
func watchConn(ctx context.Context, conn net.Conn) (stop func() bool) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	return context.AfterFunc(ctx, func() {
		// A past deadline fails pending I/O without closing the conn under
		// its owner, which still closes it itself.
		_ = conn.SetDeadline(time.Unix(1, 0))
	})
}

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

// cleanValue makes device text safe to carry as evidence: valid UTF-8,
// control characters and runs of white space folded to one space, trimmed,
// and at most max bytes (cut on a rune boundary).
func cleanValue(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(min(len(s), max))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		need := utf8.RuneLen(r)
		if space {
			need++
		}
		if b.Len()+need > max {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// evidenceSink emits one probe's evidence, dropping empty values and exact
// repeats (the same Server header on port 80 and 443 is one fact).
type evidenceSink struct {
	probe string
	emit  Emit
	seen  map[[2]string]struct{}
}

func newEvidenceSink(probe string, emit Emit) *evidenceSink {
	return &evidenceSink{probe: probe, emit: emit, seen: make(map[[2]string]struct{})}
}

// add emits field=value with the value cleaned to maxValueLen.
func (s *evidenceSink) add(field, value string) { s.addN(field, value, maxValueLen) }

// addN emits field=value with the value cleaned to max bytes.
func (s *evidenceSink) addN(field, value string, max int) {
	value = cleanValue(value, max)
	if value == "" {
		return
	}
	k := [2]string{field, value}
	if _, dup := s.seen[k]; dup {
		return
	}
	s.seen[k] = struct{}{}
	s.emit(evidence.Evidence{Probe: s.probe, Field: field, Value: value})
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

// firstSeen keeps the first max distinct strings it is given, in the order
// they came; later ones are counted, not kept. What a device repeats, or
// floods, then costs the sweep nothing beyond the bound.
type firstSeen struct {
	max     int
	order   []string
	has     map[string]bool
	dropped int
}

func newFirstSeen(max int) *firstSeen {
	return &firstSeen{max: max, has: map[string]bool{}}
}

// add keeps s unless it is kept already or the set is full; it reports
// whether s was kept now.
func (f *firstSeen) add(s string) bool {
	if f.has[s] {
		return false
	}
	if len(f.order) >= f.max {
		f.dropped++
		return false
	}
	f.has[s] = true
	f.order = append(f.order, s)
	return true
}

func (f *firstSeen) len() int { return len(f.order) }

// list returns the kept strings in the order they came.
func (f *firstSeen) list() []string { return append([]string(nil), f.order...) }

// set returns the kept strings as a set.
func (f *firstSeen) set() map[string]bool {
	out := make(map[string]bool, len(f.order))
	for _, s := range f.order {
		out[s] = true
	}
	return out
}
