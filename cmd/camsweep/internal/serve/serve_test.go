package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/docs"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/store"
)

var testStart = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	dir    string
	url    string
	clock  *fakeClock
	sweep  *fakeSweep
	reload chan struct{}
	cancel context.CancelFunc
	done   chan error
	client *http.Client
}

func startHarness(t *testing.T, extraConfig string, sweep *fakeSweep) *harness {
	t.Helper()
	return startHarnessLog(t, extraConfig, sweep, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel))
}

func startHarnessLog(t *testing.T, extraConfig string, sweep *fakeSweep, log zerolog.Logger) *harness {
	t.Helper()
	return startHarnessEdit(t, extraConfig, sweep, log, nil)
}

// startHarnessWith is startHarness with the configuration text passed
// through edit (with the harness's directory) before it is written.
func startHarnessWith(t *testing.T, extraConfig string, sweep *fakeSweep, edit func(dir, cfg string) string) *harness {
	t.Helper()
	return startHarnessEdit(t, extraConfig, sweep, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel), edit)
}

// startHarnessOpts starts the daemon with more options (WithPassive).
func startHarnessOpts(t *testing.T, extraConfig string, sweep *fakeSweep, log zerolog.Logger, opts ...Option) *harness {
	t.Helper()
	return startHarnessEdit(t, extraConfig, sweep, log, nil, opts...)
}

func startHarnessEdit(t *testing.T, extraConfig string, sweep *fakeSweep, log zerolog.Logger, edit func(dir, cfg string) string, opts ...Option) *harness {
	t.Helper()
	dir := t.TempDir()
	writeEnv(t, dir)
	for name, body := range map[string]string{"registry.csv": testRegistry, "policy.yaml": testPolicy} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgText := testConfig(extraConfig)
	if edit != nil {
		cfgText = edit(dir, cfgText)
	}
	cfgPath := writeConfig(t, dir, cfgText)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, dir: dir, url: "http://" + ln.Addr().String(), clock: newFakeClock(testStart), sweep: sweep,
		reload: make(chan struct{}), done: make(chan error, 1),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		h.done <- Run(ctx, cfgPath, sweep.sweep, log, append([]Option{WithListener(ln), WithReload(h.reload), WithClock(h.clock), WithVersion("test")}, opts...)...)
	}()
	t.Cleanup(func() { h.stop() })
	h.waitFor("readyz", func() bool {
		res, _ := h.do("GET", "/readyz", "")
		return res != nil && res.StatusCode == http.StatusOK
	})
	return h
}

// stop shuts the daemon down and returns Run's error (once).
func (h *harness) stop() error {
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(30 * time.Second):
		h.t.Fatal("Run did not return after cancel")
		return nil
	}
}

func (h *harness) do(method, path, token string) (*http.Response, []byte) {
	req, err := http.NewRequest(method, h.url+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := h.client.Do(req)
	if err != nil {
		return nil, nil
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func (h *harness) getJSON(path string, into any) {
	h.t.Helper()
	res, body := h.do("GET", path, testToken)
	if res == nil || res.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: %v %s", path, res, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		h.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// waitFor polls cond. The bound is only there so a broken daemon fails the
// test instead of hanging it; nothing is asserted about how long it took.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) scan(id int64) store.Scan {
	var sc store.Scan
	h.getJSON(fmt.Sprintf("/api/v1/scans/%d", id), &sc)
	return sc
}

// startScan asks for an on-demand sweep of site, which must be accepted,
// and returns the scan id the answer names.
// t is the calling (sub)test, which a failure stops.
func (h *harness) startScan(t *testing.T, site string) int64 {
	t.Helper()
	res, body := h.do("POST", "/api/v1/sites/"+site+"/scans", testToken)
	if res == nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST: %v %s", res, body)
	}
	var started struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(body, &started)
	return started.ID
}

// finishedScans counts a site's finished scans through the API's per-scan
// endpoint, ids from 1 up (the history is fresh in each test).
func (h *harness) finishedScans(site string) int {
	n := 0
	for id := int64(1); ; id++ {
		res, body := h.do("GET", fmt.Sprintf("/api/v1/scans/%d", id), testToken)
		if res == nil || res.StatusCode == http.StatusNotFound {
			return n
		}
		var sc store.Scan
		_ = json.Unmarshal(body, &sc)
		if sc.Site == site && sc.Status != store.StatusRunning {
			n++
		}
	}
}

// idle waits until no scan runs and every scheduler is parked on its timer.
func (h *harness) idle() {
	h.t.Helper()
	h.waitFor("daemon idle", func() bool {
		var out struct {
			Sites []siteJSON `json:"sites"`
		}
		h.getJSON("/api/v1/sites", &out)
		for _, s := range out.Sites {
			if s.Running != nil {
				return false
			}
		}
		return h.clock.pending() == len(out.Sites)
	})
}

func (h *harness) metrics() string {
	res, body := h.do("GET", "/metrics", "")
	if res == nil || res.StatusCode != http.StatusOK {
		h.t.Fatalf("GET /metrics: %v", res)
	}
	return string(body)
}

func findingKeys(fs []inventory.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Site+"|"+f.Key+"|"+f.Kind+"|"+f.Severity.String()+"|"+f.IP)
	}
	sort.Strings(out)
	return out
}

