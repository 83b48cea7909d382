//go:build linux

package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestPassiveStorm floods the lab link with new MACs (gratuitous ARP from
// made-up stations at in-scope addresses, 2,000 a second) while the daemon
// listens, and a real Dahua camera announces itself in the middle of it.
// The triggered probes must stay within the site's budget, the camera
// (ranked first when the queue is full) must still be looked at and
// published, the host table must stay within its cap, and the API and
// /metrics must keep answering. Peak RSS, heard/sent frames and the
// latencies of the API and /metrics during the storm are logged (figures
// in docs/passive.md); nothing is asserted about time or memory.
//
// The default run storms for 5 s; CAMSWEEP_STORM_SECONDS=30 is the full
// storm.
func TestPassiveStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("a storm of new MACs in a namespace lab; skipped with -short")
	}
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	seconds := 5
	if n, err := strconv.Atoi(os.Getenv("CAMSWEEP_STORM_SECONDS")); err == nil && n > 0 {
		seconds = n
	}
	const rate, budget = 2000, 20
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second+5*time.Minute)
	defer cancel()
	prefix := netip.MustParsePrefix("10.86.0.0/20")
	sn := startSensor(t, ctx, prefix, nil, fmt.Sprintf("    triggered_probes_per_minute: %d\n", budget))
	pid := sn.cmd.Process.Pid
	idleRSS := rssKB(pid, "VmRSS")

	// Watch memory and ask the API and /metrics every 200 ms.
	type probe struct {
		what string
		lat  time.Duration
		ok   bool
	}
	var (
		mu      sync.Mutex
		samples []probe
		peakRSS int
	)
	wctx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for wctx.Err() == nil {
			for _, ep := range []struct{ what, path string }{{"/metrics", "/metrics"}, {"API", "/api/v1/sites"}} {
				start := time.Now()
				_, code := sn.get(sn.port, ep.path)
				mu.Lock()
				samples = append(samples, probe{ep.what, time.Since(start), code == 200})
				peakRSS = max(peakRSS, rssKB(pid, "VmRSS"))
				mu.Unlock()
			}
			select {
			case <-wctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()

	dahua, _ := scantest.PersonaByName("dahua-ipc-hdw2431t-as-s2")
	cam, err := sn.lab.AddHost(netlab.Host{Addr: netip.MustParseAddr("10.86.15.10"), MAC: netlab.VendorMAC("Dahua", 0x5e0001), Vendor: "Dahua"})
	if err != nil {
		t.Fatal(err)
	}
	serveInLab(t, sn.lab, cam, dahua)
	v := scantest.Vars{Serial: "7G0B2D7PAJSTORM", MAC: cam.MAC.String(), IP: cam.Addr}
	var hello scantest.Announcement
	for _, a := range scantest.Announcements(v.Expand(dahua), cam.MAC.String(), cam.Addr, scantest.AnnounceOptions{}) {
		if a.Proto == "wsd" {
			hello = a
		}
	}
	// The camera speaks up halfway through the storm, and again every
	// few seconds as devices do.
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(seconds) * time.Second / 2):
		}
		for i := 0; i < 3 && ctx.Err() == nil; i++ {
			_ = sn.lab.SendFrom(cam, netlab.GratuitousARP(cam.MAC, cam.Addr))
			_ = sn.lab.SendUDP(cam, 0, hello.Dst, hello.Payload)
			time.Sleep(2 * time.Second)
		}
	}()

	backlogBefore := softnetDropped()
	stormStart := time.Now()
	sent, err := sn.lab.Flood(ctx, rate, time.Duration(seconds)*time.Second, stormFrame)
	if err != nil {
		t.Fatal(err)
	}
	stormTook := time.Since(stormStart)
	// The camera's look may wait for its turn in the budget.
	camInfo := `camsweep_unregistered_camera_info{brand="Dahua",ip="10.86.15.10"`
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		m, _ := sn.get(sn.port, "/metrics")
		if strings.Contains(m, camInfo) {
			break
		}
		if time.Now().After(deadline) {
			var lines []string
			for _, l := range strings.Split(m, "\n") {
				if strings.Contains(l, "passive") || strings.Contains(l, "triggered") || strings.Contains(l, "first_seen_total") {
					lines = append(lines, l)
				}
			}
			t.Fatalf("the camera announced during the storm was not published in 3 minutes; metrics:\n%s", strings.Join(lines, "\n"))
		}
	}
	elapsed := time.Since(stormStart)
	stopWatch()
	wg.Wait()
	// The listener's counters reach /metrics every 5 s: read them once
	// they have settled.
	var m string
	for prev := -1.0; ; time.Sleep(6 * time.Second) {
		m, _ = sn.get(sn.port, "/metrics")
		cur := metricValue(m, `camsweep_passive_frames_total{site="LAB"}`)
		if cur == prev {
			break
		}
		prev = cur
	}
	frames, hosts := metricValue(m, `camsweep_passive_frames_total{site="LAB"}`), metricValue(m, `camsweep_passive_hosts{site="LAB"}`)
	dropped := metricValue(m, `camsweep_passive_frames_dropped_total{site="LAB"}`)
	firstSeen, refused := metricValue(m, `camsweep_devices_first_seen_total{site="LAB"}`), metricValue(m, `camsweep_triggered_probes_refused_total{site="LAB"}`)
	probes := metricValue(m, `camsweep_triggered_probes_total{outcome="ok",site="LAB"}`) + metricValue(m, `camsweep_triggered_probes_total{outcome="failed",site="LAB"}`)
	hwm := rssKB(pid, "VmHWM")
	// Frames the kernel lost before any socket saw them (the veth's
	// receive backlog overflowing while the storm's sender and the
	// sensor share two busy cores): the lab's loss, not the listener's.
	// veth counts them as its sender's tx_dropped.
	linkDropped := func(ns, dev, dir string) uint64 {
		var st []struct {
			Stats64 map[string]struct {
				Dropped uint64 `json:"dropped"`
			} `json:"stats64"`
		}
		out, err := exec.Command("ip", "-n", ns, "-s", "-j", "link", "show", "dev", dev).Output()
		if err != nil || json.Unmarshal(out, &st) != nil || len(st) != 1 {
			return 0
		}
		return st[0].Stats64[dir].Dropped
	}
	// and the kernel's per-CPU input backlog (machine-wide: other tests'
	// frames count too).
	rxDropped := linkDropped(sn.lab.DeviceNS, sn.lab.DeviceIf, "tx") + linkDropped(sn.lab.ScannerNS, sn.lab.ScannerIf, "rx") +
		softnetDropped() - backlogBefore

	// At most the budget in any minute: over the elapsed time, one
	// minute's budget per started minute.
	if allowed := float64(budget * (int(elapsed/time.Minute) + 1)); probes > allowed {
		t.Errorf("%.0f triggered probes in %v, budget %d a minute allows %.0f", probes, elapsed.Round(time.Second), budget, allowed)
	}
	if refused == 0 {
		t.Errorf("no triggered probe refused under a storm of %d new MACs", sent)
	}
	if hosts > 16384 {
		t.Errorf("%.0f hosts held, cap 16384", hosts)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, what := range []string{"/metrics", "API"} {
		var lats []time.Duration
		failed := 0
		for _, s := range samples {
			if s.what != what {
				continue
			}
			lats = append(lats, s.lat)
			if !s.ok {
				failed++
			}
		}
		slices.Sort(lats)
		if len(lats) == 0 || failed > 0 {
			t.Errorf("%s: %d requests, %d failed during the storm", what, len(lats), failed)
			continue
		}
		t.Logf("%s during the storm: %d requests, p50 %v, p99 %v, max %v", what, len(lats),
			lats[len(lats)/2].Round(time.Millisecond), lats[len(lats)*99/100].Round(time.Millisecond), lats[len(lats)-1].Round(time.Millisecond))
	}
	t.Logf("storm: %d new MACs in %v (%d/s asked); heard %.0f frames, %.0f dropped by the listener's socket or queue, %d by the link before any socket; %.0f devices first seen; %.0f hosts held; "+
		"%.0f triggered probes (budget %d/min) and %.0f refused over %v; the camera announced mid-storm was published; "+
		"RSS idle %.1f MB, peak sampled %.1f MB, high-water mark %.1f MB",
		sent, stormTook.Round(time.Millisecond), rate, frames, dropped, rxDropped, firstSeen, hosts, probes, budget, refused, elapsed.Round(time.Second),
		float64(idleRSS)/1024, float64(peakRSS)/1024, float64(hwm)/1024)
}

// stormFrame is the i-th made-up station: a locally administered MAC and
// an address of the lab's /20 (addresses repeat every 3,584 stations, so
// the storm also moves addresses between MACs), announcing itself by
// gratuitous ARP.
func stormFrame(i int) []byte {
	mac := net.HardwareAddr{0x02, 0x5e, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
	return netlab.GratuitousARP(mac, netip.AddrFrom4([4]byte{10, 86, byte(1 + (i>>8)%14), byte(i)}))
}

// softnetDropped sums the kernel's per-CPU input backlog drops
// (/proc/net/softnet_stat, second column).
func softnetDropped() uint64 {
	b, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		return 0
	}
	var n uint64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			v, _ := strconv.ParseUint(f[1], 16, 64)
			n += v
		}
	}
	return n
}

// rssKB reads a memory figure (VmRSS, VmHWM) of a process, in KiB.
func rssKB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// metricValue reads one sample of an exposition by its name and labels.
func metricValue(exposition, series string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}
