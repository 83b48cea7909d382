package scanner_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// fakeMDNS answers PTR queries the way a DNS-SD responder does, from a table
// of service -> instances; each instance is its own answer message, as a
// responder that spreads a large set over several packets sends them.
type fakeMDNS struct {
	instances map[string][]string // "_http._tcp" -> instance labels
	withTXT   bool
	host      string
}

func (f *fakeMDNS) serve(ctx context.Context, pc net.PacketConn) {
	stop := context.AfterFunc(ctx, func() { _ = pc.Close() })
	defer stop()
	buf := make([]byte, 9000)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var q dns.Msg
		if q.Unpack(buf[:n]) != nil || len(q.Question) != 1 {
			continue
		}
		svc := strings.TrimSuffix(q.Question[0].Name, ".local.")
		for _, inst := range f.instances[svc] {
			r := new(dns.Msg)
			r.SetReply(&q)
			r.Authoritative = true
			full := inst + "." + q.Question[0].Name
			hdr := func(name string, t uint16) dns.RR_Header {
				return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 120}
			}
			r.Answer = append(r.Answer, &dns.PTR{Hdr: hdr(q.Question[0].Name, dns.TypePTR), Ptr: full})
			r.Extra = append(r.Extra, &dns.SRV{Hdr: hdr(full, dns.TypeSRV), Port: 80, Target: f.host + ".local."})
			if f.withTXT {
				r.Extra = append(r.Extra, &dns.TXT{Hdr: hdr(full, dns.TypeTXT), Txt: []string{"model=" + inst, "path=/"}})
			}
			b, _ := r.Pack()
			_, _ = pc.WriteTo(b, from)
		}
	}
}

func TestMDNSProber(t *testing.T) {
	many := make([]string, 60)
	for i := range many {
		many[i] = fmt.Sprintf("cam-%02d", i)
	}
	cases := []struct {
		name      string
		addr      string
		fake      *fakeMDNS
		instances int
		txt       bool
	}{
		// hashicorp/mdns would drop these: no TXT record.
		{"no TXT", "127.77.208.10", &fakeMDNS{instances: map[string][]string{"_rtsp._tcp": {"front door"}}, host: "ipc-1"}, 1, false},
		{"with TXT", "127.77.208.11", &fakeMDNS{instances: map[string][]string{"_axis-video._tcp": {"AXIS M3046-V - ACCC8E000001"}}, host: "axis-accc8e000001", withTXT: true}, 1, true},
		// More answers than hashicorp/mdns's result channel holds.
		{"many answers", "127.77.208.12", &fakeMDNS{instances: map[string][]string{"_http._tcp": many}, host: "nvr"}, 60, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.fake.withTXT = tc.txt
			pc := listenUDP(t, tc.addr+":5353")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go tc.fake.serve(ctx, pc)
			// A second responder on another address must not leak in.
			other := listenUDP(t, "127.77.208.99:5353")
			go (&fakeMDNS{instances: map[string][]string{"_http._tcp": {"intruder"}}, host: "intruder"}).serve(ctx, other)

			a := netip.MustParseAddr(tc.addr)
			p := scanner.NewMDNSProber(scanner.MDNSOptions{Wait: time.Second}, zerolog.Nop())
			got := collect(t, p, scanner.Target{Addr: a, Dialer: &onlyDialer{addr: a}})
			if len(got["mdns.instance"]) != tc.instances {
				t.Errorf("mdns.instance: %d values %q, want %d", len(got["mdns.instance"]), got["mdns.instance"], tc.instances)
			}
			if g := got["mdns.host"]; len(g) != 1 || g[0] != tc.fake.host+".local" {
				t.Errorf("mdns.host = %q", g)
			}
			if tc.txt != (len(got["mdns.txt"]) > 0) {
				t.Errorf("mdns.txt = %q, want TXT %v", got["mdns.txt"], tc.txt)
			}
			for _, v := range got["mdns.instance"] {
				if v == "intruder" {
					t.Errorf("answer from another address attributed to %s", tc.addr)
				}
			}
		})
	}
}