func TestServeIntegration(t *testing.T) {
	sw := newFakeSweep()
	sw.devs["NOH"] = []inventory.Device{nohDahua, nohAxis}
	sw.devs["RH"] = []inventory.Device{rhLTS}
	h := startHarness(t, "", sw)

	t.Run("scheduled scans run for both sites", func(t *testing.T) {
		// First runs are due at start (no history); the next ones one
		// interval later, on the fake clock.
		h.waitFor("first scheduled scans", func() bool { return h.finishedScans("NOH") >= 1 && h.finishedScans("RH") >= 1 })
		h.waitFor("schedulers parked", func() bool { return h.clock.pending() == 2 })
		h.clock.Advance(time.Hour)
		h.waitFor("second NOH scan", func() bool { return h.finishedScans("NOH") >= 2 })
		if n := h.finishedScans("RH"); n != 1 {
			t.Errorf("RH (interval 2h) ran %d scans after 1h, want 1", n)
		}
		h.waitFor("schedulers parked", func() bool { return h.clock.pending() == 2 })
		h.clock.Advance(time.Hour)
		h.waitFor("second RH scan", func() bool { return h.finishedScans("RH") >= 2 })
		h.idle()
		if n := h.finishedScans("NOH"); n != 3 {
			t.Errorf("NOH ran %d scans in 2h at a 1h interval, want 3", n)
		}
	})

	t.Run("API needs a token", func(t *testing.T) {
		tests := []struct {
			name, method, path, token string
			want                      int
		}{
			{"no token", "POST", "/api/v1/sites/NOH/scans", "", http.StatusUnauthorized},
			{"wrong token", "POST", "/api/v1/sites/NOH/scans", "not-the-token-at-all", http.StatusUnauthorized},
			{"findings without token", "GET", "/api/v1/findings", "", http.StatusUnauthorized},
			{"unknown api path without token", "GET", "/api/v1/nope", "", http.StatusUnauthorized},
			{"unknown api path with token", "GET", "/api/v1/nope", testToken, http.StatusNotFound},
			{"unknown site", "POST", "/api/v1/sites/XYZ/scans", testToken, http.StatusNotFound},
			{"report of unknown site", "GET", "/api/v1/sites/XYZ/report", testToken, http.StatusNotFound},
			{"bad scan id", "GET", "/api/v1/scans/abc", testToken, http.StatusBadRequest},
			{"missing scan", "GET", "/api/v1/scans/999999", testToken, http.StatusNotFound},
			{"bad severity", "GET", "/api/v1/findings?severity=dire", testToken, http.StatusBadRequest},
			{"healthz is open", "GET", "/healthz", "", http.StatusOK},
			{"metrics open by default", "GET", "/metrics", "", http.StatusOK},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res, body := h.do(tc.method, tc.path, tc.token)
				if res == nil || res.StatusCode != tc.want {
					t.Fatalf("%s %s: %v %s, want %d", tc.method, tc.path, res, body, tc.want)
				}
				if tc.want == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer ") {
					t.Errorf("401 without a Bearer challenge: %q", res.Header.Get("WWW-Authenticate"))
				}
			})
		}
	})

	t.Run("on-demand sweep: 202, then 409 while it runs", func(t *testing.T) {
		sw.gate("NOH")
		res, body := h.do("POST", "/api/v1/sites/NOH/scans", testToken)
		if res == nil || res.StatusCode != http.StatusAccepted {
			t.Fatalf("POST scans: %v %s", res, body)
		}
		var started struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(body, &started); err != nil || started.ID == 0 {
			t.Fatalf("no scan id in %s", body)
		}
		if loc := res.Header.Get("Location"); loc != fmt.Sprintf("/api/v1/scans/%d", started.ID) {
			t.Errorf("Location %q", loc)
		}
		if sc := h.scan(started.ID); sc.Status != store.StatusRunning || sc.Trigger != TriggerAPI {
			t.Errorf("scan right after POST: %+v", sc)
		}
		res, body = h.do("POST", "/api/v1/sites/NOH/scans", testToken)
		if res == nil || res.StatusCode != http.StatusConflict || !strings.Contains(string(body), fmt.Sprint(started.ID)) {
			t.Fatalf("second POST while running: %v %s, want 409 naming scan %d", res, body, started.ID)
		}
		if m := h.metrics(); !strings.Contains(m, `camsweep_scan_running{site="NOH"} 1`) {
			t.Errorf("metrics do not show the running scan")
		}
		sw.ungate("NOH")
		h.waitFor("on-demand scan to finish", func() bool { return h.scan(started.ID).Status == store.StatusOK })
	})

	t.Run("findings over the API equal the report's", func(t *testing.T) {
		if res, body := h.do("GET", "/api/v1/sites/NOH/report", testToken); res == nil || res.StatusCode != http.StatusOK {
			t.Fatalf("report: %v %s", res, body)
		} else if err := docs.ValidateReport(body); err != nil {
			t.Errorf("the API's report: %v", err)
		}
		var rep inventory.Report
		h.getJSON("/api/v1/sites/NOH/report", &rep)
		if rep.Schema != inventory.ReportSchema || len(rep.Devices) != 2 {
			t.Fatalf("report: %+v", rep)
		}
		var got struct {
			Findings []store.FindingRecord `json:"findings"`
		}
		h.getJSON("/api/v1/findings?site=NOH", &got)
		var api []inventory.Finding
		for _, f := range got.Findings {
			api = append(api, f.Finding)
		}
		if a, r := findingKeys(api), findingKeys(rep.Findings); strings.Join(a, "\n") != strings.Join(r, "\n") {
			t.Fatalf("API findings\n%s\nreport findings\n%s", strings.Join(a, "\n"), strings.Join(r, "\n"))
		}
		var kinds []string
		for _, f := range rep.Findings {
			kinds = append(kinds, f.Kind)
		}
		for _, want := range []string{inventory.KindUnregisteredCamera, inventory.KindBannedManufacturer} {
			if !strings.Contains(strings.Join(kinds, ","), want) {
				t.Errorf("NOH report lacks %s: %v", want, kinds)
			}
		}
		h.getJSON("/api/v1/findings?site=NOH&kind=unregistered_camera&severity=critical", &got)
		if len(got.Findings) != 1 || got.Findings[0].IP != nohDahua.IP.String() {
			t.Errorf("filtered findings: %+v", got.Findings)
		}
		var devs struct {
			Devices []store.DeviceRecord `json:"devices"`
		}
		h.getJSON("/api/v1/devices?site=NOH", &devs)
		if len(devs.Devices) != 2 {
			t.Errorf("devices: %+v", devs.Devices)
		}
		var ch store.Changes
		h.getJSON("/api/v1/sites/NOH/changes", &ch)
		if ch.ScanID == 0 || len(ch.New)+len(ch.Gone) != 0 {
			t.Errorf("changes between identical scans: %+v", ch)
		}
	})

	t.Run("metrics name the unregistered cameras", func(t *testing.T) {
		m := h.metrics()
		for _, want := range []string{
			`camsweep_unregistered_camera_info{brand="Dahua",ip="10.20.8.11",mac="e0:50:8b:3d:72:19",manufacturer="Dahua",model="IPC-HDW2431T-AS-S2",port="",port_description="",site="NOH",switch="",vlan=""} 1`,
			`camsweep_unregistered_camera_info{brand="LTS",ip="10.30.8.40",mac="44:19:b6:00:00:40",manufacturer="Hikvision",model="CMIP3042",port="Gi1/0/7",port_description="Opgang B, 2. sal",site="RH",switch="rh-a2-asw01",vlan="130"} 1`,
			`camsweep_devices{class="camera",manufacturer="Axis",site="NOH"} 1`,
			`camsweep_last_scan_success{site="NOH"} 1`,
			`camsweep_scans_total{site="NOH",status="ok"} 4`,
			`camsweep_dispensation_max_cameras{dispensation="DISP-HIK-70"} 70`,
			`camsweep_build_info{goversion="`,
			`go_goroutines`,
			`process_open_fds`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if strings.Contains(m, `registry_id="NOH-CAM-0020",severity="critical"`) {
			t.Errorf("the registered Axis has a critical finding")
		}
	})

	t.Run("registry change is picked up before the next reconciliation", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(h.dir, "registry.csv"), []byte(registryWithDahua), 0o600); err != nil {
			t.Fatal(err)
		}
		n := h.finishedScans("NOH")
		res, _ := h.do("POST", "/api/v1/sites/NOH/scans", testToken)
		if res == nil || res.StatusCode != http.StatusAccepted {
			t.Fatalf("POST: %v", res)
		}
		h.waitFor("scan after registry change", func() bool { return h.finishedScans("NOH") > n })
		var got struct {
			Findings []store.FindingRecord `json:"findings"`
		}
		h.getJSON("/api/v1/findings?site=NOH&kind=unregistered_camera", &got)
		if len(got.Findings) != 0 {
			t.Errorf("Dahua still unregistered after it was registered: %+v", got.Findings)
		}
		h.getJSON("/api/v1/findings?site=NOH&kind=unregistered_camera&resolved=true", &got)
		if len(got.Findings) != 1 || got.Findings[0].ResolvedAt == nil {
			t.Errorf("unregistered finding not resolved: %+v", got.Findings)
		}
		if strings.Contains(h.metrics(), `camsweep_unregistered_camera_info{brand="Dahua"`) {
			t.Errorf("resolved camera still in metrics")
		}
	})

	t.Run("unreadable registry fails the run loudly and keeps the last good", func(t *testing.T) {
		if err := os.Remove(filepath.Join(h.dir, "registry.csv")); err != nil {
			t.Fatal(err)
		}
		started := h.startScan(t, "NOH")
		h.waitFor("failed scan", func() bool { return h.scan(started).Status != store.StatusRunning })
		sc := h.scan(started)
		if sc.Status != store.StatusFailed || !strings.Contains(sc.Error, "registry") {
			t.Errorf("scan with unreadable registry: %+v", sc)
		}
		m := h.metrics()
		for _, want := range []string{`camsweep_registry_load_errors{site="NOH"} 1`, `camsweep_last_scan_success{site="NOH"} 0`, `camsweep_scans_total{site="NOH",status="failed"} 1`} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		var rep inventory.Report
		h.getJSON("/api/v1/sites/NOH/report", &rep)
		if len(rep.Devices) != 2 {
			t.Errorf("last good report not served after a failed run: %+v", rep)
		}
		if err := os.WriteFile(filepath.Join(h.dir, "registry.csv"), []byte(registryWithDahua), 0o600); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("reload changes the schedule without disturbing a running scan", func(t *testing.T) {
		sw.gate("RH")
		started := h.startScan(t, "RH")
		cfg := strings.Replace(testConfig(""), "interval: 2h", "interval: 3h", 1)
		writeConfig(t, h.dir, cfg)
		h.reload <- struct{}{}
		h.waitFor("new interval", func() bool {
			return strings.Contains(h.metrics(), `camsweep_scan_interval_seconds{site="RH"} 10800`)
		})
		// A broken file is refused and the running configuration kept.
		writeConfig(t, h.dir, "sites: [\n")
		h.reload <- struct{}{}
		if sc := h.scan(started); sc.Status != store.StatusRunning {
			t.Errorf("running scan disturbed by reloads: %+v", sc)
		}
		sw.ungate("RH")
		h.waitFor("RH scan", func() bool { return h.scan(started).Status == store.StatusOK })
		if !strings.Contains(h.metrics(), `camsweep_scan_interval_seconds{site="RH"} 10800`) {
			t.Errorf("bad reload replaced the configuration")
		}
		writeConfig(t, h.dir, cfg)
	})

	t.Run("shutdown cancels a running scan and records it", func(t *testing.T) {
		sw.gate("NOH")
		started := h.startScan(t, "NOH")
		if err := h.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		st, err := store.Open(context.Background(), filepath.Join(h.dir, "history.db"), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if st.Interrupted() != 0 {
			t.Errorf("%d scans left running by a clean shutdown", st.Interrupted())
		}
		sc, err := st.Scan(context.Background(), started)
		if err != nil || sc.Status != store.StatusCancelled || !sc.Incomplete {
			t.Errorf("scan running at shutdown: %+v %v, want cancelled and incomplete", sc, err)
		}
		if v, err := st.IntegrityCheck(context.Background()); v != "ok" {
			t.Errorf("integrity_check %q %v", v, err)
		}
	})
}

func TestMetricsAuthToken(t *testing.T) {
	sw := newFakeSweep()
	h := startHarness(t, "metrics_auth: token\n", sw)
	tests := []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", testToken, http.StatusOK},
		{"/", "", http.StatusUnauthorized},
		{"/", testToken, http.StatusOK},
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
	}
	for _, tc := range tests {
		res, body := h.do("GET", tc.path, tc.token)
		if res == nil || res.StatusCode != tc.want {
			t.Errorf("GET %s token=%v: %v %s, want %d", tc.path, tc.token != "", res, body, tc.want)
		}
	}
	// Behind the token, the page and the API still take one turn each:
	// many at once are all answered (a request holding two turns would
	// deadlock here).
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/", "/metrics", "/api/v1/sites"}[i%3]
			res, _ := h.do("GET", path, testToken)
			if res == nil {
				codes <- 0
				return
			}
			codes <- res.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("concurrent request behind the token: status %d", c)
		}
	}
}

