//go:build linux

package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestPassiveDetectionFiresAlert is the continuous detection path with the
// real peers, inside a namespace lab: `camsweep serve` listens on the
// lab's link (passive, gentle profile), Debian's Prometheus scrapes it and
// evaluates the real rule file every 15 s, and Debian's Alertmanager takes
// the alerts. While it all runs a Dahua camera appears: a new host in the
// device namespace that announces itself (gratuitous ARP, WS-Discovery
// Hello, repeated every 10 s as devices do) and serves the persona's
// banners. CamsweepUnregisteredCamera must reach Alertmanager naming it.
// The time from the camera's first frame to the alert in Alertmanager is
// measured per trial; the default run does one trial,
// CAMSWEEP_E2E_TRIALS=10 does ten (for the median and maximum in
// docs/passive.md). Nothing is asserted about the time.
func TestPassiveDetectionFiresAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with Prometheus and Alertmanager in a namespace lab; skipped with -short")
	}
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	promBin := needTool(t, "prometheus", "prometheus")
	amBin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		amBin = needTool(t, "alertmanager", "prometheus-alertmanager")
	}
	trials := 1
	if n, err := strconv.Atoi(os.Getenv("CAMSWEEP_E2E_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(trials)*2*time.Minute+5*time.Minute)
	defer cancel()

	prefix := netip.MustParsePrefix("10.83.0.0/24")
	pc := netlab.Host{Addr: netip.MustParseAddr("10.83.0.20"), MAC: netlab.VendorMAC("Dell", 0xe2e001), Vendor: "Dell"}
	sn := startSensor(t, ctx, prefix, []netlab.Host{pc}, "")
	lab, dir, get := sn.lab, sn.dir, sn.get
	const promPort, amPort = 9090, 9093
	servePort := sn.port
	rules, _ := filepath.Abs(rulesPath(t))
	promCfg := sn.write("prometheus.yml", fmt.Sprintf(`global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files: [%q]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:%d"]
scrape_configs:
  - job_name: camsweep
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:%d"]
        labels: {site: LAB}
`, rules, amPort, servePort))
	// No receiver that would send anything anywhere: the alert reaching
	// Alertmanager is what is measured.
	amCfg := sn.write("alertmanager.yml", "route:\n  receiver: none\nreceivers:\n  - name: none\n")
	startIn(t, ctx, lab, dir, "alertmanager", amBin, "--config.file="+amCfg, "--storage.path="+filepath.Join(dir, "am"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", amPort), "--cluster.listen-address=", "--log.level=warn")
	startIn(t, ctx, lab, dir, "prometheus", promBin, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort), "--log.level=warn")
	waitFor(t, time.Minute, "Alertmanager ready", func() bool { _, code := get(amPort, "/-/ready"); return code == 200 })
	waitFor(t, time.Minute, "Prometheus scraping camsweep", func() bool {
		body, _ := get(promPort, "/api/v1/query?query=up")
		return strings.Contains(body, `"value":[`) && strings.Contains(body, `"1"]`)
	})

	dahua, err := scantest.PersonaByName("dahua-ipc-hdw2431t-as-s2")
	if err != nil {
		t.Fatal(err)
	}
	var latencies []time.Duration
	for trial := range trials {
		if trials > 1 {
			// Cameras are plugged in at any moment of the scrape and
			// evaluation cycles.
			time.Sleep(time.Duration(rand.Int64N(int64(15 * time.Second))))
		}
		h, err := lab.AddHost(netlab.Host{Addr: netip.AddrFrom4([4]byte{10, 83, 0, byte(100 + trial)}), MAC: netlab.VendorMAC("Dahua", 0xe2e100+trial), Vendor: "Dahua"})
		if err != nil {
			t.Fatal(err)
		}
		serveInLab(t, lab, h, dahua)
		v := scantest.Vars{Serial: fmt.Sprintf("7G0B2D7PAJ%05d", trial), MAC: h.MAC.String(), IP: h.Addr}
		anns := scantest.Announcements(v.Expand(dahua), h.MAC.String(), h.Addr, scantest.AnnounceOptions{})
		announce := func() {
			if err := lab.SendFrom(h, netlab.GratuitousARP(h.MAC, h.Addr)); err != nil {
				t.Error(err)
			}
			for _, a := range anns {
				if a.Proto == "wsd" {
					// From an ephemeral port: the camera's own WS-Discovery
					// responder holds 3702.
					if err := lab.SendUDP(h, 0, a.Dst, a.Payload); err != nil {
						t.Error(err)
					}
				}
			}
		}
		first := time.Now()
		announce()
		var (
			fired     time.Time
			lastHello = first
		)
		waitFor(t, 3*time.Minute, "CamsweepUnregisteredCamera in Alertmanager for "+h.Addr.String(), func() bool {
			if time.Since(lastHello) >= 10*time.Second {
				announce()
				lastHello = time.Now()
			}
			body, _ := get(amPort, "/api/v2/alerts")
			var alerts []struct {
				Labels map[string]string `json:"labels"`
			}
			_ = json.Unmarshal([]byte(body), &alerts)
			for _, a := range alerts {
				if a.Labels["alertname"] == "CamsweepUnregisteredCamera" && a.Labels["ip"] == h.Addr.String() {
					fired = time.Now()
					if a.Labels["mac"] != h.MAC.String() || !strings.EqualFold(a.Labels["manufacturer"], "Dahua") {
						t.Errorf("alert labels %v: want mac %s, manufacturer Dahua", a.Labels, h.MAC)
					}
					return true
				}
			}
			return false
		})
		latency := fired.Sub(first)
		latencies = append(latencies, latency)
		// Where the time went: the daemon's own record of when it raised
		// the finding, against the first frame.
		m, _ := get(servePort, "/metrics")
		raised := findingFirstSeen(m, h.MAC.String())
		t.Logf("trial %d: %s (%s): first frame -> finding published %s, -> alert in Alertmanager %s",
			trial+1, h.Addr, h.MAC, raised.Sub(first).Round(100*time.Millisecond), latency.Round(100*time.Millisecond))
	}
	slices.Sort(latencies)
	t.Logf("%d trial(s), 15 s scrape and evaluation: first frame -> CamsweepUnregisteredCamera in Alertmanager: median %s, max %s, min %s",
		len(latencies), latencies[len(latencies)/2].Round(100*time.Millisecond), latencies[len(latencies)-1].Round(100*time.Millisecond), latencies[0].Round(100*time.Millisecond))
}

// sensor is a `camsweep serve` listening in a lab's scanner namespace.
type sensor struct {
	lab  *netlab.Lab
	dir  string
	port int
	cmd  *exec.Cmd
	get  func(port int, path string) (string, int)
}

func (s *sensor) write(name, body string) string {
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		panic(err)
	}
	return p
}

// startSensor builds a lab on prefix with hosts and runs the daemon in
// its scanner namespace, one site LAB over the prefix, listening on the
// lab link (gentle profile; siteExtra adds site keys), and waits until it
// listens and its first sweep is done: a look waits for a sweep in
// progress, so what a test measures starts after it.
func startSensor(t *testing.T, ctx context.Context, prefix netip.Prefix, hosts []netlab.Host, siteExtra string) *sensor {
	t.Helper()
	lab := netlab.New(t, netlab.Config{Prefix: prefix, Hosts: hosts})
	s := &sensor{lab: lab, dir: t.TempDir(), port: 9750}
	const header = "id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\n"
	s.write("tokens", e2eToken+"\n")
	s.write("registry.csv", header)
	s.write("policy.yaml", "banned_manufacturers: [Hikvision, Dahua]\nexpiry_warning_days: 30\n")
	// Inside the scanner namespace every port is ours.
	cfg := s.write("camsweep.yaml", fmt.Sprintf(`listen: "127.0.0.1:%d"
api_tokens_file: tokens
history:
  path: history.db
sites:
  - name: LAB
    scope:
      targets: ["%s"]
    interface: %s
    passive: true
    schedule:
      interval: 24h
    profile: gentle
    rate: 200
    registry: registry.csv
    policy: policy.yaml
%s`, s.port, prefix, lab.ScannerIf, siteExtra))
	s.cmd = startIn(t, ctx, lab, s.dir, "camsweep", camsweepBinary(t), "serve", "--config", cfg, "--log-format", "json", "--log-level", "info")
	client := nsClient(lab)
	s.get = func(port int, path string) (string, int) {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
		req.Header.Set("Authorization", "Bearer "+e2eToken)
		resp, err := client.Do(req)
		if err != nil {
			return "", 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		return string(b), resp.StatusCode
	}
	waitFor(t, time.Minute, "camsweep listening on the lab link", func() bool {
		m, _ := s.get(s.port, "/metrics")
		return strings.Contains(m, `camsweep_passive_listening{site="LAB"} 1`)
	})
	waitFor(t, 3*time.Minute, "the first sweep", func() bool {
		m, _ := s.get(s.port, "/metrics")
		return strings.Contains(m, `camsweep_scan_running{site="LAB"} 0`) && strings.Contains(m, `camsweep_scans_total{site="LAB",status="ok"} 1`)
	})
	return s
}

const e2eToken = "e2e-token-0123456789abcdef0123456789abcdef"

// findingFirstSeen reads camsweep_finding_first_seen_timestamp_seconds of
// the unregistered_camera finding of mac from an exposition.
func findingFirstSeen(exposition, mac string) time.Time {
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, "camsweep_finding_first_seen_timestamp_seconds{") || !strings.Contains(line, "unregistered_camera/LAB/mac="+mac) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			return time.Unix(0, int64(v*1e9))
		}
	}
	return time.Time{}
}

