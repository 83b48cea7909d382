package serve

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory/metrics"
)

// expoFixture is an exposition over a snapshot the test changes, with the
// generation it bumps by hand.
type expoFixture struct {
	mu   sync.Mutex
	snap metrics.Snapshot
	gen  atomic.Uint64
	e    *exposition
}

func newExpoFixture(t *testing.T) *expoFixture {
	f := &expoFixture{snap: metrics.Snapshot{Sites: []metrics.Site{{Name: "NOH", Interval: time.Hour}}}}
	app := prometheus.NewPedanticRegistry()
	app.MustRegister(metrics.NewCollector(func() metrics.Snapshot {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.snap
	}, "test"))
	rt := prometheus.NewPedanticRegistry()
	rt.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f.e = newExposition(app, rt, f.gen.Load, zerolog.New(zerolog.NewTestWriter(t)))
	return f
}

func (f *expoFixture) setRunning(running bool, bump bool) {
	f.mu.Lock()
	f.snap.Sites[0].Running = running
	f.mu.Unlock()
	if bump {
		f.gen.Add(1)
	}
}

func (f *expoFixture) scrape(t *testing.T, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %s", res.StatusCode, body)
	}
	return res, body
}

// parseText parses a text exposition the way Prometheus does; a family
// written twice (the two cached parts overlapping) is an error there.
func parseText(t *testing.T, body []byte) map[string]bool {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	names := map[string]bool{}
	for n := range mfs {
		names[n] = true
	}
	return names
}

func TestExpositionFormats(t *testing.T) {
	f := newExpoFixture(t)
	res, text := f.scrape(t, nil)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	names := parseText(t, text)
	for _, want := range []string{"camsweep_scan_running", "camsweep_build_info", "go_goroutines", "process_open_fds"} {
		if !names[want] {
			t.Errorf("text exposition lacks %s", want)
		}
	}

	res, gz := f.scrape(t, http.Header{"Accept-Encoding": {"deflate, gzip;q=0.9"}})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip accepted but Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if n := parseText(t, unzipped); !n["camsweep_scan_running"] || !n["go_goroutines"] {
		t.Errorf("gzipped exposition: %v", n)
	}
	if res, _ := f.scrape(t, http.Header{"Accept-Encoding": {"gzip;q=0"}}); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 refused gzip, got Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}

	res, pb := f.scrape(t, http.Header{"Accept": {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}})
	format := expfmt.Format(res.Header.Get("Content-Type"))
	if format.FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("protobuf asked for, got %q", format)
	}
	dec := expfmt.NewDecoder(bytes.NewReader(pb), format)
	got := map[string]bool{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("protobuf exposition: %v", err)
		}
		got[mf.GetName()] = true
	}
	if !got["camsweep_scan_running"] || !got["go_goroutines"] {
		t.Errorf("protobuf exposition: %v", got)
	}
}

// TestExpositionGeneration: the camsweep part changes exactly when the
// generation does; between changes the encoded bytes are served.
func TestExpositionGeneration(t *testing.T) {
	f := newExpoFixture(t)
	const running = `camsweep_scan_running{site="NOH"} 1`
	if _, b := f.scrape(t, nil); strings.Contains(string(b), running) {
		t.Fatal("running before the change")
	}
	f.setRunning(true, false)
	if _, b := f.scrape(t, nil); strings.Contains(string(b), running) {
		t.Error("the snapshot was gathered again although the generation did not change")
	}
	f.gen.Add(1)
	f.e.refresh() // as the daemon does after a change
	if _, b := f.scrape(t, nil); !strings.Contains(string(b), running) {
		t.Error("a new generation is not served after refresh")
	}
	f.setRunning(false, true)
	// No refresh: the scrape itself finds the generation moved on.
	if _, b := f.scrape(t, nil); strings.Contains(string(b), running) {
		t.Error("a scrape after a change without refresh served the old state")
	}
}

// TestExpositionConcurrent: 200 scrapes at once while the state changes
// are all answered (none refused), each with a whole exposition.
func TestExpositionConcurrent(t *testing.T) {
	f := newExpoFixture(t)
	srv := httptest.NewServer(f.e)
	defer srv.Close()
	stop := make(chan struct{})
	var changer sync.WaitGroup
	changer.Add(1)
	go func() {
		defer changer.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f.setRunning(i%2 == 0, true)
			f.e.refresh()
		}
	}()
	tr := &http.Transport{MaxIdleConnsPerHost: 200}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Get(srv.URL)
			if err != nil {
				errs <- err
				return
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			switch {
			case err != nil:
				errs <- err
			case res.StatusCode != http.StatusOK:
				errs <- errors.New(res.Status)
			case !bytes.Contains(body, []byte("camsweep_scan_running{site=\"NOH\"}")) || !bytes.Contains(body, []byte("\ngo_goroutines ")):
				errs <- errors.New("incomplete exposition")
			}
		}()
	}
	wg.Wait()
	close(stop)
	changer.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"deflate, gzip":        true,
		"gzip;q=0":             false,
		"gzip; q=0.0":          false,
		"gzip;q=0.5":           true,
		"br, deflate":          false,
		"x-gzip":               false,
		"identity, gzip;q=abc": false,
	}
	for h, want := range tests {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
