package serve

import (
	"bytes"
	"crypto/tls"
	stdlog "log"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory/metrics"
)

// Server timeouts. ReadHeaderTimeout stops slowloris; the others bound a
// stuck client. Nothing the API returns takes long to produce.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// newHandler assembles every route.
func newHandler(d *daemon, version string, ready *atomic.Bool, log zerolog.Logger) http.Handler {
	app := prometheus.NewRegistry()
	app.MustRegister(metrics.NewCollector(d.metricsSnapshot, version))
	goproc := prometheus.NewRegistry()
	goproc.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	tokens := d.apiTokens
	// The API and the status page take turns: no more of them are worked
	// on at once than there are cores, and a crowd of them waits parked
	// instead of time-sharing the CPU with scrapes (200 clients did, and
	// pushed /metrics past a second).
	turn := newTurns(runtime.GOMAXPROCS(0))
	auth := func(h http.Handler) http.Handler { return requireToken(tokens, h) }
	// /metrics and the status page follow metrics_auth, read per request
	// so that a SIGHUP can change it. Served without a token, they are
	// served only under the sensor's own names (hostGuard: DNS rebinding).
	maybeAuth := func(h http.Handler) http.Handler {
		guarded := auth(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cfg := d.config()
			if cfg.MetricsAuth == "token" {
				guarded.ServeHTTP(w, r)
				return
			}
			cfg.hostGuard().wrap(h).ServeHTTP(w, r)
		})
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			writeError(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		if err := d.store.Ping(r.Context()); err != nil {
			writeError(w, http.StatusServiceUnavailable, "history unavailable")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	// No limit on scrapes in flight: a scrape is a copy of cached bytes
	// (exposition), so turning one away would save nothing.
	expo := newExposition(app, goproc, d.metricsGeneration, log)
	d.onChange = expo.refresh
	mux.Handle("GET /metrics", maybeAuth(expo))
	(&api{d: d, log: log}).routes(mux, func(h http.Handler) http.Handler { return auth(turn.wrap(h)) })
	mux.Handle("GET /{$}", maybeAuth(turn.wrap(&statusHandler{d: d, version: version, log: log})))
	return securityHeaders(bounded(mux))
}

// bounded caps every request body; handlers that read one bound it again
// with their own, smaller limit.
func bounded(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		h.ServeHTTP(w, r)
	})
}

func newServer(h http.Handler, cfg *Config, log zerolog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          stdlog.New(zerologWriter{log}, "", 0),
	}
	if cfg.TLS != nil {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return srv
}

// zerologWriter carries net/http's own error log (TLS handshake errors,
// panics in handlers) into the structured log.
type zerologWriter struct{ log zerolog.Logger }

func (w zerologWriter) Write(p []byte) (int, error) {
	w.log.Warn().Str("source", "net/http").Msg(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && p[len(p)-1] == '\n' {
		p = p[:len(p)-1]
	}
	return p
}

// turns bounds how many requests are being answered at once; the others
// wait for a turn (or for their client to give up), none is refused. A
// turn covers producing the response, not sending it: the response is
// buffered (encoding/json builds a whole value in memory anyway) and
// written after the turn is given back, so a client that reads slowly
// holds no one else up.
type turns chan struct{}

func newTurns(n int) turns { return make(turns, max(n, 2)) }

func (t turns) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case t <- struct{}{}:
		case <-r.Context().Done():
			return // the client went away while it waited
		}
		b := &bufferedResponse{header: w.Header()}
		func() {
			defer func() { <-t }()
			h.ServeHTTP(b, r)
		}()
		if b.status == 0 {
			b.status = http.StatusOK
		}
		w.WriteHeader(b.status)
		_, _ = w.Write(b.body.Bytes()) // the client went away; nothing to tell it
	})
}

// bufferedResponse is an http.ResponseWriter that keeps the body.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}
