package scantest

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PullOptions describe one recorder pulling a camera's video.
type PullOptions struct {
	// URL is the stream, rtsp://host:port/path.
	URL            string
	User, Password string
	// UDP asks for RTP over UDP (client_port); else RTP is interleaved
	// on the RTSP connection, as most VMSs pull through firewalls.
	UDP bool
	// Bytes is how much RTP to receive before TEARDOWN.
	Bytes int64
	// Local is the recorder's address; the connection and the RTP socket
	// are bound to it (on loopback any 127.x address will do).
	Local netip.Addr
	// Dial and ListenPacket open the sockets (the lab opens them inside a
	// namespace); net.Dialer and net.ListenConfig when nil.
	Dial         func(ctx context.Context, network, address string) (net.Conn, error)
	ListenPacket func(ctx context.Context, network, address string) (net.PacketConn, error)
	// Timeout bounds the whole pull; 30 s when zero.
	Timeout time.Duration
}

// PullResult is what a pull moved.
type PullResult struct {
	Received int64 // RTP bytes received
	Packets  int
	// Control and RTP are the recorder's and the camera's ends of the
	// RTSP connection and, over UDP, of the RTP flow.
	ControlLocal, ControlRemote netip.AddrPort
	RTPLocal, RTPRemote         netip.AddrPort
	Started, Ended              time.Time
}

// PullRTSP is a recorder's RTSP client: DESCRIBE (answering a Digest or
// Basic challenge), SETUP, PLAY, receive RTP until Bytes, TEARDOWN. It is
// what a VMS recording server does to each camera it records.
func PullRTSP(ctx context.Context, o PullOptions) (PullResult, error) {
	var res PullResult
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "rtsp" || u.Host == "" {
		return res, fmt.Errorf("scantest: pull: url %q: want rtsp://host:port/path", o.URL)
	}
	if o.Dial == nil {
		d := net.Dialer{}
		if o.Local.IsValid() {
			d.LocalAddr = &net.TCPAddr{IP: o.Local.AsSlice()}
		}
		o.Dial = d.DialContext
	}
	if o.ListenPacket == nil {
		o.ListenPacket = func(ctx context.Context, network, address string) (net.PacketConn, error) {
			var lc net.ListenConfig
			return lc.ListenPacket(ctx, network, address)
		}
	}
	c, err := o.Dial(ctx, "tcp", u.Host)
	if err != nil {
		return res, fmt.Errorf("scantest: pull %s: %w", u.Host, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	res.Started = time.Now()
	res.ControlLocal, _ = netip.ParseAddrPort(c.LocalAddr().String())
	res.ControlRemote, _ = netip.ParseAddrPort(c.RemoteAddr().String())
	cl := &rtspClient{c: c, r: bufio.NewReader(c), user: o.User, password: o.Password}

	base := o.URL
	resp, err := cl.do("DESCRIBE", base, "Accept: application/sdp\r\n")
	if err != nil {
		return res, err
	}
	if cb := resp.hdr.Get("Content-Base"); cb != "" {
		base = cb
	}
	control := "trackID=0"
	for _, l := range strings.Split(resp.body, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "a=control:"); ok && v != "*" {
			control = v
		}
	}
	track := control
	if !strings.Contains(control, "://") {
		track = strings.TrimSuffix(base, "/") + "/" + control
	}
	var pc net.PacketConn
	transport := "RTP/AVP/TCP;unicast;interleaved=0-1"
	if o.UDP {
		pc, err = o.ListenPacket(ctx, "udp", netip.AddrPortFrom(o.Local, 0).String())
		if err != nil {
			return res, fmt.Errorf("scantest: pull: RTP socket: %w", err)
		}
		defer pc.Close()
		p := pc.LocalAddr().(*net.UDPAddr).Port
		res.RTPLocal = netip.AddrPortFrom(o.Local, uint16(p))
		transport = fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", p, p+1)
	}
	resp, err = cl.do("SETUP", track, "Transport: "+transport+"\r\n")
	if err != nil {
		return res, err
	}
	session, _, _ := strings.Cut(resp.hdr.Get("Session"), ";")
	if _, err := cl.do("PLAY", base, "Session: "+session+"\r\nRange: npt=0.000-\r\n"); err != nil {
		return res, err
	}
	if o.UDP {
		buf := make([]byte, 2048)
		_ = pc.SetReadDeadline(time.Now().Add(o.Timeout))
		stopUDP := context.AfterFunc(ctx, func() { _ = pc.SetReadDeadline(time.Now()) })
		defer stopUDP()
		for res.Received < o.Bytes {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return res, fmt.Errorf("scantest: pull: RTP after %d bytes: %w", res.Received, err)
			}
			res.Received += int64(n)
			res.Packets++
			if ua, ok := from.(*net.UDPAddr); ok {
				res.RTPRemote = ua.AddrPort()
			}
		}
	} else {
		for res.Received < o.Bytes {
			n, err := cl.skipFrame()
			if err != nil {
				return res, fmt.Errorf("scantest: pull: interleaved RTP after %d bytes: %w", res.Received, err)
			}
			res.Received += int64(n)
			res.Packets++
		}
	}
	if _, err := cl.do("TEARDOWN", base, "Session: "+session+"\r\n"); err != nil {
		return res, err
	}
	res.Ended = time.Now()
	return res, nil
}

