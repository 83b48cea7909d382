//go:build linux

package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestLabPassiveMinute is the passive profile as a new user tries it: 120
// emulated hosts announce themselves every 10-30 s (gratuitous ARP, DHCP,
// mDNS, SSDP NOTIFY, WS-Discovery Hellos longer than the MTU that the
// device side's kernel sends as IPv4 fragments, SADP, DHIP, frames the
// listener cannot decode, and three cameras on another subnet's factory
// defaults) while `camsweep scan --profile passive --listen 60s` listens.
// At least 95% of the hosts that announced within the minute must be
// reported, each with its true MAC, and the device side must see not one
// frame from the scanner.
//
// CAMSWEEP_PASSIVE_BASELINE_BIN=path runs the same minute with another
// camsweep binary afterwards (a build of main, say) and logs its figures
// beside these, for the side-by-side in the report; it is not scored.
func TestLabPassiveMinute(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("a minute of listening; skipped with -short")
	}
	prefix := netip.MustParsePrefix("10.82.0.0/24")
	lab, anns := announcingLab(t, prefix, 1)
	bin := buildBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg := runAnnouncers(ctx, lab, anns, t.Errorf)
	defer func() { cancel(); wg.Wait() }()

	res := listenMinute(t, lab, bin, prefix, anns)
	t.Logf("camsweep (this build): %s", res)
	if res.sent != 0 || res.packetsSent != 0 {
		t.Errorf("the listener put %d frames on the wire (report says %d packets)", res.sent, res.packetsSent)
	}
	if res.announced < 100 {
		t.Fatalf("only %d hosts announced within the minute; the lab is broken", res.announced)
	}
	if float64(res.found) < 0.95*float64(res.announced) {
		t.Errorf("reported %d of %d announcing hosts with their true MAC, want at least 95%%; missed: %s", res.found, res.announced, strings.Join(res.missed, ", "))
	}
	for _, kind := range []string{"wsd-hello-fragmented", "factory-default"} {
		k := res.byKind[kind]
		if float64(k[1]) < 0.95*float64(k[0]) {
			t.Errorf("%s: %d of %d reported", kind, k[1], k[0])
		}
	}
	if res.reassembled < res.byKind["wsd-hello-fragmented"][1] {
		t.Errorf("%d fragmented Hellos read in full (wsd.endpoint), want one per reported Hello camera (%d)", res.reassembled, res.byKind["wsd-hello-fragmented"][1])
	}
	if bin := os.Getenv("CAMSWEEP_PASSIVE_BASELINE_BIN"); bin != "" {
		t.Logf("baseline %s: %s", bin, listenMinute(t, lab, bin, prefix, anns))
	}
}

type minuteResult struct {
	announced, found, reassembled int
	byKind                        map[string][2]int // announced, found
	kinds                         []string
	missed                        []string
	sent, packetsSent             int
	devices                       int
	wall                          time.Duration
	rssMB                         float64
}

func (r minuteResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d announcing hosts reported with their true MAC (%.1f%%), %d devices in the report, %d fragmented Hellos read in full; %d frames from the scanner on the wire (report: %d packets sent); wall %v, peak RSS %.1f MB; by kind:",
		r.found, r.announced, 100*float64(r.found)/float64(max(r.announced, 1)), r.devices, r.reassembled, r.sent, r.packetsSent, r.wall.Round(time.Millisecond), r.rssMB)
	for _, k := range r.kinds {
		fmt.Fprintf(&b, " %s %d/%d", k, r.byKind[k][1], r.byKind[k][0])
	}
	return b.String()
}

// listenMinute runs bin's passive profile for a minute in lab's scanner
// namespace and scores its report against what the hosts announced.
func listenMinute(t *testing.T, lab *netlab.Lab, bin string, prefix netip.Prefix, anns []*announcer) minuteResult {
	t.Helper()
	capture, err := lab.CaptureScanner()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	run := runIn(ctx, lab, lab.ScannerNS, nil, bin, "scan", "--site", "LAB", "--profile", "passive", "--listen", "60s",
		"--interface", lab.ScannerIf, "-o", "json", "--log-level", "warn", "--no-progress", prefix.String())
	sent := capture.Stop()
	rep := scanReport(t, run, "passive scan")
	devices := devicesByIP(rep)
	// Announced within the minute: from a second after the start (the
	// process is up) to a second before the end.
	from, to := start.Add(time.Second), start.Add(59*time.Second)
	res := minuteResult{byKind: map[string][2]int{}, kinds: kindsOf(anns), sent: len(sent), packetsSent: int(rep.Stats.PacketsSent),
		devices: len(rep.Devices), wall: run.wall, rssMB: run.maxRSSMB}
	for _, a := range anns {
		if !a.sentBetween(from, to) {
			continue
		}
		k := res.byKind[a.kind]
		k[0]++
		res.announced++
		d, ok := devices[a.host.Addr]
		if ok && d.MAC == a.host.MAC.String() {
			k[1]++
			res.found++
			if a.kind == "wsd-hello-fragmented" && slices.ContainsFunc(d.Evidence, func(e evidence.Evidence) bool { return e.Field == "wsd.endpoint" }) {
				res.reassembled++
			}
		} else {
			res.missed = append(res.missed, fmt.Sprintf("%s (%s, mac %q)", a.host.Addr, a.kind, d.MAC))
		}
		res.byKind[a.kind] = k
	}
	return res
}
