package serve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sense"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/metrics"
	"github.com/camsweep/camsweep/inventory/store"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/link"
)

// TriggerPassive marks, in the history, the probe of one host that the
// passive listener set off.
const TriggerPassive = "passive"

// ErrNoLink is what a ListenFunc returns (wrapped) when the site has no
// link-level interface: its scope lies on no local subnet (routed VLANs,
// loopback) and none is configured, or the system has no raw sockets.
var ErrNoLink = errors.New("no link-level interface holds the site's scope")

// ErrNoRawSocket is what a ListenFunc returns (wrapped) when the process
// may not open raw sockets (CAP_NET_RAW). Like ErrNoLink it turns a
// listener that is on only by default off; one the configuration asks
// for (passive: true) keeps failing, and alerting, until it is fixed.
var ErrNoRawSocket = errors.New("passive listening needs CAP_NET_RAW (run as root or grant the capability)")

// ListenFunc listens on a site's link until ctx ends and never sends a
// frame. It calls listening once it listens, and heard for everything
// heard, from one goroutine. It returns an error wrapping ErrNoLink when
// the site has no link-level interface, and another when it cannot listen
// (no CAP_NET_RAW, the interface gone).
type ListenFunc func(ctx context.Context, site Site, log zerolog.Logger, listening func(Listening), heard func(link.Heard)) error

// Listening is what a listener says once it listens.
type Listening struct {
	Interface string
	// Dropped, when set, counts frames lost before they were read: the
	// socket's buffer or the listener's queue overflowed.
	Dropped func() uint64
}

// LookFunc identifies one host the passive listener set a look off for:
// what was heard (t.Evidence) and, where the site's profile and scope
// allow, what a probe of that host alone adds, under the site's rate,
// ports and exclusions. It returns the device identified, without
// findings (the daemon reconciles).
type LookFunc func(ctx context.Context, site Site, t sense.Target, log zerolog.Logger) (inventory.Device, error)

// Passive is how the daemon listens and looks; cmd/camsweep gives the real
// ones, tests fake them.
type Passive struct {
	Listen ListenFunc
	Look   LookFunc
	// CameraLike ranks waiting looks when a site's budget is spent.
	CameraLike func([]evidence.Evidence) bool
}

// WithPassive turns continuous listening on for the sites that want it
// (Site.Passive); without it no site listens.
func WithPassive(p Passive) Option { return func(o *options) { o.passive = &p } }

const (
	// maxDetections bounds what triggered probes published per site until
	// the next complete sweep judges it (a budget of 20 a minute over a
	// 6-hour interval is 7,200 at most).
	maxDetections = 8192
	// passivePublishEvery is how often the listener's counters reach the
	// metrics when nothing else changed.
	passivePublishEvery = 5 * time.Second
	// listenRetry is how long a listener that could not listen waits
	// before trying again.
	listenRetry = 30 * time.Second
)

// sitePassive is one run of a site's listener. Its fields are guarded by
// daemon.mu; sensor is set before the run starts.
type sitePassive struct {
	key       string // the configuration it runs with (passiveKey)
	cancel    context.CancelFunc
	done      chan struct{}
	sensor    *sense.Sensor
	iface     string
	listening bool
	lastErr   string
	dropped   func() uint64
}

// detection is what a triggered probe published: the device and its
// findings, until a complete sweep that started after it judges the site.
type detection struct {
	device   inventory.Device
	findings []inventory.Finding
	at       time.Time
}

// listens reports whether a site wants a listener at all.
func listens(s Site) bool { return s.Passive == nil || *s.Passive }

// passiveKey is what, when it changes on reload, restarts the listener.
func passiveKey(s Site) string {
	return fmt.Sprintf("%v|%s|%v|%v|%v|%d|%s|%v", s.Passive != nil && *s.Passive, s.Interface, s.Scope.Targets, s.Scope.Exclude,
		s.Scope.ExcludeOUIs, s.TriggeredProbesPerMinute, s.Profile, s.RouterMACs)
}