type rtspClient struct {
	c              net.Conn
	r              *bufio.Reader
	cseq           int
	user, password string
	auth           func(method, uri string) string
}

type rtspResponse struct {
	status int
	hdr    textproto.MIMEHeader
	body   string
}

// do sends a request and reads its answer, answering one authentication
// challenge, and skipping RTP interleaved before the answer.
func (cl *rtspClient) do(method, uri, extra string) (rtspResponse, error) {
	for attempt := 0; ; attempt++ {
		cl.cseq++
		req := fmt.Sprintf("%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: camsweep-lab-recorder\r\n%s", method, uri, cl.cseq, extra)
		if cl.auth != nil {
			req += "Authorization: " + cl.auth(method, uri) + "\r\n"
		}
		if _, err := io.WriteString(cl.c, req+"\r\n"); err != nil {
			return rtspResponse{}, fmt.Errorf("scantest: pull: %s: %w", method, err)
		}
		resp, err := cl.read()
		if err != nil {
			return resp, fmt.Errorf("scantest: pull: %s: %w", method, err)
		}
		if resp.status == 401 && attempt == 0 && cl.user != "" {
			cl.auth = challengeAnswer(resp.hdr.Values("WWW-Authenticate"), cl.user, cl.password)
			if cl.auth != nil {
				continue
			}
		}
		if resp.status != 200 {
			return resp, fmt.Errorf("scantest: pull: %s answered %d", method, resp.status)
		}
		return resp, nil
	}
}

func challengeAnswer(challenges []string, user, password string) func(method, uri string) string {
	for _, ch := range challenges {
		if d, ok := strings.CutPrefix(ch, "Digest "); ok {
			p := DigestParams(d)
			return func(method, uri string) string {
				return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"`,
					user, p["realm"], p["nonce"], uri, DigestResponse(user, p["realm"], password, method, uri, p["nonce"]))
			}
		}
	}
	for _, ch := range challenges {
		if strings.HasPrefix(ch, "Basic ") {
			return func(string, string) string {
				return "Basic " + base64Std(user+":"+password)
			}
		}
	}
	return nil
}

func (cl *rtspClient) read() (rtspResponse, error) {
	for {
		b, err := cl.r.Peek(1)
		if err != nil {
			return rtspResponse{}, err
		}
		if b[0] != '$' {
			break
		}
		if _, err := cl.skipFrame(); err != nil {
			return rtspResponse{}, err
		}
	}
	tp := textproto.NewReader(cl.r)
	line, err := tp.ReadLine()
	if err != nil {
		return rtspResponse{}, err
	}
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "RTSP/") {
		return rtspResponse{}, fmt.Errorf("not an RTSP answer: %q", line)
	}
	status, err := strconv.Atoi(f[1])
	if err != nil {
		return rtspResponse{}, fmt.Errorf("status %q", f[1])
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return rtspResponse{}, err
	}
	resp := rtspResponse{status: status, hdr: hdr}
	if n, _ := strconv.Atoi(hdr.Get("Content-Length")); n > 0 && n < 1<<16 {
		body := make([]byte, n)
		if _, err := io.ReadFull(cl.r, body); err != nil {
			return resp, err
		}
		resp.body = string(body)
	}
	return resp, nil
}

// skipFrame reads one interleaved frame ($, channel, length, data) and
// returns the data's length.
func (cl *rtspClient) skipFrame() (int, error) {
	var h [4]byte
	if _, err := io.ReadFull(cl.r, h[:]); err != nil {
		return 0, err
	}
	if h[0] != '$' {
		return 0, fmt.Errorf("interleaved frame starts with %q", h[0])
	}
	n := int(h[2])<<8 | int(h[3])
	if _, err := cl.r.Discard(n); err != nil {
		return 0, err
	}
	return n, nil
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
