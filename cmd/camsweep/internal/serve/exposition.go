package serve

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/rs/zerolog"
)

// runtimeMaxAge is how stale the go_* and process_* series may be. Any
// scrape interval is far longer; under a burst of scrapes it means one
// gather a second instead of one per request.
const runtimeMaxAge = time.Second

// exposition serves /metrics from encoded bytes it keeps. The camsweep
// series are encoded once per published state (the daemon's generation),
// right after the change; the Go and process series are gathered again
// when older than runtimeMaxAge. A scrape is otherwise a copy of bytes:
// 200 concurrent clients cost what one does, and none is turned away.
//
// The two parts are concatenated: the text format is a sequence of
// independent metric families, and camsweep_* sorts before go_* and
// process_*, so the result is what one registry would have written.
type exposition struct {
	app     prometheus.Gatherer // the camsweep collector
	runtime prometheus.Gatherer // go_* and process_*
	gen     func() uint64
	now     func() time.Time
	log     zerolog.Logger

	// cur is the latest response, read without a lock. mu is held only to
	// build a new one.
	cur atomic.Pointer[encoded]
	mu  sync.Mutex
}

// encoded is the response for one published state. Nothing in it is
// modified once it is stored, except through the once fields.
type encoded struct {
	gen       uint64
	runtimeAt time.Time
	app       []*dto.MetricFamily // the camsweep families, for other formats
	appText   []byte
	text      []byte // appText followed by the runtime series
	gzOnce    sync.Once
	gz        []byte // text gzipped
	gzErr     error
}

func newExposition(app, runtime prometheus.Gatherer, gen func() uint64, log zerolog.Logger) *exposition {
	return &exposition{app: app, runtime: runtime, gen: gen, now: time.Now, log: log}
}

func (e *exposition) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateAccept(r.Header, offeredFormats...)
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	c, err := e.current()
	var body []byte
	switch {
	case err != nil:
	case format.FormatType() == expfmt.TypeTextPlain && gz:
		c.gzOnce.Do(func() { c.gz, c.gzErr = gzipped(c.text) })
		body, err = c.gz, c.gzErr
	case format.FormatType() == expfmt.TypeTextPlain:
		body = c.text
	default:
		// Protobuf: rare (Prometheus asks for it only with native
		// histograms on), so it is encoded per request from the
		// gathered families, uncompressed.
		gz = false
		body, err = e.encodeOther(c, format)
	}
	if err != nil {
		e.log.Error().Err(err).Str("source", "metrics").Msg("metrics not encoded")
		writeError(w, http.StatusInternalServerError, "metrics not encoded")
		return
	}
	h := w.Header()
	h.Set("Content-Type", string(format))
	h.Add("Vary", "Accept")
	h.Add("Vary", "Accept-Encoding")
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body) // the scraper went away; nothing to tell it
}

// offeredFormats are what a scraper may ask for; anything else gets text.
var offeredFormats = []expfmt.Format{expfmt.NewFormat(expfmt.TypeProtoDelim), expfmt.NewFormat(expfmt.TypeTextPlain)}

// textFormat is the Prometheus text format. The cached text is encoded
// without an escaping scheme: every camsweep, go and process name is a
// legacy one, which no scheme changes.
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// current returns the latest response. The camsweep part is normally
// encoded already: the daemon calls refresh right after each change, from
// the goroutine that made it, so a scrape finds it ready and waits for
// nothing. A scrape that finds it out of date waits for the encoding in
// flight (or does it), so that what the API has shown (a scan finished,
// say) is on /metrics too; that wait is one encoding of the camsweep
// series. Stale runtime series alone are re-gathered only if no one else
// is doing it: otherwise the scrape serves them up to a second old.
func (e *exposition) current() (*encoded, error) {
	c := e.cur.Load()
	switch {
	case c != nil && c.gen == e.gen() && e.runtimeFresh(c):
		return c, nil
	case c != nil && c.gen == e.gen():
		if !e.mu.TryLock() {
			return c, nil
		}
	default:
		e.mu.Lock()
	}
	defer e.mu.Unlock()
	return e.refreshLocked()
}

// refresh encodes the published state unless that is done already. The
// daemon calls it after every change, before the call that made the change
// (a POST starting a scan, say) returns, so that what the caller sees next
// on /metrics includes it.
func (e *exposition) refresh() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.refreshLocked(); err != nil {
		e.log.Error().Err(err).Str("source", "metrics").Msg("metrics not encoded")
	}
}

func (e *exposition) runtimeFresh(c *encoded) bool {
	now := e.now()
	return now.Sub(c.runtimeAt) < runtimeMaxAge && !now.Before(c.runtimeAt)
}

func (e *exposition) refreshLocked() (*encoded, error) {
	gen := e.gen()
	c := e.cur.Load()
	if c != nil && c.gen == gen && e.runtimeFresh(c) {
		return c, nil
	}
	next := &encoded{gen: gen, runtimeAt: e.now()}
	if c != nil && c.gen == gen {
		next.app, next.appText = c.app, c.appText
	} else {
		next.app = e.gather(e.app)
		b, err := encode(next.app, textFormat)
		if err != nil {
			return nil, err
		}
		next.appText = b
	}
	rt, err := encode(e.gather(e.runtime), textFormat)
	if err != nil {
		return nil, err
	}
	next.text = append(append(make([]byte, 0, len(next.appText)+len(rt)), next.appText...), rt...)
	e.cur.Store(next)
	return next, nil
}

// gather is promhttp's ContinueOnError: an error is logged and whatever
// was gathered is still served, since one bad series must not blind the
// alerting.
func (e *exposition) gather(g prometheus.Gatherer) []*dto.MetricFamily {
	mfs, err := g.Gather()
	if err != nil {
		e.log.Error().Err(err).Str("source", "metrics").Msg("error gathering metrics")
	}
	return mfs
}

func (e *exposition) encodeOther(c *encoded, format expfmt.Format) ([]byte, error) {
	mfs := append(slices.Clone(c.app), e.gather(e.runtime)...)
	return encode(mfs, format)
}

func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	_, _ = zw.Write(b) // a bytes.Buffer does not fail
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// encode writes metric families in a format.
func encode(mfs []*dto.MetricFamily, format expfmt.Format) ([]byte, error) {
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, fmt.Errorf("encode %s: %w", mf.GetName(), err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip
// (Prometheus sends "gzip"; "gzip;q=0" refuses it).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}