// nsClient is an HTTP client whose connections are opened inside the lab's
// scanner namespace, where the daemon, Prometheus and Alertmanager listen.
func nsClient(lab *netlab.Lab) *http.Client {
	dial := lab.Dialer(lab.ScannerNS, netip.Addr{})
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
}

// startIn runs name inside the lab's scanner namespace for the test and
// kills it (by its own pid) at cleanup, showing its log on failure.
func startIn(t *testing.T, ctx context.Context, lab *netlab.Lab, dir, label, name string, args ...string) *exec.Cmd {
	t.Helper()
	return startCmd(t, lab.Command(ctx, lab.ScannerNS, name, args...), dir, label)
}

// serveInLab serves persona p on lab host h's address, every socket opened
// inside the device namespace, on the real ports.
func serveInLab(t *testing.T, lab *netlab.Lab, h netlab.Host, p scantest.Persona) {
	t.Helper()
	ports := map[string]uint16{
		"http": 80, "https": 443, "rtsp": 554, "hik-sdk": 8000, "dahua-sdk": 37777, "reolink-media": 9000,
		"wsd": 3702, "sadp": 37020, "dhip": 37810, "ssdp": 1900, "mdns": 5353,
	}
	scantest.StartTB(t, []scantest.HostSpec{{Persona: p, Addr: h.Addr, MAC: h.MAC.String()}},
		scantest.Options{Base: netip.PrefixFrom(h.Addr, 24), Ports: ports, Logger: zerolog.Nop(), Listen: lab.Listener(lab.DeviceNS), ListenPacket: lab.PacketListener(lab.DeviceNS)})
}
