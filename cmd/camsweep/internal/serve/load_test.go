package serve

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// manyCameras makes n unregistered Dahua cameras, so every scan writes
// hundreds of devices and findings and every scrape carries hundreds of
// series.
func manyCameras(prefix [2]byte, n int) []inventory.Device {
	out := make([]inventory.Device, 0, n)
	for i := range n {
		d := nohDahua
		d.IP = netip.AddrFrom4([4]byte{10, prefix[0], prefix[1] + byte(i/250), byte(1 + i%250)})
		d.MAC = fmt.Sprintf("e0:50:8b:%02x:%02x:%02x", prefix[1], i/256, i%256)
		d.Serial = fmt.Sprintf("SN%d-%d", prefix[1], i)
		out = append(out, d)
	}
	return out
}

// TestLoad200Clients: 200 concurrent API clients (findings, devices,
// reports, status page) while on-demand scans of both sites keep writing to
// the history, and /metrics scraped throughout. It prints the /metrics and
// API latency percentiles; it asserts only that every request was answered
// correctly (no scrape turned away, every exposition complete), never how
// fast.
//
// 200 clients make 10 requests each over 300 devices per site. Under the
// race detector, which makes JSON and SQLite several times slower, each
// makes 2 over 150 devices: still 200 at once, in seconds rather than
// minutes. CAMSWEEP_LOAD_FULL=1 runs the full size regardless, for
// figures under -race.
func TestLoad200Clients(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	clients, perClient, devices := 200, 10, 300
	if raceEnabled && os.Getenv("CAMSWEEP_LOAD_FULL") == "" {
		perClient, devices = 2, 150
	}
	sw := newFakeSweep()
	sw.devs["NOH"] = manyCameras([2]byte{20, 8}, devices)
	sw.devs["RH"] = manyCameras([2]byte{30, 8}, devices)
	sw.delay = 20 * time.Millisecond
	h := startHarness(t, "", sw)
	// The metrics, not the history, say when the first reports are in:
	// a scan is recorded before the daemon takes its report up.
	h.waitFor("first reports", func() bool { return incompleteExposition([]byte(h.metrics()), devices) == "" })

	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	get := func(path string, auth bool) (int, []byte, time.Duration, error) {
		req, _ := http.NewRequest("GET", h.url+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+testToken)
		}
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, 0, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, body, time.Since(start), err
	}

	// Scans keep running: one on-demand sweep after another per site.
	stop := make(chan struct{})
	var scans atomic.Int64
	var scanners sync.WaitGroup
	for _, site := range []string{"NOH", "RH"} {
		scanners.Add(1)
		go func() {
			defer scanners.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", h.url+"/api/v1/sites/"+site+"/scans", nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				if res, err := client.Do(req); err == nil {
					if res.StatusCode == http.StatusAccepted {
						scans.Add(1)
					}
					res.Body.Close()
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}

	paths := []struct {
		path string
		auth bool
	}{
		{"/metrics", false},
		{"/api/v1/findings?site=NOH&severity=critical", true},
		{"/api/v1/devices?site=RH", true},
		{"/api/v1/sites/NOH/report", true},
		{"/api/v1/sites", true},
		{"/", false},
	}
	var (
		mu       sync.Mutex
		metricsL []time.Duration
		apiL     []time.Duration
		failures []string
	)
	var wg sync.WaitGroup
	begin := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				p := paths[(c+i)%len(paths)]
				code, body, d, err := get(p.path, p.auth)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("%s: %v", p.path, err))
				case code != http.StatusOK:
					failures = append(failures, fmt.Sprintf("%s: status %d", p.path, code))
				case p.path == "/metrics" && incompleteExposition(body, devices) != "":
					failures = append(failures, fmt.Sprintf("/metrics: %d bytes, lacking %s", len(body), incompleteExposition(body, devices)))
				case p.path == "/metrics":
					metricsL = append(metricsL, d)
				default:
					apiL = append(apiL, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	close(stop)
	scanners.Wait()

	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed, first: %s", len(failures), clients*perClient, failures[0])
	}
	if scans.Load() < 2 {
		t.Errorf("only %d scans ran during the load", scans.Load())
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[int(p*float64(len(ds)-1))]
	}
	report := fmt.Sprintf("load (race=%v): %d clients x %d requests in %v, %d scans written meanwhile (%d devices each); "+
		"/metrics n=%d p50=%v p99=%v; API+page n=%d p50=%v p99=%v",
		raceEnabled, clients, perClient, elapsed.Round(time.Millisecond), scans.Load(), devices,
		len(metricsL), pct(metricsL, .5).Round(time.Microsecond), pct(metricsL, .99).Round(time.Microsecond),
		len(apiL), pct(apiL, .5).Round(time.Microsecond), pct(apiL, .99).Round(time.Microsecond))
	t.Log(report)
	fmt.Println(report)
}

// incompleteExposition checks a scrape taken under load: both sites'
// devices (all unregistered cameras) and the runtime series must be there.
// It returns the first that is not.
func incompleteExposition(body []byte, devices int) string {
	for _, want := range []string{
		fmt.Sprintf(`camsweep_devices{class="camera",manufacturer="Dahua",site="NOH"} %d`, devices),
		fmt.Sprintf(`camsweep_devices{class="camera",manufacturer="Dahua",site="RH"} %d`, devices),
		"\ngo_goroutines ",
		"\nprocess_open_fds ",
	} {
		if !bytes.Contains(body, []byte(want)) {
			return want
		}
	}
	return ""
}
