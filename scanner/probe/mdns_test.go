package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
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

// serveMDNSQueries hands each single-question query arriving on pc to
// answer, and sends back whatever messages it returns, until ctx ends.
func serveMDNSQueries(ctx context.Context, pc net.PacketConn, answer func(q *dns.Msg) []*dns.Msg) {
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
		for _, r := range answer(&q) {
			b, _ := r.Pack()
			_, _ = pc.WriteTo(b, from)
		}
	}
}

func (f *fakeMDNS) serve(ctx context.Context, pc net.PacketConn) {
	serveMDNSQueries(ctx, pc, func(q *dns.Msg) (out []*dns.Msg) {
		svc := strings.TrimSuffix(q.Question[0].Name, ".local.")
		for _, inst := range f.instances[svc] {
			r := new(dns.Msg)
			r.SetReply(q)
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
			out = append(out, r)
		}
		return out
	})
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
			p := probe.NewMDNSProber(probe.MDNSOptions{Wait: time.Second}, zerolog.Nop())
			got := collect(t, p, scanner.Target{Addr: a, Dialer: &onlyDialer{addr: a}})
			if len(got["mdns.instance"]) != tc.instances {
				t.Errorf("mdns.instance: %d values %q, want %d", len(got["mdns.instance"]), got["mdns.instance"], tc.instances)
			}
			wantOne(t, got, "mdns.host", tc.fake.host+".local")
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

// TestMDNSProberHashicorpResponder runs the prober against the Axis
// persona's mDNS section as scantest serves it: records written by
// hashicorp/mdns's zone, an implementation independent of this querier.
// Two Axis hosts with different MACs answer on their own addresses; each
// probe must see its own host's instance, SRV target and TXT only.
func TestMDNSProberHashicorpResponder(t *testing.T) {
	axis, err := scantest.PersonaByName("axis-p3245-lve")
	if err != nil {
		t.Fatal(err)
	}
	specs := []scantest.HostSpec{
		{Persona: axis, MAC: "ac:cc:8e:00:00:01"},
		{Persona: axis, MAC: "ac:cc:8e:00:00:02"},
	}
	n := scantest.StartTB(t, specs, scantest.Options{Base: scantest.RandomBase(), Logger: zerolog.Nop()})
	for _, h := range n.Hosts {
		t.Run(h.MAC(), func(t *testing.T) {
			port, ok := h.Ports["mdns"]
			if !ok || port != scantest.DefaultPorts()["mdns"] {
				t.Fatalf("mdns port = %d, %v; want the scantest port %d", port, ok, scantest.DefaultPorts()["mdns"])
			}
			hex := strings.ReplaceAll(h.MAC(), ":", "")
			p := probe.NewMDNSProber(probe.MDNSOptions{Port: port, Wait: time.Second}, zerolog.Nop())
			got := collect(t, p, scanner.Target{Addr: h.Addr, Dialer: &onlyDialer{addr: h.Addr}})
			for _, s := range []string{"_axis-video._tcp", "_http._tcp"} {
				if !slices.Contains(got["mdns.service"], s) {
					t.Errorf("mdns.service = %q, want %s", got["mdns.service"], s)
				}
			}
			wantInst := "AXIS P3245-LVE - " + strings.ToUpper(hex)
			if g := got["mdns.instance"]; !slices.Equal(slices.Compact(g), []string{wantInst}) {
				t.Errorf("mdns.instance = %q, want %q", g, wantInst)
			}
			if g := got["mdns.host"]; !slices.Equal(slices.Compact(g), []string{"axis-" + hex + ".local"}) {
				t.Errorf("mdns.host = %q, want axis-%s.local", g, hex)
			}
			for _, txt := range []string{"macaddress=" + strings.ToUpper(hex), "path=/"} {
				if !slices.Contains(got["mdns.txt"], txt) {
					t.Errorf("mdns.txt = %q, want %q", got["mdns.txt"], txt)
				}
			}
			if len(got["mdns.txt"]) != 2 {
				t.Errorf("mdns.txt = %q, want this host's two strings only", got["mdns.txt"])
			}
		})
	}
}
