package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/bounded"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// maxRTSPHeaders bounds the header lines kept from one RTSP response.
const maxRTSPHeaders = 64

// errNotRTSP reports an answer whose status line is not RTSP.
var errNotRTSP = errors.New("not an RTSP response")

// RTSPProber asks a host's RTSP servers OPTIONS and DESCRIBE on the root
// URL, without credentials, and records the status, Server, Public and the
// realm of the authentication challenge. It never sets up a stream.
type RTSPProber struct {
	log zerolog.Logger
	// RequestTimeout caps each request and its answer; the context
	// deadline still wins.
	RequestTimeout time.Duration
}

// NewRTSPProber returns the "rtsp" prober.
func NewRTSPProber(log zerolog.Logger) *RTSPProber {
	return &RTSPProber{log: log.With().Str("probe", "rtsp").Logger(), RequestTimeout: defaultTimeout}
}

// Name implements Prober.
func (p *RTSPProber) Name() string { return "rtsp" }

// Probe implements Prober.
func (p *RTSPProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	if err := checkTarget(ctx, t, p.Name()); err != nil {
		return err
	}
	sink := value.NewSink(p.Name(), emit)
	for _, port := range t.PortsFor("rtsp") {
		if ctx.Err() != nil {
			break
		}
		if err := p.probePort(ctx, t, port, sink); err != nil {
			p.log.Debug().Err(err).Uint16("port", port).Msg("no rtsp answer")
		}
	}
	return nil
}

func (p *RTSPProber) probePort(ctx context.Context, t scanner.Target, port uint16, sink *value.Sink) error {
	addr := hostPort(t.Addr, port)
	url := "rtsp://" + addr + "/"
	c := &rtspConn{dialer: t.Dialer, addr: addr, timeout: p.RequestTimeout}
	defer c.close()

	opts, err := c.roundTrip(ctx, "OPTIONS", url, 1, nil)
	if err != nil {
		return err
	}
	sink.Add("rtsp.status", strconv.Itoa(opts.Status))
	sink.Add("rtsp.server", opts.get("server"))
	sink.Add("rtsp.public", opts.get("public"))
	emitRTSPRealms(sink, opts)

	desc, err := c.roundTrip(ctx, "DESCRIBE", url, 2, [][2]string{{"Accept", "application/sdp"}})
	if err != nil {
		return err
	}
	sink.Add("rtsp.server", desc.get("server"))
	emitRTSPRealms(sink, desc)
	return nil
}

func emitRTSPRealms(sink *value.Sink, r *rtspResponse) {
	for _, h := range r.Header["www-authenticate"] {
		for _, realm := range realms(h) {
			sink.Add("rtsp.realm", realm)
		}
	}
}

// rtspConn is one RTSP connection, reopened when the server closed it or
// when an answer could not be read to its end (the stream is out of step).
type rtspConn struct {
	dialer  scanner.Dialer
	addr    string
	timeout time.Duration

	conn    net.Conn
	stop    func() bool
	pending []byte // bytes read past the previous answer
}

func (c *rtspConn) close() {
	c.detach()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
	c.pending = nil
}

// detach unties the connection from the finished request's context, before
// that context is cancelled, so the cancellation cannot poison the
// connection for the next request.
func (c *rtspConn) detach() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
}

func (c *rtspConn) roundTrip(ctx context.Context, method, url string, cseq int, hdr [][2]string) (*rtspResponse, error) {
	rctx, cancel := withTimeout(ctx, c.timeout)
	defer cancel()
	defer c.detach() // runs before cancel
	resp, err := c.try(rctx, method, url, cseq, hdr)
	if err != nil && c.conn == nil && rctx.Err() == nil && cseq > 1 {
		// Some servers close after each answer: one fresh connection.
		resp, err = c.try(rctx, method, url, cseq, hdr)
	}
	return resp, err
}

func (c *rtspConn) try(ctx context.Context, method, url string, cseq int, hdr [][2]string) (*rtspResponse, error) {
	if c.conn == nil {
		conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return nil, errorf("rtsp", "dial: %w", err)
		}
		c.conn = conn
	}
	// Each request gets its own deadline: the watcher follows ctx.
	c.detach()
	c.stop = bounded.WatchConn(ctx, c.conn)

	var req strings.Builder
	fmt.Fprintf(&req, "%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: %s\r\n", method, url, cseq, userAgent)
	for _, h := range hdr {
		fmt.Fprintf(&req, "%s: %s\r\n", h[0], h[1])
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(c.conn, req.String()); err != nil {
		c.close()
		return nil, errorf("rtsp", "write %s: %w", method, err)
	}
	resp, rest, complete, err := readRTSPResponse(c.conn, c.pending)
	if err != nil || !complete {
		c.close()
	} else {
		c.pending = rest
	}
	if err != nil {
		return nil, errorf("rtsp", "read %s: %w", method, err)
	}
	return resp, nil
}

