//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// watchEvent is one JSON line of camsweep watch.
type watchEvent struct {
	Type         string             `json:"type"`
	Event        string             `json:"event"`
	IP           string             `json:"ip"`
	MAC          string             `json:"mac"`
	Class        string             `json:"class"`
	Manufacturer string             `json:"manufacturer"`
	Foreign      bool               `json:"foreign_subnet"`
	Finding      *inventory.Finding `json:"finding"`
	Devices      int                `json:"devices"`
	Findings     int                `json:"findings"`
}

// TestLabWatch runs `camsweep watch` in a lab while a PC, a Dahua camera
// serving its banners, and a Hikvision left on a factory default of
// another subnet announce themselves. With --profile gentle each new host
// in the scope is probed, that host alone; with the default passive
// profile nothing is sent. SIGINT ends the watch with a summary.
func TestLabWatch(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	prefix := netip.MustParsePrefix("10.84.0.0/24")
	dahua, _ := scantest.PersonaByName("dahua-ipc-hdw2431t-as-s2")
	pc := netlab.Host{Addr: netip.MustParseAddr("10.84.0.20"), MAC: netlab.VendorMAC("Dell", 0x4a0001), Vendor: "Dell"}
	cam := netlab.Host{Addr: netip.MustParseAddr("10.84.0.30"), MAC: labMAC(dahua.MAC, 0x4a02), Vendor: "Dahua"}
	foreign := netlab.Host{Addr: netip.MustParseAddr("192.168.1.64"), Prefix: netip.MustParsePrefix("192.168.1.0/24"),
		MAC: netlab.VendorMAC("Hikvision", 0x4a0003), Vendor: "Hikvision"}
	lab := netlab.New(t, netlab.Config{Prefix: prefix, Hosts: []netlab.Host{pc, cam, foreign}})
	serveIn(t, lab, lab.DeviceNS, prefix, []scantest.HostSpec{{Persona: dahua, Addr: cam.Addr, MAC: cam.MAC.String()}})
	pc, cam, foreign = lab.Hosts[0], lab.Hosts[1], lab.Hosts[2]
	bin := buildBinary(t)
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry.csv")
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(reg, []byte("id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pol, []byte("banned_manufacturers: [Hikvision, Dahua]\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	watch := func(t *testing.T, profile string, until func([]watchEvent) bool, args ...string) ([]watchEvent, [][]byte, error) {
		capture, err := lab.CaptureScanner()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := lab.Command(ctx, lab.ScannerNS, bin, append([]string{"watch", "--site", "LAB", "--interface", lab.ScannerIf,
			"--profile", profile, "-o", "json", "--log-level", "warn"}, append(args, prefix.String())...)...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var (
			mu     sync.Mutex
			events []watchEvent
			done   = make(chan struct{})
		)
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var ev watchEvent
				if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
					t.Errorf("watch printed a line that is not JSON: %q", sc.Text())
					continue
				}
				mu.Lock()
				events = append(events, ev)
				mu.Unlock()
			}
		}()
		// The hosts announce until the watch has seen what the test waits
		// for; then SIGINT stops it.
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); {
			for _, h := range []netlab.Host{pc, cam, foreign} {
				if err := lab.SendFrom(h, netlab.GratuitousARP(h.MAC, h.Addr)); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			enough := until(events)
			mu.Unlock()
			if enough {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		<-done
		err = cmd.Wait()
		sent := capture.Stop()
		if t.Failed() {
			t.Logf("stderr: %s", stderr.String())
		}
		return events, sent, err
	}
	byMAC := func(evs []watchEvent) map[string][]watchEvent {
		m := map[string][]watchEvent{}
		for _, ev := range evs {
			if ev.MAC != "" {
				m[ev.MAC] = append(m[ev.MAC], ev)
			}
		}
		return m
	}

	t.Run("gentle", func(t *testing.T) {
		found := func(evs []watchEvent) bool {
			for _, ev := range evs {
				if ev.Type == "finding" && ev.IP == cam.Addr.String() && ev.Finding.Kind == inventory.KindUnregisteredCamera {
					return true
				}
			}
			return false
		}
		evs, sent, err := watch(t, "gentle", found, "--registry", reg, "--policy", pol)
		if err == nil || !strings.Contains(err.Error(), "exit status 1") {
			t.Errorf("watch with a critical finding ended %v, want exit status 1 (--fail-on critical)", err)
		}
		m := byMAC(evs)
		for _, h := range []netlab.Host{pc, cam, foreign} {
			if len(m[h.MAC.String()]) == 0 || m[h.MAC.String()][0].Event != "new_device" || m[h.MAC.String()][0].IP != h.Addr.String() {
				t.Errorf("%s (%s): lines %+v, want a new_device line with its address first", h.Addr, h.MAC, m[h.MAC.String()])
			}
		}
		if evs := m[foreign.MAC.String()]; len(evs) > 0 && !evs[0].Foreign {
			t.Errorf("factory default %s not marked foreign_subnet: %+v", foreign.Addr, evs[0])
		}
		identified := false
		for _, ev := range m[cam.MAC.String()] {
			identified = identified || ev.Event == "identified" && strings.EqualFold(ev.Manufacturer, "Dahua")
		}
		if !identified || !found(evs) {
			t.Errorf("the Dahua: identified %v, unregistered_camera printed %v; lines %+v", identified, found(evs), m[cam.MAC.String()])
		}
		if last := evs[len(evs)-1]; last.Type != "summary" || last.Devices < 3 || last.Findings < 1 {
			t.Errorf("last line %+v, want a summary of at least 3 devices and 1 finding", last)
		}
		// Probes went to the new hosts in the scope alone: ARP for each,
		// then IPv4 to it. Nothing multicast, nothing to the factory
		// default (out of scope), no ARP for any other address.
		w := classify(sent)
		for a, n := range w.arpAsked {
			if a != pc.Addr && a != cam.Addr {
				t.Errorf("%d ARP requests for %s, which nobody looked at", n, a)
			}
		}
		for a, n := range w.ipTo {
			if a != pc.Addr && a != cam.Addr {
				t.Errorf("%d IPv4 frames to %s: a look sends to its host alone", n, a)
			}
		}
		t.Logf("gentle watch: %d lines, %d frames from the scanner (ARP asked %v, IPv4 to %v)", len(evs), len(sent), w.arpAsked, w.ipTo)
	})

	t.Run("passive", func(t *testing.T) {
		all := func(evs []watchEvent) bool { return len(byMAC(evs)) >= 3 }
		evs, sent, err := watch(t, "passive", all)
		if err != nil {
			t.Errorf("passive watch without a registry ended %v, want exit 0", err)
		}
		if len(byMAC(evs)) < 3 {
			t.Errorf("heard %d hosts, want 3: %+v", len(byMAC(evs)), evs)
		}
		if len(sent) != 0 {
			t.Errorf("passive watch put %d frames on the wire", len(sent))
		}
		if last := evs[len(evs)-1]; last.Type != "summary" {
			t.Errorf("last line %+v, want the summary", last)
		}
	})
}
