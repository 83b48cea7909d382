package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// ptrOnlyMDNS answers every PTR question with PTR records alone (as avahi
// does for legacy-unicast queries), the same instances in every answer and
// repeated, the way a hostile or looping responder floods the prober, and
// records the SRV/TXT follow-up questions it is asked.
type ptrOnlyMDNS struct {
	instances []string // in the order they are announced
	repeat    int      // answers per PTR question
	mu        sync.Mutex
	followUps []string // names asked for SRV, in order
}

func (f *ptrOnlyMDNS) serve(ctx context.Context, pc net.PacketConn) {
	serveMDNSQueries(ctx, pc, func(q *dns.Msg) (out []*dns.Msg) {
		switch q.Question[0].Qtype {
		case dns.TypeSRV:
			f.mu.Lock()
			f.followUps = append(f.followUps, q.Question[0].Name)
			f.mu.Unlock()
			return nil
		case dns.TypePTR:
		default:
			return nil
		}
		if q.Question[0].Name != "_http._tcp.local." {
			return nil
		}
		for range f.repeat {
			r := new(dns.Msg)
			r.SetReply(q)
			for _, inst := range f.instances {
				r.Answer = append(r.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 120},
					Ptr: inst + "." + q.Question[0].Name})
			}
			out = append(out, r)
		}
		return out
	})
}

// TestMDNSProberFollowUpsBounded checks that the instances awaiting an SRV
// follow-up are kept once each and only the first ones announced: a
// responder repeating PTR-only answers cannot grow the pending list, and
// the follow-up asks each of the first 32 distinct instances exactly once,
// in the order they arrived.
func TestMDNSProberFollowUpsBounded(t *testing.T) {
	reversed := func(n int) []string {
		var out []string
		for i := n - 1; i >= 0; i-- {
			out = append(out, fmt.Sprintf("cam-%02d", i))
		}
		return out
	}
	cases := []struct {
		name      string
		addr      string
		instances []string
		repeat    int
		want      []string // instances asked for, in order
	}{
		{"one instance repeated", "127.77.208.20", []string{"front-door"}, 20, []string{"front-door"}},
		{"a few, each answer repeated", "127.77.208.21", reversed(5), 10, reversed(5)},
		{"more than the follow-up cap", "127.77.208.22", reversed(40), 3, reversed(40)[:32]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pc := listenUDP(t, tc.addr+":5353")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &ptrOnlyMDNS{instances: tc.instances, repeat: tc.repeat}
			go f.serve(ctx, pc)
			a := netip.MustParseAddr(tc.addr)
			p := probe.NewMDNSProber(probe.MDNSOptions{Services: []string{"_http._tcp"}, Wait: 300 * time.Millisecond}, zerolog.Nop())
			collect(t, p, scanner.Target{Addr: a, Dialer: &onlyDialer{addr: a}})
			time.Sleep(50 * time.Millisecond)
			f.mu.Lock()
			defer f.mu.Unlock()
			var got []string
			for _, n := range f.followUps {
				got = append(got, strings.TrimSuffix(n, "._http._tcp.local."))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("follow-ups asked for %q, want %q", got, tc.want)
			}
		})
	}
}
