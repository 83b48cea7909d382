package scantest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

const maxRTSPRequest = 16 << 10

// serveRTSP answers RTSP/1.0 requests the way a camera does before anyone
// logs in: OPTIONS is open, DESCRIBE (and everything that needs a stream)
// gets the persona's canned answer, usually a 401 carrying the realm.
func (h *Host) serveRTSP(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	svc := h.Persona.RTSP
	sess := newRTSPSession(h, c)
	defer sess.close()
	lr := &io.LimitedReader{R: c}
	tp := textproto.NewReader(bufio.NewReader(lr))
	for range maxKeepAlive {
		lr.N = maxRTSPRequest
		_ = c.SetReadDeadline(time.Now().Add(idleTimeout))
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		if line == "" { // tolerate stray CRLFs between requests
			continue
		}
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			return
		}
		if n, _ := strconv.Atoi(hdr.Get("Content-Length")); n > 0 {
			if _, err := io.CopyN(io.Discard, tp.R, int64(n)); err != nil {
				return
			}
		}
		method, rest, _ := strings.Cut(line, " ")
		uri, _, _ := strings.Cut(rest, " ")
		out, ok := "", false
		if h.stream.authorized(method, uri, hdr) {
			out, ok = sess.answer(ctx, method, uri, hdr.Get("CSeq"), hdr)
		}
		if !ok {
			out = rtspAnswer(svc, method, hdr.Get("CSeq"), time.Now())
		}
		if err := sess.write(out); err != nil {
			return
		}
	}
}

// rtspAnswer renders the reply to one request.
func rtspAnswer(svc *RTSPService, method, cseq string, now time.Time) string {
	var b strings.Builder
	status, body, ctype := 200, "", ""
	var auth []string
	switch method {
	case "OPTIONS":
		if svc.OptionsStatus != 0 {
			status = svc.OptionsStatus
		}
	case "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER", "ANNOUNCE", "RECORD":
		d := svc.Describe
		status = d.Status
		if status == 0 {
			status = 401
		}
		if status == 401 {
			// One header per line of www_authenticate: Hikvision offers both
			// Digest and Basic, each in its own header.
			for _, a := range strings.Split(strings.TrimSpace(d.WWWAuthenticate), "\n") {
				if a = strings.TrimSpace(a); a != "" {
					auth = append(auth, expandDynamic(a, now))
				}
			}
		}
		if status == 200 && method == "DESCRIBE" && d.SDP != "" {
			body, ctype = strings.ReplaceAll(strings.TrimRight(d.SDP, "\n"), "\n", "\r\n")+"\r\n", "application/sdp"
		}
	default:
		status = 501
	}
	fmt.Fprintf(&b, "RTSP/1.0 %d %s\r\n", status, rtspStatusText(status))
	if cseq != "" {
		b.WriteString("CSeq: " + cseq + "\r\n")
	}
	for _, a := range auth {
		b.WriteString("WWW-Authenticate: " + a + "\r\n")
	}
	if svc.Server != "" {
		b.WriteString("Server: " + svc.Server + "\r\n")
	}
	if method == "OPTIONS" && status == 200 && svc.Public != "" {
		b.WriteString("Public: " + svc.Public + "\r\n")
	}
	for _, kv := range svc.Extra {
		b.WriteString(kv[0] + ": " + expandDynamic(kv[1], now) + "\r\n")
	}
	if ctype != "" {
		b.WriteString("Content-Type: " + ctype + "\r\n")
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.String()
}

func rtspStatusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 454:
		return "Session Not Found"
	case 501:
		return "Not Implemented"
	}
	return "Status"
}

// serveMute plays a vendor SDK port (Hikvision 8000, Dahua 37777): it takes
// the connection and reads what the client sends, but says nothing, as
// those binary protocols wait for a login the scanner never sends.
func serveMute(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	_ = c.SetReadDeadline(time.Now().Add(idleTimeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<20))
}
