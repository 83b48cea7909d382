package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/report"
	"github.com/camsweep/camsweep/inventory/store"
)

// maxRequestBody bounds what a client may send; no endpoint needs more
// than a short JSON object.
const maxRequestBody = 4 << 10

type api struct {
	d       *daemon
	log     zerolog.Logger
	reports reportCache
}

func (a *api) routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, auth(f)) }
	h("GET /api/v1/sites", a.sites)
	h("POST /api/v1/sites/{site}/scans", a.startScan)
	h("GET /api/v1/sites/{site}/report", a.report)
	h("GET /api/v1/sites/{site}/changes", a.changes)
	h("GET /api/v1/sites/{site}/heard", a.heard)
	h("GET /api/v1/scans/{id}", a.scan)
	h("GET /api/v1/findings", a.findings)
	h("GET /api/v1/devices", a.devices)
	// Everything else under /api/ is a JSON 404 behind the same token, so
	// an unauthenticated client cannot map which paths exist.
	h("/api/", func(w http.ResponseWriter, r *http.Request) { writeError(w, http.StatusNotFound, "no such endpoint") })
}

type siteJSON struct {
	Name        string         `json:"name"`
	Running     *int64         `json:"running_scan_id,omitempty"`
	NextRun     string         `json:"next_run,omitempty"`
	LastScan    string         `json:"last_scan,omitempty"`
	LastOK      bool           `json:"last_scan_ok"`
	LastSuccess string         `json:"last_success,omitempty"`
	Findings    map[string]int `json:"open_findings_by_severity"`
	// Passive is the site's continuous listener; absent when it has none.
	Passive *passiveJSON `json:"passive,omitempty"`
}

type passiveJSON struct {
	Listening        bool   `json:"listening"`
	Interface        string `json:"interface,omitempty"`
	Error            string `json:"error,omitempty"`
	HostsHeard       int    `json:"hosts_heard"`
	DevicesFirstSeen uint64 `json:"devices_first_seen"`
	TriggeredProbes  uint64 `json:"triggered_probes"`
	Refused          uint64 `json:"triggered_probes_refused"`
}

func (a *api) sites(w http.ResponseWriter, r *http.Request) {
	out := []siteJSON{}
	for _, v := range a.d.views() {
		s := siteJSON{Name: v.Site.Name, LastOK: v.LastOK, Findings: map[string]int{},
			NextRun: rfc3339(v.Next), LastScan: rfc3339(v.LastScan), LastSuccess: rfc3339(v.LastGood)}
		if v.Running != nil {
			id := v.Running.id
			s.Running = &id
		}
		if p := v.Passive; p != nil {
			s.Passive = &passiveJSON{Listening: p.Listening, Interface: v.Interface, Error: v.ListenErr, HostsHeard: p.Hosts,
				DevicesFirstSeen: p.DevicesFirstSeen, TriggeredProbes: p.ProbesOK + p.ProbesFailed, Refused: p.ProbesRefused}
		}
		if v.Report != nil {
			for _, f := range v.Report.Findings {
				s.Findings[f.Severity.String()]++
			}
		}
		out = append(out, s)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": out})
}

// startScan answers 202 with the new scan's id, 409 with the running one's,
// or 404 for a site that is not configured. The body may be empty; it is
// read (bounded) only so that an oversized one is refused.
func (a *api) startScan(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	site := r.PathValue("site")
	id, _, err := a.d.startScan(site, TriggerAPI)
	var busy *busyError
	switch {
	case errors.Is(err, errUnknownSite):
		writeError(w, http.StatusNotFound, "unknown site "+strconv.Quote(site))
	case errors.As(err, &busy):
		writeJSON(w, http.StatusConflict, map[string]any{"error": "a scan of this site is running", "running_scan_id": busy.id})
	case errors.Is(err, errShutdown):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case err != nil:
		a.log.Error().Err(err).Str("site", site).Msg("on-demand scan not started")
		writeError(w, http.StatusInternalServerError, "scan not started")
	default:
		w.Header().Set("Location", "/api/v1/scans/"+strconv.FormatInt(id, 10))
		writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "site": site, "status": store.StatusRunning})
	}
}