// startPassiveLocked starts the site's listener if it wants one and none
// with its configuration runs.
func (d *daemon) startPassiveLocked(ss *siteState) {
	if d.passive == nil || d.closing {
		return
	}
	key := passiveKey(ss.cfg)
	if sp := ss.passive; sp != nil {
		if sp.key == key && listens(ss.cfg) {
			return
		}
		sp.cancel()
		ss.passive = nil
	}
	if !listens(ss.cfg) {
		return
	}
	ctx, cancel := context.WithCancel(d.scanCtx)
	sp := &sitePassive{key: key, cancel: cancel, done: make(chan struct{})}
	site := ss.cfg
	log := d.log.With().Str("site", site.Name).Str("component", "passive").Logger()
	sp.sensor = sense.New(sense.Options{
		Site: site.Name, InScope: site.inScope, ExcludedMAC: ouiExcluder(site.Scope.ExcludeOUIs), History: d.store,
		Probe:       func(ctx context.Context, t sense.Target) error { return d.look(ctx, ss, t, log) },
		ProbeBudget: site.TriggeredProbesPerMinute, CameraLike: d.passive.CameraLike,
		AfterProbe: func() {
			d.mu.Lock()
			d.changedLocked()
			d.mu.Unlock()
			d.notify()
		},
		OnEvent: func(ev sense.Event) {
			log.Info().Str("event", ev.Kind).Str("host", inventory.AddrOrEmpty(ev.Addr)).Str("mac", ev.MAC).Str("previous_mac", ev.PrevMAC).
				Strs("heard", ev.Heard).Bool("foreign_subnet", ev.Foreign).Msg("device heard")
		},
		Log: log,
	})
	ss.passive = sp
	d.listeners.Add(1)
	go d.runPassive(ctx, ss, sp, site, log)
}

// runPassive listens for one site until ctx ends, retrying a listener that
// fails, and runs the site's sensor beside it.
func (d *daemon) runPassive(ctx context.Context, ss *siteState, sp *sitePassive, site Site, log zerolog.Logger) {
	defer d.listeners.Done()
	defer close(sp.done)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = sp.sensor.Run(ctx)
	}()
	go func() {
		// The counters reach the metrics even when nothing else changes.
		defer wg.Done()
		t := time.NewTicker(passivePublishEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.mu.Lock()
				d.changedLocked()
				d.mu.Unlock()
				d.notify()
			}
		}
	}()
	defer wg.Wait()
	set := func(f func()) {
		d.mu.Lock()
		if ss.passive == sp {
			f()
			d.changedLocked()
		}
		d.mu.Unlock()
		d.notify()
	}
	for {
		err := d.passive.Listen(ctx, site, log, func(l Listening) {
			set(func() { sp.iface, sp.listening, sp.lastErr, sp.dropped = l.Interface, true, "", l.Dropped })
			log.Info().Str("interface", l.Interface).Msg("listening continuously")
		}, sp.sensor.Heard)
		if ctx.Err() != nil {
			return
		}
		if (errors.Is(err, ErrNoLink) || errors.Is(err, ErrNoRawSocket)) && site.Passive == nil {
			// Listening is the default only where the site has a link and
			// the process may listen on it.
			log.Warn().Err(err).Msg("continuous listening off: new cameras wait for the next sweep (set passive: true to make this an error)")
			d.mu.Lock()
			if ss.passive == sp {
				ss.passive = nil
				d.changedLocked()
			}
			d.mu.Unlock()
			d.notify()
			return
		}
		if err == nil {
			err = errors.New("listener stopped")
		}
		set(func() { sp.listening, sp.lastErr = false, err.Error() })
		log.Error().Err(err).Dur("retry_in", listenRetry).Msg("cannot listen; new cameras wait for the next sweep")
		select {
		case <-ctx.Done():
			return
		case <-time.After(listenRetry):
		}
	}
}

