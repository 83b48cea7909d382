package link

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// l2LongHello is a WS-Discovery Hello of at least n bytes: a camera with a
// long scope list, as some makers send (1.5-1.7 kB).
func l2LongHello(n int) string {
	var scopes []string
	for i := 0; len(strings.Join(scopes, " ")) < n-len(l2HelloXML); i++ {
		scopes = append(scopes, fmt.Sprintf("onvif://www.onvif.org/location/building/B%02d/floor/%02d/corridor", i, i))
	}
	return strings.Replace(l2HelloXML, "onvif://www.onvif.org/type/video_encoder", strings.Join(scopes, " ")+" onvif://www.onvif.org/type/video_encoder", 1)
}

// l2Fragments splits an Ethernet/IPv4 frame (no options) into fragments
// of at most mtu bytes of IPv4, as the sender's kernel does.
func l2Fragments(t testing.TB, frame []byte, mtu int) [][]byte {
	t.Helper()
	eth, ip := frame[:14], frame[14:]
	if ip[0]&0x0f != 5 {
		t.Fatal("l2Fragments: header with options")
	}
	hdr, payload := ip[:20], ip[20:binary.BigEndian.Uint16(ip[2:4])]
	chunk := (mtu - 20) &^ 7
	var out [][]byte
	for off := 0; off < len(payload); off += chunk {
		end := min(off+chunk, len(payload))
		f := append(append([]byte{}, eth...), hdr...)
		binary.BigEndian.PutUint16(f[14+2:], uint16(20+end-off))
		flags := uint16(off / 8)
		if end < len(payload) {
			flags |= 0x2000
		}
		binary.BigEndian.PutUint16(f[14+6:], flags)
		out = append(out, append(f, payload[off:end]...))
	}
	return out
}

func TestDecodeFragmentedHello(t *testing.T) {
	hello := l2LongHello(1650)
	frame := l2UdpFrame(t, l2CamMAC, l2SsdpMAC, netip.AddrPortFrom(l2CamIP, 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), []byte(hello), 0)
	frags := l2Fragments(t, frame, 1500)
	if len(frags) != 2 {
		t.Fatalf("%d fragments, want 2 for a %d-byte Hello", len(frags), len(hello))
	}
	reversed := slices.Clone(frags)
	slices.Reverse(reversed)
	for name, order := range map[string][][]byte{"in order": frags, "last first": reversed} {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(DecoderOptions{Interface: &l2TestIfc})
			at := time.Unix(100, 0)
			var last []Heard
			for i, f := range order {
				hs := d.Decode(f, at)
				if len(hs) != 1 || hs[0].Addr != l2CamIP || hs[0].MAC != l2CamMAC.String() {
					t.Fatalf("fragment %d: heard %+v, want the camera placed", i, hs)
				}
				last = hs
			}
			f := l2Fields(last[0].Sighting)
			if !slices.Equal(f["wsd.hardware"], []string{"DS-2CD2143G2-I"}) || !slices.Equal(f["passive.heard"], []string{"wsd"}) {
				t.Errorf("reassembled Hello: evidence %v", f)
			}
			if st := d.Stats().Defrag; st.Reassembled != 1 || st.Held != 0 || st.HeldBytes != 0 {
				t.Errorf("defrag stats %+v", st)
			}
		})
	}
}