func TestBodyBounded(t *testing.T) {
	h := startHarness(t, "", newFakeSweep())
	req, _ := http.NewRequest("POST", h.url+"/api/v1/sites/NOH/scans", strings.NewReader(strings.Repeat("x", 1<<20)))
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB body: %d, want 413", res.StatusCode)
	}
}

// TestShutdownDeadline: a scan that ignores cancellation cannot hold the
// daemon past shutdown_timeout; Run says so, and the scan, left 'running',
// is marked interrupted at the next start.
func TestShutdownDeadline(t *testing.T) {
	sw := newFakeSweep()
	sw.stubborn = true
	// The stuck scan finishes after the test's checks, into a closed store:
	// its log line must not go to t.
	h := startHarnessLog(t, "", sw, zerolog.Nop())
	cfg := strings.Replace(testConfig(""), "shutdown_timeout: 10s", "shutdown_timeout: 200ms", 1)
	writeConfig(t, h.dir, cfg)
	h.reload <- struct{}{}
	h.idle()
	sw.gate("NOH")
	entered := make(chan string, 1)
	sw.mu.Lock()
	sw.started = entered
	sw.mu.Unlock()
	started := h.startScan(t, "NOH")
	// Stop once the scan is stuck in the sweep: before that (reading the
	// registry) shutdown cancels it in time, as it should.
	<-entered
	err := h.stop()
	if err == nil || !strings.Contains(err.Error(), "did not stop in time") {
		t.Fatalf("Run with a stuck scan: %v", err)
	}
	st, err := store.Open(context.Background(), filepath.Join(h.dir, "history.db"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if st.Interrupted() != 1 {
		t.Errorf("Interrupted() = %d, want the stuck scan", st.Interrupted())
	}
	sc, err := st.Scan(context.Background(), started)
	if err != nil || sc.Status != store.StatusInterrupted {
		t.Errorf("stuck scan: %+v %v, want interrupted", sc, err)
	}
	_ = st.Close()
	sw.ungate("NOH")
}

// TestConcurrentStartsNameTheRunningScan: of POSTs racing for one site,
// one starts the scan and every other gets a 409 naming that scan, also
// while the history is still numbering it.
func TestConcurrentStartsNameTheRunningScan(t *testing.T) {
	sw := newFakeSweep()
	h := startHarness(t, "", sw)
	h.idle()
	for round := range 5 {
		sw.gate("NOH")
		const posts = 8
		codes := make([]int, posts)
		bodies := make([]string, posts)
		var wg sync.WaitGroup
		for i := range posts {
			wg.Go(func() {
				res, body := h.do("POST", "/api/v1/sites/NOH/scans", testToken)
				if res != nil {
					codes[i] = res.StatusCode
				}
				bodies[i] = string(body)
			})
		}
		wg.Wait()
		var started int64
		for i, c := range codes {
			if c == http.StatusAccepted {
				var out struct{ ID int64 }
				if json.Unmarshal([]byte(bodies[i]), &out) != nil || started != 0 {
					t.Fatalf("round %d: a second 202 or no id: %s", round, bodies[i])
				}
				started = out.ID
			}
		}
		if started == 0 {
			t.Fatalf("round %d: no POST started a scan: %v", round, codes)
		}
		for i, c := range codes {
			if c == http.StatusAccepted {
				continue
			}
			var out struct {
				Running int64 `json:"running_scan_id"`
			}
			if c != http.StatusConflict || json.Unmarshal([]byte(bodies[i]), &out) != nil || out.Running != started {
				t.Errorf("round %d: POST %d: %d %s, want 409 naming scan %d", round, i, c, bodies[i], started)
			}
		}
		sw.ungate("NOH")
		h.waitFor("scan to finish", func() bool { return h.scan(started).Status == store.StatusOK })
	}
}