// look is one triggered probe: identify, reconcile against the site's
// registry and policy, record in the history and publish at once. It never
// runs beside a sweep of the site (lookMu), so a host is never probed by
// both at once.
func (d *daemon) look(ctx context.Context, ss *siteState, t sense.Target, log zerolog.Logger) error {
	ss.lookMu.Lock()
	defer ss.lookMu.Unlock()
	d.mu.Lock()
	site := ss.cfg
	judged := ss.sweptSinceLocked(t)
	// The latest sweep's devices: the host is matched among them, so a
	// clone of a camera found there does not take its row.
	var swept []inventory.Device
	if ss.report != nil {
		swept = ss.report.Devices
	}
	d.mu.Unlock()
	log = log.With().Str("host", inventory.AddrOrEmpty(t.Addr)).Str("mac", t.MAC).Str("reason", t.Reason).Logger()
	if judged {
		// A sweep that began after the host was first heard reported it
		// (the first sweep after a start, which hears everything as new).
		log.Debug().Msg("new device already judged by a sweep; not probed again")
		return nil
	}
	refs, err := d.refs.load(ctx, site, d.config().RegistryLimits.Limits(), log)
	if err != nil {
		return fmt.Errorf("serve: look: %w", err)
	}
	started := d.clock.Now()
	dev, err := d.passive.Look(ctx, site, t, log)
	if err != nil {
		return fmt.Errorf("serve: look: %w", err)
	}
	rep := &inventory.Report{
		Schema: inventory.ReportSchema, Site: site.Name, Started: started.UTC(), Finished: d.clock.Now().UTC(),
		Incomplete: true, Devices: []inventory.Device{dev}, Findings: []inventory.Finding{},
		Scope: inventory.ScopeSummary{Targets: []string{inventory.AddrOrEmpty(t.Addr)}, Exclude: []string{}, Probes: []string{}, Discovery: []string{"passive"},
			Profile: site.Profile, RatePerSec: site.Rate},
		Stats: inventory.Stats{Live: 1, ProbeErrors: map[string]int{}},
	}
	if dev.IsCameraLike() {
		rep.Stats.Cameras = 1
	}
	rep.Devices[0], rep.Findings = sense.Judge(dev, swept, refs.registry, refs.policy, site.InventoryScope(), d.clock.Now())
	// The record must be written even when shutdown cancels the look.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	id, err := d.store.BeginScan(wctx, site.Name, TriggerPassive, started)
	if err != nil {
		return fmt.Errorf("serve: look: %w", err)
	}
	if err := d.store.FinishScan(wctx, id, store.Result{Status: store.StatusOK, Finished: d.clock.Now(), Report: rep}); err != nil {
		return fmt.Errorf("serve: look: %w", err)
	}
	firstSeen, err := d.findingFirstSeen(wctx, site.Name)
	if err != nil {
		log.Error().Err(err).Msg("first-seen times of findings not read")
	}
	published := time.Now()
	d.mu.Lock()
	dev = rep.Devices[0]
	if len(ss.detections) >= maxDetections {
		oldest := ""
		for k, det := range ss.detections {
			if oldest == "" || det.at.Before(ss.detections[oldest].at) {
				oldest = k
			}
		}
		delete(ss.detections, oldest)
	}
	ss.detections[store.DeviceKey(site.Name, dev)] = &detection{device: dev, findings: rep.Findings, at: started}
	ss.live = nil
	if firstSeen != nil {
		ss.findingFirstSeen = firstSeen
	}
	if !t.FirstHeard.IsZero() {
		ss.detectionSeconds.Observe(published.Sub(t.FirstHeard).Seconds())
	}
	d.changedLocked()
	d.mu.Unlock()
	d.notify()
	ev := log.Info()
	if len(rep.Findings) > 0 {
		ev = log.Warn()
	}
	ev.Int64("scan_id", id).Str("class", string(dev.Class)).Str("manufacturer", dev.Manufacturer).Str("model", dev.Model).
		Int("findings", len(rep.Findings)).Dur("since_first_frame", published.Sub(t.FirstHeard)).Msg("new device looked at")
	return nil
}

// findingFirstSeen reads when each open finding of the site was first
// raised.
func (d *daemon) findingFirstSeen(ctx context.Context, site string) (map[string]time.Time, error) {
	recs, err := d.store.Findings(ctx, store.FindingFilter{Site: site})
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(recs))
	for _, r := range recs {
		out[r.Key] = r.FirstSeen
	}
	return out, nil
}

