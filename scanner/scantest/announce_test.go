package scantest

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// TestAnnouncements: every persona's announcements are well formed, and
// a padded Hello is longer than an Ethernet MTU. (No persona serves UPnP;
// SSDPNotify is built from a SERVER string.)
func TestAnnouncements(t *testing.T) {
	ps, err := Personas()
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("10.9.0.64")
	protos := map[string]int{}
	for _, p := range ps {
		v := Vars{Serial: p.Serial, MAC: p.MAC, IP: addr}
		for _, a := range Announcements(v.Expand(p), p.MAC, addr, AnnounceOptions{HelloBytes: 1600}) {
			protos[a.Proto]++
			switch a.Proto {
			case "wsd":
				if len(a.Payload) < 1600 {
					t.Errorf("%s: Hello of %d bytes, want at least 1600", p.Name, len(a.Payload))
				}
			case "mdns":
				var m dns.Msg
				if err := m.Unpack(a.Payload); err != nil || !m.Response || len(m.Answer) == 0 {
					t.Errorf("%s: mDNS announcement: %v, %d answers", p.Name, err, len(m.Answer))
				}
			}
			if !a.Dst.Addr().IsMulticast() || len(a.Payload) == 0 {
				t.Errorf("%s: %s announcement to %s, %d bytes", p.Name, a.Proto, a.Dst, len(a.Payload))
			}
		}
	}
	for _, proto := range []string{"wsd", "sadp", "dhip", "mdns"} {
		if protos[proto] == 0 {
			t.Errorf("no persona announces by %s", proto)
		}
	}
}