func (a *api) scan(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "scan id must be a positive integer")
		return
	}
	sc, err := a.d.store.Scan(r.Context(), id)
	if a.storeErr(w, err) {
		return
	}
	// The history records a scan's end a moment before the daemon
	// publishes it (report, metrics, the site free for the next scan).
	// Until then it reads as running, so that a client that saw it
	// finish also sees its result everywhere else.
	if a.d.stillRunning(sc.Site, id) {
		sc.Status, sc.Finished, sc.Error, sc.Incomplete, sc.Stats = store.StatusRunning, time.Time{}, "", false, nil
	}
	writeJSON(w, http.StatusOK, sc)
}

// report serves the site's latest complete, successful report: the one
// the daemon holds, which is the one the store would return (it is restored
// from there at start and replaced only once a scan is recorded), and which
// the status page and the metrics show. Its JSON is encoded once per
// report, since a report of a large site is hundreds of kilobytes and
// clients poll it.
func (a *api) report(w http.ResponseWriter, r *http.Request) {
	site := r.PathValue("site")
	if !a.known(w, site) {
		return
	}
	rep := a.d.latestReport(site)
	if rep == nil {
		writeError(w, http.StatusNotFound, "no complete scan of site "+strconv.Quote(site)+" yet")
		return
	}
	body, err := a.reports.encode(site, rep)
	if err != nil {
		a.log.Error().Err(err).Str("site", site).Msg("report not encoded")
		writeError(w, http.StatusInternalServerError, "report not encoded")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client went away; nothing to tell it
}

// reportCache keeps each site's encoded latest report.
type reportCache struct {
	mu    sync.Mutex
	sites map[string]*encodedReport
}

type encodedReport struct {
	rep  *inventory.Report
	once sync.Once
	body []byte
	err  error
}

// encode returns rep's JSON as `scan -o json` writes it, encoding it only
// the first time it is asked for.
func (c *reportCache) encode(site string, rep *inventory.Report) ([]byte, error) {
	c.mu.Lock()
	if c.sites == nil {
		c.sites = map[string]*encodedReport{}
	}
	e := c.sites[site]
	if e == nil || e.rep != rep {
		e = &encodedReport{rep: rep}
		c.sites[site] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		var buf bytes.Buffer
		e.err = report.Write(&buf, "json", rep)
		e.body = buf.Bytes()
	})
	return e.body, e.err
}

func (a *api) changes(w http.ResponseWriter, r *http.Request) {
	site := r.PathValue("site")
	if !a.known(w, site) {
		return
	}
	ch, err := a.d.store.DeviceChanges(r.Context(), site)
	if a.storeErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, ch)
}

// findings lists open findings; ?site=, ?kind= and ?severity= narrow them
// and ?resolved=true adds resolved ones.
func (a *api) findings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.FindingFilter{Site: q.Get("site"), Kind: q.Get("kind"), Resolved: q.Get("resolved") == "true"}
	if s := q.Get("severity"); s != "" {
		sev, ok := inventory.ParseSeverity(s)
		if !ok {
			writeError(w, http.StatusBadRequest, "severity must be info, warning, medium, high or critical")
			return
		}
		f.Severity = &sev
	}
	fs, err := a.d.store.Findings(r.Context(), f)
	if a.storeErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": fs})
}

func (a *api) devices(w http.ResponseWriter, r *http.Request) {
	ds, err := a.d.store.Devices(r.Context(), r.URL.Query().Get("site"))
	if a.storeErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": ds})
}

// heard lists what the site's passive listener heard, most recently seen
// first: one row per MAC and address with first and last seen. ?mac= and
// ?ip= narrow it, ?limit= (at most 10,000; 1,000 by default) bounds it.
func (a *api) heard(w http.ResponseWriter, r *http.Request) {
	site := r.PathValue("site")
	if !a.known(w, site) {
		return
	}
	q := r.URL.Query()
	f := store.HeardFilter{Site: site, MAC: q.Get("mac")}
	if s := q.Get("ip"); s != "" {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "ip is not an address")
			return
		}
		f.Addr = addr
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 10000 {
			writeError(w, http.StatusBadRequest, "limit must be 1 to 10000")
			return
		}
		f.Limit = n
	}
	rows, err := a.d.store.Heard(r.Context(), f)
	if a.storeErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"heard": rows})
}

func (a *api) known(w http.ResponseWriter, site string) bool {
	if _, ok := a.d.config().Site(site); !ok {
		writeError(w, http.StatusNotFound, "unknown site "+strconv.Quote(site))
		return false
	}
	return true
}

// storeErr answers for a store error and reports whether it did.
func (a *api) storeErr(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		a.log.Error().Err(err).Msg("history query failed")
		writeError(w, http.StatusInternalServerError, "history unavailable")
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to tell it
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