// readFindingFirstSeen is findingFirstSeen within the history's write
// deadline, logging a failure (the times are then kept from before).
func (d *daemon) readFindingFirstSeen(site string, log zerolog.Logger) map[string]time.Time {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.scanCtx), 30*time.Second)
	defer cancel()
	fs, err := d.findingFirstSeen(ctx, site)
	if err != nil {
		log.Error().Err(err).Msg("first-seen times of findings not read")
		return nil
	}
	return fs
}

// liveReportLocked is the site's picture for metrics and the status page:
// the latest complete report with what triggered probes found since.
func (ss *siteState) liveReportLocked() *inventory.Report {
	if len(ss.detections) == 0 {
		return ss.report
	}
	if ss.live != nil {
		return ss.live
	}
	live := &inventory.Report{Schema: inventory.ReportSchema, Site: ss.cfg.Name, Findings: []inventory.Finding{}}
	if ss.report != nil {
		c := *ss.report
		live = &c
	}
	dets := make([]*detection, 0, len(ss.detections))
	for _, det := range ss.detections {
		dets = append(dets, det)
	}
	slices.SortFunc(dets, func(a, b *detection) int { return a.at.Compare(b.at) })
	replaced := func(mac, ip string) bool {
		for _, det := range dets {
			if (mac != "" && strings.EqualFold(mac, det.device.MAC)) || (ip != "" && ip == inventory.AddrOrEmpty(det.device.IP)) {
				return true
			}
		}
		return false
	}
	devs := make([]inventory.Device, 0, len(live.Devices)+len(dets))
	for _, dv := range live.Devices {
		if !replaced(dv.MAC, inventory.AddrOrEmpty(dv.IP)) {
			devs = append(devs, dv)
		}
	}
	fs := make([]inventory.Finding, 0, len(live.Findings)+len(dets))
	for _, f := range live.Findings {
		if !replaced(f.MAC, f.IP) {
			fs = append(fs, f)
		}
	}
	for _, det := range dets {
		devs = append(devs, det.device)
		fs = append(fs, det.findings...)
	}
	live.Devices, live.Findings = devs, fs
	ss.live = live
	return live
}

// passiveMetricsLocked is the site's listener in the metrics snapshot; nil
// when the site does not listen.
func (ss *siteState) passiveMetricsLocked() *metrics.Passive {
	sp := ss.passive
	if sp == nil {
		return nil
	}
	st := sp.sensor.Stats()
	var dropped uint64
	if sp.dropped != nil {
		dropped = sp.dropped()
	}
	return &metrics.Passive{
		Listening: sp.listening, Frames: st.Frames, FramesDropped: dropped, Hosts: st.Hosts,
		DevicesFirstSeen: st.DevicesFirstSeen, MACChanges: st.MACChanges,
		ProbesOK: st.Probes.OK, ProbesFailed: st.Probes.Failed, ProbesRefused: st.Probes.Refused,
		Detection: metrics.Histogram{Counts: slices.Clone(ss.detectionSeconds.Counts), Count: ss.detectionSeconds.Count, Sum: ss.detectionSeconds.Sum},
	}
}

// sweptSinceLocked reports whether the site's latest complete sweep began
// after t's host was first heard and reported it.
func (ss *siteState) sweptSinceLocked(t sense.Target) bool {
	rep := ss.report
	if rep == nil || !rep.Started.After(t.FirstHeard) {
		return false
	}
	for _, dv := range rep.Devices {
		if (t.MAC != "" && strings.EqualFold(dv.MAC, t.MAC)) || (t.MAC == "" && dv.IP == t.Addr) {
			return true
		}
	}
	return false
}

// judgedLocked drops what triggered probes found before a complete sweep
// that started at started: the sweep has judged the site since.
func (ss *siteState) judgedLocked(started time.Time) {
	for k, det := range ss.detections {
		if det.at.Before(started) {
			delete(ss.detections, k)
		}
	}
	ss.live = nil
}

// ouiExcluder reports whether a MAC falls in one of the site's excluded
// OUIs (normalised to colon form by validation).
func ouiExcluder(ouis []string) func(string) bool {
	if len(ouis) == 0 {
		return nil
	}
	return func(mac string) bool {
		mac = strings.ToLower(mac)
		for _, o := range ouis {
			if strings.HasPrefix(mac, o) {
				return true
			}
		}
		return false
	}
}
