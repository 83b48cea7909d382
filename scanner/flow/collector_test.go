package flow

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/scantest"
)

var (
	camera   = netip.MustParseAddr("10.20.8.11")
	recorder = netip.MustParseAddr("10.20.30.40")
	router   = netip.MustParseAddrPort("10.20.99.1:40000")
	boot     = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	now      = boot.Add(3 * time.Hour)
)

// pull is a recorder's RTSP session with a camera as a router exports it:
// two unidirectional records, the video one large.
func pull() []scantest.FlowRecord {
	cam := netip.AddrPortFrom(camera, 554)
	rec := netip.AddrPortFrom(recorder, 51234)
	return []scantest.FlowRecord{
		{Src: rec, Dst: cam, Proto: 6, Bytes: 4_000, Packets: 60, Start: now.Add(-time.Minute), End: now.Add(-time.Second)},
		{Src: cam, Dst: rec, Proto: 6, Bytes: 6_000_000, Packets: 4_300, Start: now.Add(-time.Minute), End: now.Add(-time.Second)},
	}
}

func TestCollectorDecodesEachFormat(t *testing.T) {
	agent := router.Addr()
	tests := []struct {
		name     string
		datagram []byte
		source   string
		// want: bytes each side sent after scaling, and whether scaled.
		serverBytes, clientBytes uint64
		sampled                  bool
	}{
		{"netflow v9", scantest.EncodeNetFlowV9(pull(), scantest.ExportOptions{Now: now, Boot: boot}), evidence.SourceNetFlow, 6_000_000, 4_000, false},
		{"netflow v9, sampling in an options record", scantest.EncodeNetFlowV9(pull(), scantest.ExportOptions{Now: now, Boot: boot, Sampling: 10}), evidence.SourceNetFlow, 60_000_000, 40_000, true},
		{"netflow v9, sampling in the data records", scantest.EncodeNetFlowV9(pull(), scantest.ExportOptions{Now: now, Boot: boot, Sampling: 4, SamplingInRecords: true}), evidence.SourceNetFlow, 24_000_000, 16_000, true},
		{"ipfix", scantest.EncodeIPFIX(pull(), scantest.ExportOptions{Now: now, Boot: boot, Domain: 7}), evidence.SourceIPFIX, 6_000_000, 4_000, false},
		{"ipfix, sampling in an options record", scantest.EncodeIPFIX(pull(), scantest.ExportOptions{Now: now, Boot: boot, Domain: 7, Sampling: 100}), evidence.SourceIPFIX, 600_000_000, 400_000, true},
		{"ipfix, PSAMP interval and space as softflowd sends them", scantest.EncodeIPFIX(pull(), scantest.ExportOptions{Now: now, Boot: boot, Domain: 7, Sampling: 4, PSAMP: true}), evidence.SourceIPFIX, 24_000_000, 16_000, true},
		{"netflow v5, sampling in the header", scantest.EncodeNetFlowV5(pull(), scantest.ExportOptions{Now: now, Boot: boot, Sampling: 2}), evidence.SourceNetFlow5, 12_000_000, 8_000, true},
		{"sflow, one sample each way at 1 in 1000", scantest.EncodeSFlow(agent, []scantest.SFlowSample{
			{Header: frame(t, pull()[0].Src, pull()[0].Dst), FrameLength: 1514, SamplingRate: 1000},
			{Header: frame(t, pull()[1].Src, pull()[1].Dst), FrameLength: 1514, SamplingRate: 1000},
		}, scantest.ExportOptions{Now: now, Boot: boot}), evidence.SourceSFlow, 1_514_000, 1_514_000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := NewTable(TableOptions{})
			c := NewCollector(table, CollectorOptions{Exporters: []netip.Prefix{netip.PrefixFrom(router.Addr(), 32)}})
			n, err := c.Decode(tt.datagram, router, now)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if n != 2 {
				t.Fatalf("Decode = %d records, want 2", n)
			}
			flows := table.Flows(time.Time{})
			if len(flows) != 1 {
				t.Fatalf("flows = %+v, want one (both directions of one session)", flows)
			}
			f := flows[0]
			if f.Server != camera || f.Client != recorder || f.Port != 554 || f.Proto != 6 {
				t.Errorf("flow %v -> %v:%d/%d, want recorder -> camera:554/6", f.Client, f.Server, f.Port, f.Proto)
			}
			if f.ServerBytes != tt.serverBytes || f.ClientBytes != tt.clientBytes || f.Sampled != tt.sampled {
				t.Errorf("bytes server %d client %d sampled %v, want %d %d %v", f.ServerBytes, f.ClientBytes, f.Sampled, tt.serverBytes, tt.clientBytes, tt.sampled)
			}
			if len(f.Sources) != 1 || f.Sources[0] != tt.source {
				t.Errorf("sources %v, want [%s]", f.Sources, tt.source)
			}
			if f.Last.After(now) || now.Sub(f.Last) > 2*time.Minute {
				t.Errorf("last seen %v, want shortly before %v", f.Last, now)
			}
			if got := c.Stats().Records[tt.source]; got != 2 {
				t.Errorf("stats records[%s] = %d, want 2", tt.source, got)
			}
		})
	}
}

// frame builds the Ethernet frame an sFlow agent samples.
func frame(t *testing.T, src, dst netip.AddrPort) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), ACK: true, Window: 1024}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(make([]byte, 64))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCollectorRefusesAndSurvives(t *testing.T) {
	table := NewTable(TableOptions{})
	c := NewCollector(table, CollectorOptions{Exporters: []netip.Prefix{netip.MustParsePrefix("10.20.99.0/24")}, MaxTemplates: 1})
	good := scantest.EncodeNetFlowV9(pull(), scantest.ExportOptions{Now: now, Boot: boot})
	if _, err := c.Decode(good, netip.MustParseAddrPort("192.0.2.7:2055"), now); err == nil {
		t.Error("a datagram from an address that is not a configured exporter was accepted")
	}
	if st := c.Stats(); st.Refused != 1 || st.Exporters != 0 || table.Stats().Entries != 0 {
		t.Errorf("after a stranger's datagram: %+v, %d flows; want it refused and nothing kept", st, table.Stats().Entries)
	}
	for _, bad := range [][]byte{nil, {0, 9}, {0, 11, 0, 0}, good[:30], append([]byte{0, 10}, good[2:]...)} {
		if _, err := c.Decode(bad, router, now); err == nil {
			t.Errorf("Decode(% x...) gave no error", bad[:min(len(bad), 8)])
		}
	}
	// A second template from the same exporter overflows MaxTemplates 1.
	sampled := scantest.EncodeNetFlowV9(pull(), scantest.ExportOptions{Now: now, Boot: boot, Sampling: 10})
	if _, err := c.Decode(sampled, router, now); err == nil {
		t.Error("an exporter's second template was accepted over MaxTemplates 1")
	}
}

func TestCollectorServesUDP(t *testing.T) {
	table := NewTable(TableOptions{})
	c := NewCollector(table, CollectorOptions{})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, conn) }()
	out, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	recs := pull()
	for i := range recs {
		recs[i].Start, recs[i].End = time.Now().Add(-time.Second), time.Now()
	}
	if _, err := out.Write(scantest.EncodeIPFIX(recs, scantest.ExportOptions{Now: time.Now()})); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for c.Stats().Records[evidence.SourceIPFIX] < 2 {
		select {
		case <-deadline:
			t.Fatalf("collector saw %+v after 10 s", c.Stats())
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
