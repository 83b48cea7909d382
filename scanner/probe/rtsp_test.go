package probe

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestParseRTSPHead(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		status  int
		headers map[string][]string
		wantErr bool
	}{
		{
			name:   "hikvision options",
			in:     "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\nDate:  Mon, Jan 01 2024 10:00:00 GMT\r\n",
			status: 200,
			headers: map[string][]string{
				"cseq":   {"1"},
				"public": {"OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER"},
				"date":   {"Mon, Jan 01 2024 10:00:00 GMT"},
			},
		},
		{
			name:   "two challenges",
			in:     "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(C6253)\", nonce=\"ab\", stale=\"FALSE\"\r\nWWW-Authenticate: Basic realm=\"IP Camera(C6253)\"\r\n",
			status: 401,
			headers: map[string][]string{
				"cseq":             {"2"},
				"www-authenticate": {`Digest realm="IP Camera(C6253)", nonce="ab", stale="FALSE"`, `Basic realm="IP Camera(C6253)"`},
			},
		},
		{
			name:    "bare LF, no reason, folded header, junk line",
			in:      "\nRTSP/1.0 200\nServer: Rtsp\n  Server/3.0\nthis line has no colon\nContent-Length: 12\n",
			status:  200,
			headers: map[string][]string{"server": {"Rtsp Server/3.0"}, "content-length": {"12"}},
		},
		{name: "http is not rtsp", in: "HTTP/1.1 200 OK\r\nServer: x\r\n", wantErr: true},
		{name: "garbage", in: "\x16\x03\x01\x00\x05hello", wantErr: true},
		{name: "bad code", in: "RTSP/1.0 abc OK\r\n", wantErr: true},
		{name: "code out of range", in: "RTSP/1.0 1000 OK\r\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseRTSPHead([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if r.Status != tc.status || !reflect.DeepEqual(r.Header, tc.headers) {
				t.Errorf("got %d %q, want %d %q", r.Status, r.Header, tc.status, tc.headers)
			}
		})
	}
}

func TestReadRTSPResponse(t *testing.T) {
	two := "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 5\r\n\r\nv=0\r\nRTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n\r\n"
	tests := []struct {
		name     string
		in       string
		pending  string
		status   int
		rest     string
		complete bool
		wantErr  bool
	}{
		{name: "body skipped, next answer kept", in: two, status: 200, rest: "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n\r\n", complete: true},
		{name: "pending bytes come first", pending: "RTSP/1.0 401 Unauth", in: "orized\r\nCSeq: 2\r\n\r\n", status: 401, rest: "", complete: true},
		{name: "head cut by close is still read", in: "RTSP/1.0 404 Not Found\r\nServer: x", status: 404, complete: false},
		{name: "body shorter than its length", in: "RTSP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nv=0", status: 200, complete: false},
		{name: "body larger than the bound", in: "RTSP/1.0 200 OK\r\nContent-Length: 999999\r\n\r\n", status: 200, complete: false},
		{name: "nothing", in: "", wantErr: true},
		{name: "garbage", in: strings.Repeat("\x00garbage", 5000), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, rest, complete, err := readRTSPResponse(strings.NewReader(tc.in), []byte(tc.pending))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if r.Status != tc.status || string(rest) != tc.rest || complete != tc.complete {
				t.Errorf("got %d, rest %q, complete %v; want %d, %q, %v", r.Status, rest, complete, tc.status, tc.rest, tc.complete)
			}
		})
	}
}

// fakeRTSP answers OPTIONS and DESCRIBE like a camera; closeEach makes it
// hang up after every answer, as some servers do.
type fakeRTSP struct {
	server, public, describe string // describe: status line and headers after CSeq
	closeEach                bool
	mu                       sync.Mutex
	requests                 []string
}