// rtspResponse is the head of one RTSP answer.
type rtspResponse struct {
	Status        int
	Reason        string
	Header        map[string][]string // lower-case names
	ContentLength int                 // -1 when absent
}

func (r *rtspResponse) get(name string) string {
	if v := r.Header[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// readRTSPResponse reads one answer from r, starting with pending bytes left
// over from the previous one, and never holds more than maxRTSPBytes. It
// returns the bytes read past the answer, and complete=false when the answer
// was cut (bound, deadline, close) so the connection cannot be reused. A
// head cut short is still parsed: its status line and first headers are
// what the device said.
func readRTSPResponse(r io.Reader, pending []byte) (resp *rtspResponse, rest []byte, complete bool, err error) {
	buf := make([]byte, 0, 4096)
	buf = append(buf, pending[:min(len(pending), maxRTSPBytes)]...)
	var chunk [4096]byte
	headLen, bodyAt := -1, -1
	var rerr error
	for {
		if headLen, bodyAt = rtspHeadEnd(buf); headLen >= 0 {
			break
		}
		if len(buf) >= maxRTSPBytes || rerr != nil {
			break
		}
		var n int
		n, rerr = r.Read(chunk[:min(len(chunk), maxRTSPBytes-len(buf))])
		buf = append(buf, chunk[:n]...)
	}
	if headLen < 0 {
		if len(trimSpaceBytes(buf)) == 0 {
			if rerr == nil {
				rerr = io.ErrUnexpectedEOF
			}
			return nil, nil, false, rerr
		}
		resp, err = parseRTSPHead(buf)
		return resp, nil, false, err
	}
	resp, err = parseRTSPHead(buf[:headLen])
	if err != nil {
		return nil, nil, false, err
	}
	cl := max(resp.ContentLength, 0)
	if bodyAt+cl > maxRTSPBytes {
		return resp, nil, false, nil
	}
	for len(buf) < bodyAt+cl && rerr == nil {
		var n int
		n, rerr = r.Read(chunk[:min(len(chunk), bodyAt+cl-len(buf))])
		buf = append(buf, chunk[:n]...)
	}
	if len(buf) < bodyAt+cl {
		return resp, nil, false, nil
	}
	return resp, bytes.Clone(buf[bodyAt+cl:]), true, nil
}

// rtspHeadEnd finds the blank line ending a head, accepting bare LF line
// ends as broken servers send them: the head's length and where the body
// starts, or -1, -1.
func rtspHeadEnd(b []byte) (headLen, bodyAt int) {
	crlf := bytes.Index(b, []byte("\r\n\r\n"))
	lf := bytes.Index(b, []byte("\n\n"))
	switch {
	case crlf >= 0 && (lf < 0 || crlf < lf):
		return crlf, crlf + 4
	case lf >= 0:
		return lf, lf + 2
	}
	return -1, -1
}

// parseRTSPHead parses a status line and headers ("RTSP/1.0 401
// Unauthorized", "Server: ..."). It is tolerant: bare LF, missing reason,
// header lines without a colon (skipped), folded continuation lines; but a
// first line that is not RTSP is an error, so garbage gives no evidence.
func parseRTSPHead(head []byte) (*rtspResponse, error) {
	lines := strings.Split(string(head), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	if len(lines) == 0 {
		return nil, errNotRTSP
	}
	proto, rest, _ := strings.Cut(strings.TrimSpace(lines[0]), " ")
	codeText, reason, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	code, err := strconv.Atoi(codeText)
	if !strings.HasPrefix(proto, "RTSP/") || err != nil || code < 100 || code > 999 {
		return nil, errNotRTSP
	}
	resp := &rtspResponse{
		Status:        code,
		Reason:        strings.TrimSpace(reason),
		Header:        make(map[string][]string),
		ContentLength: -1,
	}
	var last string
	kept := 0
	for _, line := range lines[1:] {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			v := resp.Header[last]
			v[len(v)-1] += " " + strings.TrimSpace(line)
			continue
		}
		name, val, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || kept >= maxRTSPHeaders {
			last = ""
			continue
		}
		kept++
		last = name
		resp.Header[name] = append(resp.Header[name], strings.TrimSpace(val))
	}
	if v := resp.get("content-length"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			resp.ContentLength = n
		}
	}
	return resp, nil
}
