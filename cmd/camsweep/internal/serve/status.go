package serve

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// statusHTML is the status page: one self-contained document (inline CSS,
// no scripts, no external assets), because the sensor may sit on a network
// that reaches nothing else.
//
//go:embed status.html
var statusHTML string

var statusTmpl = template.Must(template.New("status").Parse(statusHTML))

type statusPage struct {
	Version string
	Now     string
	Sites   []statusSite
}

type statusSite struct {
	Name                             string
	LastScan, LastSuccess, NextRun   string
	LastOK                           bool
	LastDuration                     time.Duration
	Running                          bool
	RunningID                        int64
	RunningSince                     string
	Devices, Cameras, RegistryErrors int
	// The continuous listener, when the site has one.
	Passive, Listening         bool
	Interface, ListenErr       string
	HostsHeard                 int
	NewDevices, Looks, Refused uint64
	BySeverity                 []severityCount
	Unregistered               []unregisteredCamera
	// Infrastructure is each router and switch of the latest report; the
	// failed ones are what the operator must look at.
	Infrastructure []inventory.InfraDevice
}

type severityCount struct {
	Severity string
	Count    int
}

type unregisteredCamera struct {
	IP, MAC, Brand, Manufacturer, Model string
	// Where is the switch port ("" when no configured switch placed it),
	// MACSource how the MAC was learnt.
	Where, MACSource string
	Evidence         []evidence.Evidence
}

type statusHandler struct {
	d       *daemon
	version string
	log     zerolog.Logger

	// The page is rendered once per published state and second (it shows
	// the time): a large site's page takes milliseconds to render, and
	// nothing on it changes in between.
	mu       sync.Mutex
	gen      uint64
	now      string
	rendered []byte
}

func (h *statusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	body, err := h.render()
	if err != nil {
		h.log.Error().Err(err).Msg("status page not rendered")
		writeError(w, http.StatusInternalServerError, "status page not rendered")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page needs nothing from anywhere: forbid everything but its own
	// inline style, and being framed (clickjacking, or a framing page
	// reading it).
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body) // the client went away; nothing to tell it
}

func (h *statusHandler) render() ([]byte, error) {
	// The generation is read before the state: if the state moves on in
	// between, the page is newer than its key and the next request renders
	// again, never the other way round.
	gen, now := h.d.generation(), rfc3339(h.d.clock.Now())
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rendered != nil && h.gen == gen && h.now == now {
		return h.rendered, nil
	}
	page := statusPage{Version: h.version, Now: now}
	for _, v := range h.d.views() {
		page.Sites = append(page.Sites, statusFor(v))
	}
	var buf bytes.Buffer
	if err := statusTmpl.Execute(&buf, page); err != nil {
		return nil, err
	}
	h.gen, h.now, h.rendered = gen, now, buf.Bytes()
	return h.rendered, nil
}

func statusFor(v siteView) statusSite {
	s := statusSite{
		Name: v.Site.Name, LastScan: rfc3339(v.LastScan), LastSuccess: rfc3339(v.LastGood),
		NextRun: rfc3339(v.Next), LastOK: v.LastOK, LastDuration: v.LastDur.Round(time.Millisecond),
		RegistryErrors: v.RegErrs,
		Interface:      v.Interface, ListenErr: v.ListenErr,
	}
	if v.Running != nil {
		s.Running, s.RunningID, s.RunningSince = true, v.Running.id, rfc3339(v.Running.started)
	}
	if p := v.Passive; p != nil {
		s.Passive, s.Listening, s.HostsHeard = true, p.Listening, p.Hosts
		s.NewDevices, s.Looks, s.Refused = p.DevicesFirstSeen, p.ProbesOK+p.ProbesFailed, p.ProbesRefused
	}
	if v.Report == nil {
		return s
	}
	byIP := map[string]inventory.Device{}
	for _, d := range v.Report.Devices {
		byIP[d.IP.String()] = d
		s.Devices++
		if d.IsCameraLike() {
			s.Cameras++
		}
	}
	counts := map[inventory.Severity]int{}
	for _, f := range v.Report.Findings {
		counts[f.Severity]++
		if f.Kind != inventory.KindUnregisteredCamera {
			continue
		}
		d := byIP[f.IP]
		s.Unregistered = append(s.Unregistered, unregisteredCamera{
			IP: f.IP, MAC: firstNonEmpty(f.MAC, d.MAC), Brand: firstNonEmpty(f.Brand, d.Brand),
			Manufacturer: firstNonEmpty(f.Manufacturer, d.Manufacturer), Model: firstNonEmpty(f.Model, d.Model),
			Where: whereOf(f.Location, d.Location), MACSource: firstNonEmpty(f.MACSource, d.MACSource),
			Evidence: firstEvidence(f.Evidence, d.Evidence),
		})
	}
	s.Infrastructure = v.Report.Infrastructure
	sevs := make([]inventory.Severity, 0, len(counts))
	for sev := range counts {
		sevs = append(sevs, sev)
	}
	slices.Sort(sevs)
	slices.Reverse(sevs)
	for _, sev := range sevs {
		s.BySeverity = append(s.BySeverity, severityCount{Severity: sev.String(), Count: counts[sev]})
	}
	return s
}

func whereOf(ls ...*evidence.Location) string {
	for _, l := range ls {
		if l != nil {
			return l.String()
		}
	}
	return ""
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstEvidence(a, b []evidence.Evidence) []evidence.Evidence {
	if len(a) > 0 {
		return a
	}
	return b
}
