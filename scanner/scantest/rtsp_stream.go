package scantest

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StreamAccount is the account a recorder pulls video with. When
// Options.Stream sets one, a camera persona answers an authorized
// DESCRIBE, SETUP, PLAY and TEARDOWN as the real camera does for its VMS,
// and streams RTP (interleaved on the RTSP connection, or over UDP to the
// client ports SETUP names). Unauthorized requests still get the
// persona's canned answer (usually 401 with its realm).
type StreamAccount struct {
	User, Password string
}

// Streaming limits: a session sends at most maxStreamBytes, in RTP
// packets of rtpPayload bytes, pausing a millisecond every rtpBurst
// packets so UDP is not lost to a full socket buffer.
const (
	maxStreamBytes = 256 << 20
	rtpPayload     = 1188
	rtpBurst       = 32
)

// authorized checks an RTSP request's Authorization against the account:
// Basic, or Digest as RFC 2617 computes it (without qop, as RTSP cameras
// ask for it).
func (a *StreamAccount) authorized(method, uri string, hdr textproto.MIMEHeader) bool {
	if a == nil {
		return false
	}
	v := hdr.Get("Authorization")
	if b, ok := strings.CutPrefix(v, "Basic "); ok {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b))
		return err == nil && string(raw) == a.User+":"+a.Password
	}
	d, ok := strings.CutPrefix(v, "Digest ")
	if !ok {
		return false
	}
	p := DigestParams(d)
	if p["username"] != a.User || p["response"] == "" {
		return false
	}
	return DigestResponse(a.User, p["realm"], a.Password, method, p["uri"], p["nonce"]) == p["response"]
}

// DigestResponse is RFC 2617's response without qop:
// MD5(MD5(user:realm:password):nonce:MD5(method:uri)).
func DigestResponse(user, realm, password, method, uri, nonce string) string {
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	return h(h(user+":"+realm+":"+password) + ":" + nonce + ":" + h(method+":"+uri))
}

// DigestParams splits `realm="x", nonce="y", uri="z"` into a map.
func DigestParams(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				break
			}
			v, s = rest[1:1+end], rest[2+end:]
		} else {
			v, s, _ = strings.Cut(rest, ",")
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return out
}

// rtspSession is one RTSP connection's streaming state.
type rtspSession struct {
	h       *Host
	c       net.Conn
	wmu     sync.Mutex
	id      string
	channel int // interleaved RTP channel, -1 for UDP
	udp     net.PacketConn
	client  netip.AddrPort // UDP RTP destination
	stop    chan struct{}
	done    chan struct{}
}

func newRTSPSession(h *Host, c net.Conn) *rtspSession {
	return &rtspSession{h: h, c: c, id: fmt.Sprintf("%08X", time.Now().UnixNano()&0xffffffff), channel: -1}
}

func (s *rtspSession) write(msg string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.c.SetWriteDeadline(time.Now().Add(idleTimeout))
	_, err := s.c.Write([]byte(msg))
	return err
}

// answer handles an authorized request; ok is false for a method it
// leaves to the persona's canned answers.
func (s *rtspSession) answer(ctx context.Context, method, uri, cseq string, hdr textproto.MIMEHeader) (string, bool) {
	head := func(status int) string {
		return fmt.Sprintf("RTSP/1.0 %d %s\r\nCSeq: %s\r\nServer: %s\r\n", status, rtspStatusText(status), cseq, s.h.Persona.RTSP.Server)
	}
	switch method {
	case "DESCRIBE":
		sdp := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 %s\r\ns=Media Presentation\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n", s.h.Addr)
		return head(200) + "Content-Base: " + strings.TrimSuffix(uri, "/") + "/\r\nContent-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(sdp)) + "\r\n\r\n" + sdp, true
	case "SETUP":
		tr := hdr.Get("Transport")
		if strings.Contains(tr, "interleaved=") || strings.Contains(tr, "/TCP") {
			s.channel = 0
			return head(200) + "Session: " + s.id + ";timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n", true
		}
		lo, hi, ok := clientPorts(tr)
		remote, err := netip.ParseAddrPort(s.c.RemoteAddr().String())
		if !ok || err != nil || s.h.listenPacket == nil {
			return head(461) + "\r\n", true
		}
		pc, err := s.h.listenPacket(ctx, "udp", netip.AddrPortFrom(s.h.Addr, 0).String())
		if err != nil {
			return head(500) + "\r\n", true
		}
		if s.udp != nil {
			_ = s.udp.Close()
		}
		s.udp, s.client = pc, netip.AddrPortFrom(remote.Addr(), lo)
		sp := pc.LocalAddr().(*net.UDPAddr).Port
		return head(200) + fmt.Sprintf("Session: %s;timeout=60\r\nTransport: RTP/AVP;unicast;client_port=%d-%d;server_port=%d-%d\r\n\r\n", s.id, lo, hi, sp, sp+1), true
	case "PLAY":
		if s.channel < 0 && s.udp == nil {
			return head(455) + "\r\n", true
		}
		s.startStream()
		return head(200) + "Session: " + s.id + "\r\nRTP-Info: url=" + uri + "/trackID=0;seq=1;rtptime=0\r\n\r\n", true
	case "TEARDOWN":
		s.stopStream()
		return head(200) + "Session: " + s.id + "\r\n\r\n", true
	}
	return "", false
}

func clientPorts(transport string) (lo, hi uint16, ok bool) {
	for _, p := range strings.Split(transport, ";") {
		v, found := strings.CutPrefix(strings.TrimSpace(p), "client_port=")
		if !found {
			continue
		}
		a, b, _ := strings.Cut(v, "-")
		x, err1 := strconv.ParseUint(a, 10, 16)
		y, err2 := strconv.ParseUint(b, 10, 16)
		if err1 != nil || x == 0 {
			return 0, 0, false
		}
		if err2 != nil {
			y = x + 1
		}
		return uint16(x), uint16(y), true
	}
	return 0, 0, false
}

func (s *rtspSession) startStream() {
	if s.stop != nil {
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.stream(s.stop, s.done)
}

// stream sends RTP until stopped, the connection fails or the cap.
func (s *rtspSession) stream(stop, done chan struct{}) {
	defer close(done)
	pkt := make([]byte, 4+12+rtpPayload)
	var dst *net.UDPAddr
	if s.channel < 0 {
		dst = net.UDPAddrFromAddrPort(s.client)
	}
	for seq, sent := 0, 0; sent < maxStreamBytes; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		rtp := pkt[4:]
		rtp[0], rtp[1] = 0x80, 96
		binary.BigEndian.PutUint16(rtp[2:], uint16(seq))
		binary.BigEndian.PutUint32(rtp[4:], uint32(seq*3000))
		binary.BigEndian.PutUint32(rtp[8:], 0x5ca1ab1e)
		var err error
		if dst != nil {
			_, err = s.udp.WriteTo(rtp, dst)
		} else {
			pkt[0], pkt[1] = '$', byte(s.channel)
			binary.BigEndian.PutUint16(pkt[2:], uint16(len(rtp)))
			s.wmu.Lock()
			_ = s.c.SetWriteDeadline(time.Now().Add(idleTimeout))
			_, err = s.c.Write(pkt)
			s.wmu.Unlock()
		}
		if err != nil {
			return
		}
		sent += len(rtp)
		if seq%rtpBurst == rtpBurst-1 {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}
}

func (s *rtspSession) stopStream() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	s.stop, s.done = nil, nil
}

func (s *rtspSession) close() {
	s.stopStream()
	if s.udp != nil {
		_ = s.udp.Close()
	}
}
