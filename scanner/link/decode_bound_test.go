package link

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// TestDecodeBoundsEvidence: one reassembled mDNS answer whose TXT record
// holds twelve thousand distinct strings (any station may send it) gives
// at most maxFrameEvidence values, not one per string: what a frame says
// is held to a bound before anything is kept or compared.
func TestDecodeBoundsEvidence(t *testing.T) {
	var txts [][]byte
	for i := range 12000 {
		txts = append(txts, []byte(strconv.FormatInt(int64(i+36*36), 36)))
	}
	d := &layers.DNS{QR: true, AA: true, Answers: []layers.DNSResourceRecord{
		{Name: []byte("cam._http._tcp.local"), Type: layers.DNSTypeTXT, Class: layers.DNSClassIN, TTL: 120, TXTs: txts},
	}}
	buf := gopacket.NewSerializeBuffer()
	if err := d.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	mdns := netip.AddrPortFrom(netip.MustParseAddr("224.0.0.251"), 5353)
	frame := l2UdpFrame(t, l2CamMAC, net.HardwareAddr{0x01, 0x00, 0x5e, 0, 0, 0xfb}, netip.AddrPortFrom(l2CamIP, 5353), mdns, buf.Bytes(), 0)
	dec := NewDecoder(DecoderOptions{Interface: &l2TestIfc})
	var heard []Heard
	for _, f := range l2Fragments(t, frame, 1500) {
		heard = append(heard, dec.Decode(f, time.Unix(1, 0))...)
	}
	if st := dec.Stats().Defrag; st.Reassembled != 1 {
		t.Fatalf("the answer was not reassembled: %+v", st)
	}
	var txt int
	for _, h := range heard {
		for _, e := range h.Evidence {
			if e.Field == "mdns.txt" {
				txt++
			}
		}
		// mac, passive.heard and passive.foreign_subnet are the
		// listener's own, beyond what the frame said.
		if len(h.Evidence) > maxFrameEvidence+3 {
			t.Errorf("one frame gave %d evidence items, want at most %d", len(h.Evidence), maxFrameEvidence+3)
		}
	}
	if txt == 0 {
		t.Error("no TXT string was kept at all")
	}
}
