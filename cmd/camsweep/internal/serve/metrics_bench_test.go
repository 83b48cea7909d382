package serve

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/metrics"
)

// benchSnapshot is the state of a sensor with two sites of 300
// unregistered Dahua cameras each: every camera is two findings and an
// _info series, some 2,700 series in all.
func benchSnapshot(b *testing.B) metrics.Snapshot {
	b.Helper()
	reg, errs := inventory.ParseRegistry("registry.csv", []byte(testRegistry), inventory.ColumnMap{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	pol, err := inventory.ParsePolicy("policy.yaml", []byte(testPolicy))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var snap metrics.Snapshot
	for i, site := range []string{"NOH", "RH"} {
		devs := manyCameras([2]byte{byte(20 + 10*i), 8}, 300)
		scope := inventory.Scope{Site: site, Prefixes: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.%d.8.0/22", 20+10*i))}}
		res := inventory.Reconcile(devs, reg, pol, scope, now)
		rep := &inventory.Report{Schema: inventory.ReportSchema, Site: site, Started: now, Finished: now,
			Devices: res.Devices, Findings: res.Findings}
		snap.Sites = append(snap.Sites, metrics.Site{Name: site, Interval: time.Hour, Report: rep, LastScan: now,
			LastScanOK: true, LastSuccess: now, ScansTotal: map[string]uint64{"ok": 1}})
	}
	return snap
}

// gatheredOnce is a Gatherer that returns families gathered beforehand:
// promhttp's best case, no gather per scrape at all.
type gatheredOnce []*dto.MetricFamily

func (g gatheredOnce) Gather() ([]*dto.MetricFamily, error) { return g, nil }

// metricsHandlers are the candidates for /metrics over the same state: the
// hand-written handler /metrics uses (encoded and gzipped bytes kept per
// published state), and promhttp.HandlerFor over the gathered families
// (encoded and compressed per scrape).
func metricsHandlers(b *testing.B) map[string]http.Handler {
	snap := benchSnapshot(b)
	app := prometheus.NewRegistry()
	app.MustRegister(metrics.NewCollector(func() metrics.Snapshot { return snap }, "bench"))
	rt := prometheus.NewRegistry()
	rt.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mfs, err := prometheus.Gatherers{app, rt}.Gather()
	if err != nil {
		b.Fatal(err)
	}
	return map[string]http.Handler{
		"handwritten": newExposition(app, rt, func() uint64 { return 1 }, zerolog.Nop()),
		"promhttp":    promhttp.HandlerFor(gatheredOnce(mfs), promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}),
	}
}

// BenchmarkMetricsScrape is one scrape as Prometheus makes it (gzip
// accepted), handler alone: time and allocations per scrape.
func BenchmarkMetricsScrape(b *testing.B) {
	for _, name := range []string{"handwritten", "promhttp"} {
		h := metricsHandlers(b)[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				req := httptest.NewRequest("GET", "/metrics", nil)
				req.Header.Set("Accept-Encoding", "gzip")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "gzip_bytes")
		})
	}
}

// BenchmarkMetrics200Clients: each op is 200 clients scraping at once over
// loopback HTTP (gzip accepted); it reports the scrape latency percentiles
// over all ops, and allocations per op (the whole process: server and the
// 200 clients).
func BenchmarkMetrics200Clients(b *testing.B) {
	const clients = 200
	for _, name := range []string{"handwritten", "promhttp"} {
		h := metricsHandlers(b)[name]
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxIdleConns: clients, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: time.Minute}
			var (
				mu        sync.Mutex
				latencies []time.Duration
				failed    atomic.Int64
			)
			scrape := func() {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					return
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				d := time.Since(start)
				if err != nil || res.StatusCode != http.StatusOK {
					failed.Add(1)
					return
				}
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
			}
			b.ReportAllocs()
			for b.Loop() {
				var wg sync.WaitGroup
				for range clients {
					wg.Go(scrape)
				}
				wg.Wait()
			}
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d scrapes failed", n)
			}
			sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
			pct := func(p float64) float64 {
				return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(.5), "p50_ms")
			b.ReportMetric(pct(.99), "p99_ms")
		})
	}
}
