package scantest

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// mdnsExchange sends each datagram in order to the host's mDNS socket and
// returns the first answer, or nil when none comes within wait.
func mdnsExchange(t *testing.T, h *Host, wait time.Duration, datagrams ...[]byte) *dns.Msg {
	t.Helper()
	c, err := net.Dial("udp4", addrPort(t, h, "mdns").String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, b := range datagrams {
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, mdnsMaxMessage)
	n, err := c.Read(buf)
	if err != nil {
		return nil
	}
	var m dns.Msg
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatalf("answer does not parse: %v", err)
	}
	return &m
}

func mdnsQuery(t *testing.T, id uint16, qs ...dns.Question) []byte {
	t.Helper()
	m := &dns.Msg{MsgHdr: dns.MsgHdr{Id: id}, Question: qs}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMDNSResponder checks the legacy-unicast answers of the Axis persona's
// mDNS section: ID and question echoed, TTLs capped, no cache-flush bit,
// the DNS-SD enumeration, a direct SRV question for an instance whose label
// has spaces, names matched whatever their case; and that garbage,
// responses and oversized datagrams are dropped without stopping it.
func TestMDNSResponder(t *testing.T) {
	n := startNet(t, []HostSpec{{Persona: mustPersona(t, "axis-p3245-lve"), MAC: "ac:cc:8e:12:34:56"}})
	h := n.Hosts[0]
	inst := `AXIS\ P3245-LVE\ -\ ACCC8E123456._axis-video._tcp.local.`
	q := func(name string, qt uint16) dns.Question {
		return dns.Question{Name: name, Qtype: qt, Qclass: dns.ClassINET}
	}
	wait := 2 * time.Second

	// Garbage first: each must be dropped, and the socket keep answering.
	resp := new(dns.Msg)
	resp.SetQuestion("_axis-video._tcp.local.", dns.TypePTR)
	resp.Response = true
	respB, _ := resp.Pack()
	notQuery := new(dns.Msg)
	notQuery.SetQuestion("_axis-video._tcp.local.", dns.TypePTR)
	notQuery.Opcode = dns.OpcodeUpdate
	notQueryB, _ := notQuery.Pack()
	big := append(mdnsQuery(t, 7, q("_axis-video._tcp.local.", dns.TypePTR)), make([]byte, mdnsMaxMessage)...)
	garbage := [][]byte{
		{}, {0x12}, make([]byte, 12), mdnsQuery(t, 1, q("_axis-video._tcp.local.", dns.TypePTR))[:20],
		[]byte("GET / HTTP/1.1\r\n\r\n"), respB, notQueryB, big, mdnsQuery(t, 2, q("_printer._tcp.local.", dns.TypePTR)),
	}
	// The socket serves datagrams in order: the first answer must be the
	// one to the query sent after all the garbage.
	m := mdnsExchange(t, h, wait, append(garbage, mdnsQuery(t, 0xbeef, q("_AXIS-video._tcp.local.", dns.TypePTR)))...)
	if m == nil {
		t.Fatal("no answer to a PTR query")
	}
	if m.Id != 0xbeef || !m.Response || !m.Authoritative || len(m.Question) != 1 || m.Question[0].Name != "_AXIS-video._tcp.local." {
		t.Errorf("header or question not echoed: %v", m)
	}
	var types []string
	for _, rr := range m.Answer {
		hd := rr.Header()
		if hd.Ttl > 10 || hd.Class != dns.ClassINET {
			t.Errorf("%v: TTL over 10 s or cache-flush bit set", rr)
		}
		types = append(types, dns.TypeToString[hd.Rrtype])
		switch r := rr.(type) {
		case *dns.PTR:
			if !strings.EqualFold(r.Ptr, inst) {
				t.Errorf("PTR -> %q, want %q", r.Ptr, inst)
			}
		case *dns.SRV:
			if r.Port != 80 || r.Target != "axis-accc8e123456.local." {
				t.Errorf("SRV %v", r)
			}
		case *dns.A:
			if !r.A.Equal(h.Addr.AsSlice()) {
				t.Errorf("A %v, want %s", r.A, h.Addr)
			}
		case *dns.TXT:
			if !slices.Equal(r.Txt, []string{"macaddress=ACCC8E123456"}) {
				t.Errorf("TXT %q", r.Txt)
			}
		}
	}
	if !slices.Equal(types, []string{"PTR", "SRV", "A", "TXT"}) {
		t.Errorf("answer types %q, want PTR SRV A TXT", types)
	}

	// DNS-SD enumeration: one PTR per service type, from both zones.
	m = mdnsExchange(t, h, wait, mdnsQuery(t, 3, q("_services._dns-sd._udp.local.", dns.TypePTR)))
	var enum []string
	for _, rr := range m.Answer {
		if p, ok := rr.(*dns.PTR); ok {
			enum = append(enum, p.Ptr)
		}
	}
	if slices.Sort(enum); !slices.Equal(enum, []string{"_axis-video._tcp.local.", "_http._tcp.local."}) {
		t.Errorf("enumeration = %q", enum)
	}

	// A follow-up for the instance itself (its label escaped on the wire
	// form miekg/dns gives), in upper case, two questions in one message.
	m = mdnsExchange(t, h, wait, mdnsQuery(t, 4, q(strings.ToUpper(inst), dns.TypeSRV), q(inst, dns.TypeTXT)))
	if m == nil {
		t.Fatal("no answer to SRV and TXT questions for the instance")
	}
	types = nil
	for _, rr := range m.Answer {
		types = append(types, dns.TypeToString[rr.Header().Rrtype])
	}
	if len(m.Question) != 2 || !slices.Equal(types, []string{"SRV", "A", "TXT"}) {
		t.Errorf("follow-up: %d questions, answer types %q", len(m.Question), types)
	}
}

func TestMDNSServiceValidate(t *testing.T) {
	for _, tc := range []struct {
		s  MDNSService
		ok bool
	}{
		{MDNSService{Service: "_axis-video._tcp", Instance: "AXIS - {{MAC_HEX}}", Port: 80, Host: "axis-{{mac_hex}}"}, true},
		{MDNSService{Service: "_http._tcp", Instance: "cam", Port: 80, Host: "cam.local"}, true},
		{MDNSService{Service: "_http._tcp.local", Instance: "cam", Port: 80}, false},
		{MDNSService{Service: "http", Instance: "cam", Port: 80}, false},
		{MDNSService{Service: "_http._tcp", Instance: "cam.1", Port: 80}, false},
		{MDNSService{Service: "_http._tcp", Instance: "", Port: 80}, false},
		{MDNSService{Service: "_http._tcp", Instance: "cam"}, false},
		{MDNSService{Service: "_http._tcp", Instance: "cam", Port: 80, Host: "a.b"}, false},
	} {
		if err := tc.s.validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: validate() = %v, want ok %v", tc.s, err, tc.ok)
		}
	}
}
