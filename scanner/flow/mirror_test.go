package flow

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// wire builds Ethernet frames for the mirror tests.
type wire struct{ t *testing.T }

func (w wire) tcp(src, dst netip.AddrPort, flags string, payload string) []byte {
	w.t.Helper()
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Window: 4096, Seq: 1}
	for _, f := range flags {
		switch f {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'P':
			tcp.PSH = true
		}
	}
	return w.frame(src, dst, layers.IPProtocolTCP, tcp, payload)
}

func (w wire) udp(src, dst netip.AddrPort, payload []byte) []byte {
	w.t.Helper()
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	return w.frame(src, dst, layers.IPProtocolUDP, udp, string(payload))
}

func (w wire) frame(src, dst netip.AddrPort, proto layers.IPProtocol, l4 gopacket.SerializableLayer, payload string) []byte {
	w.t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	switch l := l4.(type) {
	case *layers.TCP:
		_ = l.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		_ = l.SetNetworkLayerForChecksum(ip)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, gopacket.Payload(payload)); err != nil {
		w.t.Fatal(err)
	}
	return buf.Bytes()
}

func dnsQuery(t *testing.T, name string) []byte {
	t.Helper()
	d := &layers.DNS{ID: 7, RD: true, Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	buf := gopacket.NewSerializeBuffer()
	if err := d.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMirrorSeesARecorderPullingVideo(t *testing.T) {
	w := wire{t}
	cam := netip.AddrPortFrom(camera, 554)
	rec := netip.AddrPortFrom(recorder, 50100)
	camRTP := netip.AddrPortFrom(camera, 6970)
	recRTP := netip.AddrPortFrom(recorder, 5000)
	at := now
	frames := [][]byte{
		w.tcp(rec, cam, "S", ""),
		w.tcp(cam, rec, "SA", ""),
		w.tcp(rec, cam, "PA", "SETUP rtsp://10.20.8.11/cam/realmonitor?channel=1&subtype=0/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n"),
		w.tcp(cam, rec, "PA", "RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 12345678;timeout=60\r\nTransport: RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971\r\n\r\n"),
		w.tcp(rec, cam, "PA", "PLAY rtsp://10.20.8.11/cam/realmonitor?channel=1&subtype=0 RTSP/1.0\r\nCSeq: 4\r\nSession: 12345678\r\n\r\n"),
	}
	for range 20 {
		frames = append(frames, w.udp(camRTP, recRTP, make([]byte, 1200)))
	}
	table := NewTable(TableOptions{})
	m := NewMirror(table, NewDNSTable(nil, nil, 0))
	for _, f := range frames {
		at = at.Add(time.Millisecond)
		m.Observe(f, at)
	}
	flows := table.Flows(time.Time{})
	if len(flows) != 2 {
		t.Fatalf("flows %+v, want the RTSP control connection and its RTP", flows)
	}
	var rtsp, rtp evidence.Flow
	for _, f := range flows {
		switch f.Proto {
		case 6:
			rtsp = f
		case 17:
			rtp = f
		}
	}
	if rtsp.Server != camera || rtsp.Client != recorder || rtsp.Port != 554 || rtsp.Video != evidence.VideoRTSPPlay {
		t.Errorf("RTSP flow %+v, want recorder -> camera:554 with %s", rtsp, evidence.VideoRTSPPlay)
	}
	if rtp.Server != camera || rtp.Client != recorder || rtp.Port != 6970 || rtp.Video != evidence.VideoRTP {
		t.Errorf("RTP flow %+v, want camera:6970 -> recorder with %s (its lower client port must not turn it round)", rtp, evidence.VideoRTP)
	}
	// IP length: 20 (IPv4) + 8 (UDP) + 1200 payload, twenty times.
	if rtp.ServerBytes != 20*1228 || rtp.ServerPackets != 20 || rtp.ClientBytes != 0 {
		t.Errorf("RTP counted server %d bytes / %d packets, client %d; want %d / 20 / 0", rtp.ServerBytes, rtp.ServerPackets, rtp.ClientBytes, 20*1228)
	}
	if !rtp.First.Equal(now.Add(6*time.Millisecond)) || !rtp.Last.Equal(now.Add(25*time.Millisecond)) {
		t.Errorf("RTP seen %v to %v", rtp.First, rtp.Last)
	}
}

func TestMirrorVideoSigns(t *testing.T) {
	w := wire{t}
	cam80 := netip.AddrPortFrom(camera, 80)
	rec := netip.AddrPortFrom(recorder, 50200)
	tests := []struct {
		name   string
		frames [][]byte
		want   string
	}{
		{"RTSP over HTTP, the GET leg", [][]byte{w.tcp(rec, cam80, "PA", "GET /cam/realmonitor HTTP/1.0\r\nx-sessioncookie: 9a8b7c6d\r\nAccept: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\n\r\n")}, evidence.VideoRTSPHTTP},
		{"RTSP over HTTP, the server's answer", [][]byte{w.tcp(cam80, rec, "PA", "HTTP/1.0 200 OK\r\nContent-Type: application/x-rtsp-tunnelled\r\nCache-Control: no-cache\r\n\r\n")}, evidence.VideoRTSPHTTP},
		{"motion JPEG over HTTP", [][]byte{w.tcp(cam80, rec, "PA", "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n\r\n--myboundary\r\n")}, evidence.VideoMJPEG},
		{"an ordinary web page", [][]byte{w.tcp(cam80, rec, "PA", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>")}, ""},
		{"DESCRIBE only (what a scanner sends)", [][]byte{w.tcp(rec, netip.AddrPortFrom(camera, 554), "PA", "DESCRIBE rtsp://10.20.8.11/ RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := NewTable(TableOptions{})
			m := NewMirror(table, nil)
			for _, f := range tt.frames {
				m.Observe(f, now)
			}
			flows := table.Flows(time.Time{})
			if len(flows) != 1 {
				t.Fatalf("flows %+v, want one", flows)
			}
			if f := flows[0]; f.Video != tt.want || f.Server != camera || f.Client != recorder {
				t.Errorf("flow %v -> %v video %q, want recorder -> camera video %q", f.Client, f.Server, f.Video, tt.want)
			}
		})
	}
}

func TestMirrorKeepsOnlyCloudLookups(t *testing.T) {
	w := wire{t}
	resolver := netip.AddrPortFrom(netip.MustParseAddr("10.20.0.53"), 53)
	camPort := netip.AddrPortFrom(camera, 40001)
	dns := NewDNSTable(nil, nil, 0)
	m := NewMirror(NewTable(TableOptions{}), dns)
	for _, name := range []string{"p2p5.reolink.com", "P2P5.Reolink.COM.", "ntp.example.org", "www.easy4ipcloud.com", "notreolink.com"} {
		m.Observe(w.udp(camPort, resolver, dnsQuery(t, name)), now)
	}
	got := dns.Lookups(time.Time{})
	want := []evidence.DNSLookup{
		{Client: camera, Name: "p2p5.reolink.com", Maker: "Reolink", Count: 2, First: now, Last: now},
		{Client: camera, Name: "www.easy4ipcloud.com", Maker: "Dahua", Count: 1, First: now, Last: now},
	}
	if len(got) != len(want) {
		t.Fatalf("lookups %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lookup %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMirrorSurvivesJunk(t *testing.T) {
	w := wire{t}
	m := NewMirror(NewTable(TableOptions{}), NewDNSTable(nil, nil, 0))
	good := w.tcp(netip.AddrPortFrom(recorder, 5), netip.AddrPortFrom(camera, 554), "PA", "PLAY rtsp://x RTSP/1.0\r\n\r\n")
	for n := range len(good) {
		m.Observe(good[:n], now)
	}
	m.Observe(nil, now)
	if st := m.Stats(); st.Frames != uint64(len(good)+1) {
		t.Errorf("stats %+v", st)
	}
}
