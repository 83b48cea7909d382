package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/scantest"
)

func TestParseHead(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		ok    bool
		want  head
		ports []uint16
	}{
		{"PLAY", "PLAY rtsp://cam/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 5\r\n\r\n", true, head{rtsp: true, method: "PLAY"}, nil},
		{"SETUP with UDP ports", "SETUP rtsp://cam/trackID=1 RTSP/1.0\r\nTransport: RTP/AVP;unicast;client_port=8000-8001\r\n\r\n", true, head{rtsp: true, method: "SETUP"}, []uint16{8000, 8001}},
		{"SETUP offering two transports", "SETUP rtsp://cam/t RTSP/1.0\r\ntransport: RTP/AVP/TCP;interleaved=0-1, RTP/AVP;unicast;client_port=6000-6001\r\n\r\n", true, head{rtsp: true, method: "SETUP"}, []uint16{6000, 6001}},
		{"SETUP interleaved", "SETUP rtsp://cam/t RTSP/1.0\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n", true, head{rtsp: true, method: "SETUP"}, nil},
		{"RTSP answer", "RTSP/1.0 200 OK\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=8000-8001;server_port=9000-9001\r\n\r\n", true, head{rtsp: true, response: true}, nil},
		{"tunnel GET, LF only", "GET /axis-media/media.amp HTTP/1.0\nx-sessioncookie: abc\nAccept: application/x-rtsp-tunnelled\n\n", true, head{method: "GET", tunnel: true}, nil},
		{"tunnel POST", "POST /axis-media/media.amp HTTP/1.0\r\nx-sessioncookie: abc\r\nContent-Type: application/x-rtsp-tunnelled\r\nContent-Length: 32767\r\n\r\nREVTQ1JJQkUgcnRzcDovL...", true, head{method: "POST", tunnel: true}, nil},
		{"MJPEG answer", "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=--b\r\n\r\n", true, head{response: true, mjpeg: true}, nil},
		{"RTP interleaved in RTSP", "$\x00\x05\xdc\x80\x60", false, head{}, nil},
		{"TLS", "\x16\x03\x01\x02\x00\x01", false, head{}, nil},
		{"status without digits", "RTSP/1.0 OK\r\n\r\n", false, head{}, nil},
		{"lower-case method", "play rtsp://x RTSP/1.0\r\n\r\n", false, head{}, nil},
		{"huge client port", "SETUP rtsp://x RTSP/1.0\r\nTransport: RTP/AVP;client_port=99999-0\r\n\r\n", true, head{rtsp: true, method: "SETUP"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := parseHead([]byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			got := h
			got.clientPorts = nil
			if got.rtsp != tt.want.rtsp || got.response != tt.want.response || got.method != tt.want.method || got.tunnel != tt.want.tunnel || got.mjpeg != tt.want.mjpeg {
				t.Errorf("head %+v, want %+v", got, tt.want)
			}
			if len(h.clientPorts) != len(tt.ports) {
				t.Fatalf("client ports %v, want %v", h.clientPorts, tt.ports)
			}
			for i := range tt.ports {
				if h.clientPorts[i] != tt.ports[i] {
					t.Errorf("client ports %v, want %v", h.clientPorts, tt.ports)
				}
			}
		})
	}
}

func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"SETUP rtsp://cam/t RTSP/1.0\r\nTransport: RTP/AVP;unicast;client_port=8000-8001\r\n\r\n",
		"GET / HTTP/1.0\r\nx-sessioncookie: a\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace\r\n\r\n",
		"RTSP/1.0 200 OK\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := parseHead(b)
		if !ok && (h.method != "" || h.tunnel || len(h.clientPorts) > 0) {
			t.Errorf("a refused head carries %+v", h)
		}
		if len(h.clientPorts) > maxTransportPorts {
			t.Errorf("%d client ports, more than the bound", len(h.clientPorts))
		}
	})
}

// FuzzMirrorObserve feeds arbitrary frames to the mirror: it must not
// panic, and the table must stay within its bound.
func FuzzMirrorObserve(f *testing.F) {
	w := wire{&testing.T{}}
	f.Add(w.tcp(netip.MustParseAddrPort("10.0.0.9:5000"), netip.MustParseAddrPort("10.0.0.1:554"), "PA",
		"SETUP rtsp://x RTSP/1.0\r\nTransport: RTP/AVP;client_port=7000-7001\r\n\r\n"))
	f.Add(w.udp(netip.MustParseAddrPort("10.0.0.9:5000"), netip.MustParseAddrPort("10.0.0.53:53"), dnsQuery(&testing.T{}, "p2p.reolink.com")))
	f.Fuzz(func(t *testing.T, frame []byte) {
		table := NewTable(TableOptions{MaxFlows: 4})
		m := NewMirror(table, NewDNSTable(nil, nil, 4))
		m.Observe(frame, now)
		m.Observe(frame, now)
		if table.Stats().Entries > 4 {
			t.Errorf("table over its bound")
		}
		if p := m.Stats().Panics; p != 0 {
			t.Errorf("a decoder panicked on the frame (%d, recovered)", p)
		}
	})
}

// FuzzCollectorDecode feeds arbitrary datagrams to the collector, after a
// valid template so data sets are decoded too.
func FuzzCollectorDecode(f *testing.F) {
	boot := now.Add(-time.Hour)
	f.Add(scantest.EncodeNetFlowV9(pull(), scantest.ExportOptions{Now: now, Boot: boot, Sampling: 10}))
	f.Add(scantest.EncodeIPFIX(pull(), scantest.ExportOptions{Now: now, Boot: boot, Sampling: 10}))
	f.Add(scantest.EncodeNetFlowV5(pull(), scantest.ExportOptions{Now: now, Boot: boot}))
	f.Add(scantest.EncodeSFlow(router.Addr(), []scantest.SFlowSample{{Header: make([]byte, 60), FrameLength: 60, SamplingRate: 10}}, scantest.ExportOptions{Now: now, Boot: boot}))
	seed := scantest.EncodeNetFlowV9(pull(), scantest.ExportOptions{Now: now, Boot: boot})
	f.Fuzz(func(t *testing.T, datagram []byte) {
		table := NewTable(TableOptions{MaxFlows: 8})
		c := NewCollector(table, CollectorOptions{MaxTemplates: 4})
		_, _ = c.Decode(seed, router, now)
		_, _ = c.Decode(datagram, router, now)
		if st := c.Stats(); st.Panics != 0 {
			t.Errorf("a decoder panicked on the datagram (recovered): %+v", st)
		}
		if table.Stats().Entries > 8 {
			t.Errorf("table over its bound")
		}
	})
}
