package flow

import (
	"bytes"
	"strconv"
)

// maxHeadBytes bounds how much of a segment the mirror reads: an RTSP
// request line and the few headers it needs fit in the first segment.
const maxHeadBytes = 2048

// maxTransportPorts bounds the client ports taken from one Transport header.
const maxTransportPorts = 4

// head is what the mirror needs from the start of an RTSP or HTTP message
// carried in one TCP segment: nothing else of the payload is read or kept.
type head struct {
	rtsp     bool // RTSP (else HTTP)
	response bool
	// method of a request (PLAY, SETUP, GET, POST, ...), as sent.
	method string
	// clientPorts are the RTP/RTCP ports a SETUP's Transport asks the
	// server to send to (client_port=a-b), at most maxTransportPorts.
	clientPorts []uint16
	// tunnel: the message belongs to RTSP tunnelled in HTTP (Accept or
	// Content-Type application/x-rtsp-tunnelled, or an x-sessioncookie).
	tunnel bool
	// mjpeg: a Content-Type of multipart/x-mixed-replace, a motion-JPEG
	// stream.
	mjpeg bool
}

var (
	rtspVersion = []byte("RTSP/")
	httpVersion = []byte("HTTP/")
)

// parseHead reads the start line and headers at the start of p. It reports
// false when p does not start an RTSP or HTTP message (RTP interleaved in
// RTSP, TLS, a continuation segment, anything binary).
func parseHead(p []byte) (head, bool) {
	if len(p) > maxHeadBytes {
		p = p[:maxHeadBytes]
	}
	line, rest := cutLine(p)
	var h head
	switch {
	case bytes.HasPrefix(line, rtspVersion) || bytes.HasPrefix(line, httpVersion):
		// "RTSP/1.0 200 OK": a version, a space, a three-digit status.
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 || len(line) < sp+4 || !isDigits(line[sp+1:sp+4]) {
			return head{}, false
		}
		h.rtsp, h.response = bytes.HasPrefix(line, rtspVersion), true
	default:
		// "PLAY rtsp://cam/stream RTSP/1.0": METHOD SP URI SP VERSION.
		m, after, ok := bytes.Cut(line, []byte{' '})
		if !ok || len(m) == 0 || len(m) > 16 || !isToken(m) {
			return head{}, false
		}
		sp := bytes.LastIndexByte(after, ' ')
		if sp < 0 {
			return head{}, false
		}
		v := after[sp+1:]
		switch {
		case bytes.HasPrefix(v, rtspVersion):
			h.rtsp = true
		case bytes.HasPrefix(v, httpVersion):
		default:
			return head{}, false
		}
		h.method = string(m)
	}
	for n := 0; n < 64 && len(rest) > 0; n++ {
		line, rest = cutLine(rest)
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case equalFold(name, "Transport"):
			if h.rtsp && !h.response {
				h.clientPorts = transportClientPorts(value, h.clientPorts)
			}
		case equalFold(name, "Content-Type"), equalFold(name, "Accept"):
			if containsFold(value, "application/x-rtsp-tunnelled") {
				h.tunnel = true
			}
			if equalFold(name, "Content-Type") && containsFold(value, "multipart/x-mixed-replace") {
				h.mjpeg = true
			}
		case equalFold(name, "x-sessioncookie"):
			h.tunnel = !h.rtsp
		}
	}
	return h, true
}

// transportClientPorts appends the client_port numbers of an RTSP
// Transport header ("RTP/AVP;unicast;client_port=5000-5001, ...").
func transportClientPorts(v []byte, out []uint16) []uint16 {
	for len(v) > 0 && len(out) < maxTransportPorts {
		var param []byte
		i := bytes.IndexAny(v, ";,")
		if i < 0 {
			param, v = v, nil
		} else {
			param, v = v[:i], v[i+1:]
		}
		k, val, ok := bytes.Cut(bytes.TrimSpace(param), []byte{'='})
		if !ok || !equalFold(k, "client_port") {
			continue
		}
		lo, hi, _ := bytes.Cut(val, []byte{'-'})
		for _, s := range [][]byte{lo, hi} {
			if n, err := strconv.ParseUint(string(bytes.TrimSpace(s)), 10, 16); err == nil && n > 0 && len(out) < maxTransportPorts {
				out = append(out, uint16(n))
			}
		}
	}
	return out
}

func cutLine(p []byte) (line, rest []byte) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return bytes.TrimSuffix(p, []byte{'\r'}), nil
	}
	return bytes.TrimSuffix(p[:i], []byte{'\r'}), p[i+1:]
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// isToken accepts a request method: upper-case letters, digits, - and _.
func isToken(b []byte) bool {
	for _, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func equalFold(b []byte, s string) bool { return bytes.EqualFold(bytes.TrimSpace(b), []byte(s)) }

func containsFold(b []byte, s string) bool {
	return bytes.Contains(bytes.ToLower(b), []byte(s))
}