// TestDefragBounds: fragments that never complete cost at most the caps,
// in datagrams, bytes and time, and a complete datagram still gets through
// in the middle of such a flood.
func TestDefragBounds(t *testing.T) {
	lim := DefragLimits{Datagrams: 8, Fragments: 4, Bytes: 8 << 10, Timeout: 2 * time.Second}
	start := time.Unix(100, 0)
	// first fragments of datagrams that never complete, each from its own id
	open := func(id uint16, size int) []byte {
		f := l2UdpFrame(t, l2ServerMAC, l2SsdpMAC, netip.AddrPortFrom(netip.MustParseAddr("10.9.0.99"), 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), make([]byte, size), 0)
		binary.BigEndian.PutUint16(f[14+4:], id)
		return l2Fragments(t, f, 576)[0]
	}
	ipOf := func(f []byte) []byte { return append([]byte(nil), f[14:]...) }

	t.Run("datagrams", func(t *testing.T) {
		d := NewDefragmenter(lim)
		for i := range 1000 {
			d.Add(ipOf(open(uint16(i), 1200)), start)
			if st := d.Stats(); st.Held > lim.Datagrams || st.HeldBytes > lim.Bytes {
				t.Fatalf("after %d: %+v", i, st)
			}
		}
		if st := d.Stats(); st.Evicted < 1000-uint64(lim.Datagrams) {
			t.Errorf("evicted %d, want at least %d", st.Evicted, 1000-lim.Datagrams)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		d := NewDefragmenter(DefragLimits{Datagrams: 1000, Fragments: 4, Bytes: 4 << 10, Timeout: time.Minute})
		for i := range 100 {
			d.Add(ipOf(open(uint16(i), 1200)), start)
			if st := d.Stats(); st.HeldBytes > 4<<10 {
				t.Fatalf("after %d: %d bytes held", i, st.HeldBytes)
			}
		}
	})
	t.Run("fragments per datagram", func(t *testing.T) {
		d := NewDefragmenter(lim)
		big := l2UdpFrame(t, l2ServerMAC, l2SsdpMAC, netip.AddrPortFrom(netip.MustParseAddr("10.9.0.99"), 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), make([]byte, 6000), 0)
		frags := l2Fragments(t, big, 576)
		for _, f := range frags {
			if _, done := d.Add(ipOf(f), start); done {
				t.Fatal("a datagram of more fragments than the cap was reassembled")
			}
		}
		// Its later fragments start over and are dropped in turn; what
		// is left waits for its timeout.
		if st := d.Stats(); st.Evicted == 0 || st.Held > 1 || st.HeldBytes > 4*576 {
			t.Errorf("stats %+v: want the datagram dropped at the cap", st)
		}
	})
	t.Run("time", func(t *testing.T) {
		d := NewDefragmenter(lim)
		d.Add(ipOf(open(1, 1200)), start)
		d.Add(ipOf(open(2, 1200)), start.Add(lim.Timeout/2))
		d.Add(ipOf(open(3, 1200)), start.Add(lim.Timeout+time.Millisecond))
		if st := d.Stats(); st.Held != 2 || st.Expired != 1 {
			t.Errorf("stats %+v: want the first datagram expired", st)
		}
	})
	t.Run("a complete datagram amid a flood", func(t *testing.T) {
		d := NewDefragmenter(lim)
		hello := l2UdpFrame(t, l2CamMAC, l2SsdpMAC, netip.AddrPortFrom(l2CamIP, 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), []byte(l2LongHello(1600)), 0)
		frags := l2Fragments(t, hello, 1500)
		d.Add(ipOf(frags[0]), start)
		for i := range 3 {
			d.Add(ipOf(open(uint16(100+i), 1200)), start)
		}
		if out, done := d.Add(ipOf(frags[1]), start); !done || !strings.Contains(string(out.Payload), "DS-2CD2143G2-I") {
			t.Fatalf("Hello not reassembled: done %v", done)
		}
	})
	t.Run("refused", func(t *testing.T) {
		d := NewDefragmenter(lim)
		f := ipOf(open(7, 1200))
		truncated := f[:len(f)-10]
		withOptions := append([]byte(nil), f...)
		withOptions[0] = 0x46
		for name, p := range map[string][]byte{"truncated": truncated, "options": withOptions, "runt": f[:12]} {
			if _, done := d.Add(p, start); done {
				t.Errorf("%s: reassembled", name)
			}
		}
		if st := d.Stats(); st.Refused != 3 || st.Held != 0 {
			t.Errorf("stats %+v: want 3 refused, none held", st)
		}
		unfragmented := ipOf(l2UdpFrame(t, l2CamMAC, l2SsdpMAC, netip.AddrPortFrom(l2CamIP, 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), []byte("x"), 0))
		if _, done := d.Add(unfragmented, start); done {
			t.Error("an unfragmented packet went through the defragmenter")
		}
	})
}

// l2Sequence packs frames (or packets) into one fuzz input, each behind
// its 16-bit length, as the fuzz targets of this package split them.
func l2Sequence(frames ...[]byte) []byte {
	var out []byte
	for _, fr := range frames {
		out = append(out, byte(len(fr)>>8), byte(len(fr)))
		out = append(out, fr...)
	}
	return out
}

// FuzzDefragmenter feeds ip4defrag, through the bounds, arbitrary IPv4
// packets: each input is split into packets by a 16-bit length prefix, so
// fragments of one datagram can arrive in any order, overlap, repeat or
// lie about their lengths.
func FuzzDefragmenter(f *testing.F) {
	seed := l2Sequence
	hello := l2UdpFrame(f, l2CamMAC, l2SsdpMAC, netip.AddrPortFrom(l2CamIP, 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), []byte(l2LongHello(1700)), 0)
	var ips [][]byte
	for _, fr := range l2Fragments(f, hello, 576) {
		ips = append(ips, fr[14:])
	}
	f.Add(seed(ips...))
	f.Add(seed(ips[2], ips[0], ips[1], ips[0], ips[3]))
	f.Add(seed(ips[1][:30], ips[0]))
	lim := DefragLimits{Datagrams: 3, Fragments: 6, Bytes: 4096, Timeout: time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDefragmenter(lim)
		at := time.Unix(100, 0)
		for len(data) >= 2 {
			n := min(int(data[0])<<8|int(data[1]), len(data)-2)
			p := append([]byte(nil), data[2:2+n]...)
			data = data[2+n:]
			at = at.Add(300 * time.Millisecond)
			if out, done := d.Add(p, at); done && (out == nil || len(out.Payload) > 65535) {
				t.Fatalf("reassembled %v", out)
			}
			if st := d.Stats(); st.Held > lim.Datagrams || st.HeldBytes > lim.Bytes || st.HeldBytes < 0 {
				t.Fatalf("holds %d datagrams, %d bytes: limits %+v", st.Held, st.HeldBytes, lim)
			}
		}
	})
}
