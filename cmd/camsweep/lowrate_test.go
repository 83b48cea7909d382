package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// TestLowRateFindsWhatAFastSweepFinds is issue 15's first case: a careful
// operator's low rate must make a sweep slower, never blinder. Three
// Hikvision cameras and a printer sit on a loopback /28; a sweep at --rate
// 200 and one at --rate 2 must report the same cameras, and the slow one
// must not call itself complete while missing any.
func TestLowRateFindsWhatAFastSweepFinds(t *testing.T) {
	if testing.Short() {
		t.Skip("a sweep at 2 packets per second takes about half a minute")
	}
	base := scantest.RandomBase()
	prefix := netip.PrefixFrom(base.Addr(), 28)
	var hosts []scantest.HostSpec
	for i, name := range []string{"hikvision-ds-2cd2143g2-i", "hikvision-ds-2cd2143g2-i", "hikvision-ds-2cd2143g2-i", "hp-laserjet-m404dn"} {
		p, err := scantest.PersonaByName(name)
		if err != nil {
			t.Fatal(err)
		}
		addr := prefix.Addr()
		for range 3 + 4*i {
			addr = addr.Next()
		}
		hosts = append(hosts, scantest.HostSpec{Persona: p, Addr: addr, Serial: fmt.Sprintf("DS-2CD2143G2-I20230101AAWRJ%05d", i), MAC: fmt.Sprintf("44:19:b6:00:10:%02x", i)})
	}
	n := scantest.StartTB(t, hosts, scantest.Options{Base: base, Logger: zerolog.Nop()})
	port := fmt.Sprintf("%d/http", n.Hosts[0].Ports["http"])
	sweep := func(rate string) inventory.Report {
		stdout, stderr, code := camsweep(t, "", "scan", "--site", "NOH", "-p", port, "--rate", rate,
			"--log-level", "warn", "-o", "json", "--fail-on", "none", prefix.String())
		if code != exitOK {
			t.Fatalf("--rate %s: exit %d: %s", rate, code, stderr)
		}
		var rep inventory.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	cameras := func(rep inventory.Report) []string {
		var out []string
		for _, d := range rep.Devices {
			if d.IsCameraLike() {
				out = append(out, d.IP.String()+" "+d.Manufacturer+" "+d.Model)
			}
		}
		slices.Sort(out)
		return out
	}
	fast := sweep("200")
	if got := cameras(fast); len(got) != 3 {
		t.Fatalf("the fast sweep found %d cameras, want 3: %q", len(got), got)
	}
	slow := sweep("2")
	if got, want := cameras(slow), cameras(fast); !slices.Equal(got, want) {
		t.Errorf("--rate 2 found %q\n--rate 200 found %q\n(slow report: incomplete %v, stats %+v)", got, want, slow.Incomplete, slow.Stats)
	}
	// Slower, not cut short: nothing waited out its deadline in the queue.
	if slow.Incomplete || slow.Stats.HostsTimedOut != 0 || slow.Stats.PacketsNotSent != 0 {
		t.Errorf("the slow sweep did not finish its work: incomplete %v, stats %+v", slow.Incomplete, slow.Stats)
	}
}