func (f *fakeRTSP) handle(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		method, _, _ := strings.Cut(line, " ")
		cseq := ""
		for {
			h, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if h == "\r\n" {
				break
			}
			if v, ok := strings.CutPrefix(h, "CSeq: "); ok {
				cseq = strings.TrimSpace(v)
			}
		}
		f.mu.Lock()
		f.requests = append(f.requests, method)
		f.mu.Unlock()
		var ans string
		switch method {
		case "OPTIONS":
			ans = fmt.Sprintf("RTSP/1.0 200 OK\r\nCSeq: %s\r\nServer: %s\r\nPublic: %s\r\n\r\n", cseq, f.server, f.public)
		case "DESCRIBE":
			ans = fmt.Sprintf("%s\r\nCSeq: %s\r\n\r\n", f.describe, cseq)
		default:
			ans = fmt.Sprintf("RTSP/1.0 405 Method Not Allowed\r\nCSeq: %s\r\n\r\n", cseq)
		}
		if _, err := c.Write([]byte(ans)); err != nil || f.closeEach {
			return
		}
	}
}

func newRTSPTestProber() *RTSPProber {
	p := NewRTSPProber(zerolog.Nop())
	p.RequestTimeout = time.Second
	return p
}

func TestRTSPProbe(t *testing.T) {
	dahuaDescribe := "RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"Login to 4K0A1B2PAZ12345\", nonce=\"0a1b\""
	tests := []struct {
		name string
		fake *fakeRTSP
		want map[string][]string
	}{
		{
			name: "dahua style, one connection",
			fake: &fakeRTSP{server: "Rtsp Server/3.0", public: "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER", describe: dahuaDescribe},
			want: map[string][]string{
				"rtsp.status": {"200"},
				"rtsp.server": {"Rtsp Server/3.0"},
				"rtsp.public": {"OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"},
				"rtsp.realm":  {"Login to 4K0A1B2PAZ12345"},
			},
		},
		{
			name: "server that hangs up after each answer",
			fake: &fakeRTSP{server: "GStreamer RTSP server", public: "OPTIONS, DESCRIBE", describe: "RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"AXIS_ACCC8E000000\"", closeEach: true},
			want: map[string][]string{
				"rtsp.server": {"GStreamer RTSP server"},
				"rtsp.realm":  {"AXIS_ACCC8E000000"},
			},
		},
		{
			name: "open stream answers 200 without realm",
			fake: &fakeRTSP{server: "LIVE555 Streaming Media v2013.04.08", public: "OPTIONS, DESCRIBE", describe: "RTSP/1.0 200 OK\r\nContent-Type: application/sdp\r\nContent-Length: 0"},
			want: map[string][]string{"rtsp.server": {"LIVE555 Streaming Media v2013.04.08"}, "rtsp.realm": nil},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := bannerServe(t, tc.fake.handle)
			tg := bannerTarget(t, "rtsp", addr)
			c := probeWithin(t, newRTSPTestProber(), tg, 10*time.Second)
			for field, want := range tc.want {
				if got := c.values(field); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			tc.fake.mu.Lock()
			defer tc.fake.mu.Unlock()
			if !reflect.DeepEqual(tc.fake.requests, []string{"OPTIONS", "DESCRIBE"}) {
				t.Errorf("requests = %q, want OPTIONS then DESCRIBE", tc.fake.requests)
			}
			checkDialsStayOnTarget(t, tg)
		})
	}
}

func TestRTSPProbeHostile(t *testing.T) {
	for _, name := range []string{"silent", "reset", "giant-headers", "garbage", "slow-drip"} {
		t.Run(name, func(t *testing.T) {
			addr := bannerServe(t, bannerHostile[name])
			tg := bannerTarget(t, "rtsp", addr)
			c := probeWithin(t, newRTSPTestProber(), tg, 3*time.Second)
			if name == "garbage" && len(c.ev) != 0 {
				t.Errorf("evidence from garbage: %v", c.ev)
			}
		})
	}
}

func FuzzReadRTSPResponse(f *testing.F) {
	f.Add([]byte("RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"x\"\r\n\r\n"))
	f.Add([]byte("RTSP/1.0 200 OK\nContent-Length: 3\n\nabcRTSP/1.0 200"))
	f.Add([]byte("RTSP/1.0 200\r\n \r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, rest, _, err := readRTSPResponse(bytes.NewReader(b), nil)
		if err != nil {
			return
		}
		if len(rest) > maxRTSPBytes || len(r.Header) > maxRTSPHeaders {
			t.Fatalf("unbounded: rest %d, %d headers", len(rest), len(r.Header))
		}
		for _, v := range r.Header["www-authenticate"] {
			_ = realms(v)
		}
	})
}
