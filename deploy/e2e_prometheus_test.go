package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/scantest"
)

// TestPrometheusFiresOnUnregisteredDahua is the whole alert path with the real
// peers: `camsweep serve` (the built binary) scans an emulated loopback
// network holding one unregistered Dahua, Debian's Prometheus scrapes it every
// second with the real rule file, and CamsweepUnregisteredCamera must fire
// naming that camera; once the camera is added to the registry and a sweep
// runs, the alert must resolve. Everything binds to 127.0.0.0/8.
func TestPrometheusFiresOnUnregisteredDahua(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with Prometheus; skipped with -short")
	}
	promBin := needTool(t, "prometheus", "prometheus")
	bin := camsweepBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	persona, err := scantest.PersonaByName("dahua-ipc-hdw2431t-as-s2")
	if err != nil {
		t.Fatal(err)
	}
	network, err := scantest.Start(ctx, []scantest.HostSpec{{Persona: persona}}, scantest.Options{Base: scantest.RandomBase()})
	if err != nil {
		t.Fatal(err)
	}
	defer network.Close()
	cam := network.Hosts[0]

	dir := t.TempDir()
	const token = "e2e-token-0123456789abcdef0123456789abcdef"
	const header = "id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\n"
	scantest.WriteFile(t, dir, "tokens", token+"\n")
	scantest.WriteFile(t, dir, "registry.csv", header)
	scantest.WriteFile(t, dir, "policy.yaml", "banned_manufacturers: [Hikvision]\nexpiry_warning_days: 30\n")
	servePort, promPort := freePort(t), freePort(t)
	ports, _ := json.Marshal(network.PortSpec())
	cfg := scantest.WriteFile(t, dir, "camsweep.yaml", fmt.Sprintf(`listen: "127.0.0.1:%d"
api_tokens_file: tokens
history:
  path: history.db
sites:
  - name: E2E
    scope:
      targets: ["%s/32"]
    schedule:
      interval: 1m
    ports: %s
    profile: full
    rate: 200
    registry: registry.csv
    policy: policy.yaml
`, servePort, cam.Addr, ports))

	serveURL := fmt.Sprintf("http://127.0.0.1:%d", servePort)
	start(t, ctx, dir, bin, "serve", "--config", cfg)
	waitFor(t, 30*time.Second, "camsweep serve /healthz", func() bool {
		resp, err := http.Get(serveURL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	rules, _ := filepath.Abs(rulesPath(t))
	promCfg := scantest.WriteFile(t, dir, "prometheus.yml", fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: camsweep
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:%d"]
        labels: {site: E2E}
`, rules, servePort))
	promURL := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	start(t, ctx, dir, promBin, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort), "--log.level=warn")

	began := time.Now()
	var fired promAlert
	waitFor(t, 2*time.Minute, "CamsweepUnregisteredCamera to fire for "+cam.Addr.String(), func() bool {
		active, err := alerts(promURL)
		if err != nil {
			t.Logf("alerts: %v", err)
			return false
		}
		for _, a := range active {
			if a.Labels["alertname"] == "CamsweepUnregisteredCamera" && a.State == "firing" && a.Labels["ip"] == cam.Addr.String() {
				fired = a
				return true
			}
		}
		return false
	})
	if fired.Labels["site"] != "E2E" || !strings.EqualFold(fired.Labels["manufacturer"], "Dahua") || fired.Labels["severity"] != "critical" {
		t.Errorf("alert labels %v: want site E2E, manufacturer Dahua, severity critical", fired.Labels)
	}
	if scanEnd, err := queryScalar(promURL, `camsweep_last_scan_success_timestamp_seconds{site="E2E"}`); err != nil {
		t.Errorf("query the last scan: %v", err)
	} else if scanEnd > 0 {
		t.Logf("scan finished -> alert active: %.1fs (active at %s); daemon start -> firing seen: %s",
			fired.ActiveAt.Sub(time.Unix(0, int64(scanEnd*1e9))).Seconds(), fired.ActiveAt.Format(time.RFC3339Nano), time.Since(began).Round(100*time.Millisecond))
	}

	// Register the camera; the daemon re-reads the registry before the next
	// reconciliation, which an on-demand sweep brings forward.
	scantest.WriteFile(t, dir, "registry.csv", header+fmt.Sprintf("E2E-0001,E2E,B1,Gang,%s,%s,%s,Dahua,%s,facility,CEJ,milestone,\n",
		cam.Addr, cam.MAC(), cam.Serial(), fired.Labels["model"]))
	resolvedFrom := time.Now()
	waitFor(t, 2*time.Minute, "CamsweepUnregisteredCamera to resolve after registration", func() bool {
		req, _ := http.NewRequest(http.MethodPost, serveURL+"/api/v1/sites/E2E/scans", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close() // 409 while a scan runs is fine: that scan will do
		}
		// Resolved means Prometheus answered and the alert is not among
		// its alerts; no answer is not an answer.
		active, err := alerts(promURL)
		if err != nil {
			t.Logf("alerts: %v", err)
			return false
		}
		for _, a := range active {
			if a.Labels["alertname"] == "CamsweepUnregisteredCamera" && a.Labels["ip"] == cam.Addr.String() {
				return false
			}
		}
		return true
	})
	t.Logf("registry edit -> alert resolved in Prometheus: %s", time.Since(resolvedFrom).Round(100*time.Millisecond))
}

type promAlert struct {
	Labels   map[string]string `json:"labels"`
	State    string            `json:"state"`
	ActiveAt time.Time         `json:"activeAt"`
}

// alerts returns Prometheus' active alerts. Every way of not getting them
// (no connection, an HTTP error, a body that is not the API's success
// envelope) is an error, so that "no alert" is only ever Prometheus' word.
func alerts(promURL string) ([]promAlert, error) {
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := promGet(promURL+"/api/v1/alerts", &body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("alerts: status %q", body.Status)
	}
	return body.Data.Alerts, nil
}

// queryScalar evaluates an instant query; 0 when it has no result.
func queryScalar(promURL, q string) (float64, error) {
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := promGet(promURL+"/api/v1/query?query="+urlQueryEscape(q), &body); err != nil {
		return 0, err
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("query %s: status %q", q, body.Status)
	}
	if len(body.Data.Result) == 0 {
		return 0, nil
	}
	var v float64
	if _, err := fmt.Sscan(fmt.Sprint(body.Data.Result[0].Value[1]), &v); err != nil {
		return 0, fmt.Errorf("query %s: value %v: %w", q, body.Data.Result[0].Value[1], err)
	}
	return v, nil
}

func promGet(url string, into any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// start runs a process for the test and kills it (by its own pid) at cleanup.
func start(t *testing.T, ctx context.Context, dir, name string, args ...string) {
	t.Helper()
	startCmd(t, exec.CommandContext(ctx, name, args...), dir, filepath.Base(name))
}

// startCmd starts cmd in dir, its output in dir/label.log, and kills it
// (by its own pid) at cleanup, showing the log's tail when the test failed.
func startCmd(t *testing.T, cmd *exec.Cmd, dir, label string) *exec.Cmd {
	t.Helper()
	cmd.Dir = dir
	log, err := os.Create(filepath.Join(dir, label+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("%s log (tail):\n%s", label, tail(string(b), 4000))
		}
	})
	return cmd
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func urlQueryEscape(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", "{", "%7B", "}", "%7D", "\"", "%22", "=", "%3D", "&", "%26", "+", "%2B")
	return r.Replace(s)
}
