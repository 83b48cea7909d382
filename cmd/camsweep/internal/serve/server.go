package serve

import (
	"crypto/tls"
	"fmt"
	stdlog "log"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		metrics.NewCollector(d.metricsSnapshot, version),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	tokens := func() []tokenHash { return d.config().tokens }
	auth := func(h http.Handler) http.Handler { return requireToken(tokens, h) }
	// /metrics and the status page follow metrics_auth, read per request
	// so that a SIGHUP can change it.
	maybeAuth := func(h http.Handler) http.Handler {
		guarded := auth(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if d.config().MetricsAuth == "token" {
				guarded.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
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
	mux.Handle("GET /metrics", maybeAuth(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            promLogger{log},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 32,
		Timeout:             10 * time.Second,
	})))
	(&api{d: d, log: log}).routes(mux, auth)
	mux.Handle("GET /{$}", maybeAuth(&statusHandler{d: d, version: version, log: log}))
	return bounded(mux)
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

type promLogger struct{ log zerolog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Error().Str("source", "promhttp").Msg(trimSpace(v))
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && p[len(p)-1] == '\n' {
		p = p[:len(p)-1]
	}
	return p
}

func trimSpace(v []any) string {
	return string(trimNewline([]byte(fmt.Sprintln(v...))))
}
