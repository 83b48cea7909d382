package serve

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/metrics"
	"github.com/camsweep/camsweep/inventory/store"
)

// Scan triggers, recorded with each scan.
const (
	TriggerSchedule = "schedule"
	TriggerAPI      = "api"
)

var (
	errUnknownSite = errors.New("unknown site")
	errShutdown    = errors.New("daemon is shutting down")
)

// busyError says a site already has a scan running.
type busyError struct{ id int64 }

func (e *busyError) Error() string { return fmt.Sprintf("scan %d is running", e.id) }

// daemon is the scheduler and the state the API, page and metrics read.
type daemon struct {
	log   zerolog.Logger
	clock Clock
	sweep SweepFunc
	store *store.Store
	refs  *refCache
	rnd   func(n int64) int64
	// flows are the sensor's flow sources (nil when none is configured);
	// vms caches each site's central VMS list.
	flows *flowRuntime
	vms   *vmsCache

	// scanCtx parents every scan; cancelling it is how shutdown stops them.
	scanCtx    context.Context
	cancelScan context.CancelFunc
	scans      sync.WaitGroup
	loops      sync.WaitGroup
	listeners  sync.WaitGroup

	// passive listens and looks; nil: no site listens.
	passive *Passive

	mu  sync.Mutex
	cfg *Config
	// tokens are the API's bearer tokens: the configuration's, or none
	// (every request refused) after a reload found the token file
	// unreadable. tokenErr says why there are none.
	tokens         []tokenHash
	tokenErr       error
	sites          map[string]*siteState
	configReloaded time.Time
	closing        bool
	gen            uint64 // counts state changes; guarded by mu

	// onChange, when set (before start), is called after each change once
	// mu is released, by the goroutine that made it: /metrics encodes the
	// new state there, so that scrapes find it ready.
	onChange func()

	// pub is the state as scrapes and the status page read it: rebuilt
	// under mu at every change (scan started or finished, schedule,
	// reload) and swapped in whole, so a reader never takes mu and a
	// scrape costs nothing but encoding.
	pub atomic.Pointer[published]
}

// published is one immutable picture of the daemon's state.
type published struct {
	// gen identifies the picture: equal generations mean equal pictures,
	// which is what lets the status page cache its output. metricsGen
	// does the same for the metrics alone, which change less often (not
	// when a schedule is computed or a scan gets its id), so /metrics
	// re-encodes only when they did.
	gen, metricsGen uint64
	metrics         metrics.Snapshot
}

// siteState is one site's scheduler and bookkeeping. Fields are guarded by
// daemon.mu.
type siteState struct {
	cfg Site
	// running is the scan in flight (id 0 while its row is being written).
	running *runningScan
	// lastScheduled is the start of the last scheduled scan, from which the
	// next one is counted.
	lastScheduled time.Time
	next          time.Time

	report                *inventory.Report // latest complete, successful
	lastScan, lastSuccess time.Time
	lastDuration          time.Duration
	lastOK                bool
	scansTotal            map[string]uint64
	probeErrors           map[string]uint64
	// unfinished counts, since start, what sweeps could not do: packets
	// they could not send and hosts their timeout cut short.
	packetsNotSent, hostsTimedOut uint64
	registryErrors                int

	wake chan struct{} // the site's configuration changed
	stop chan struct{} // the site was removed or the daemon stops

	// passive is the running listener (nil when the site does not
	// listen); detections are what its triggered probes published since
	// the latest complete sweep, live the report with them merged (built
	// on demand), findingFirstSeen when each open finding was first
	// raised, detectionSeconds the time from first frame to publication.
	passive          *sitePassive
	detections       map[string]*detection
	live             *inventory.Report
	findingFirstSeen map[string]time.Time
	detectionSeconds metrics.Histogram
	// lookMu keeps a sweep of the site and a triggered probe apart, so no
	// host gets connections from both at once.
	lookMu sync.Mutex
}

type runningScan struct {
	id      int64
	trigger string
	started time.Time
	// registered is closed once the history has given the scan its id
	// (or refused to, leaving id 0 and the site free again).
	registered chan struct{}
	done       chan struct{}
}

func newDaemon(ctx context.Context, cfg *Config, st *store.Store, sweep SweepFunc, clock Clock, log zerolog.Logger) *daemon {
	d := &daemon{
		log: log, clock: clock, sweep: sweep, store: st, refs: newRefCache(), vms: newVMSCache(),
		rnd: rand.Int64N, cfg: cfg, sites: map[string]*siteState{}, configReloaded: clock.Now(),
		tokens: cfg.tokens,
	}
	// Scans outlive a cancelled Run context only as long as shutdown lets
	// them; WithoutCancel keeps the values (none today) and drops the
	// cancellation so shutdown can order things itself.
	d.scanCtx, d.cancelScan = context.WithCancel(context.WithoutCancel(ctx))
	d.mu.Lock()
	d.changedLocked()
	d.mu.Unlock()
	return d
}

// notify runs onChange; call it after releasing mu, after a change.
func (d *daemon) notify() {
	if d.onChange != nil {
		d.onChange()
	}
}

// changedLocked publishes the state after a change. Every write to the
// state that a scrape or the status page shows must be followed by it, under
// the same hold of mu.
func (d *daemon) changedLocked() {
	d.gen++
	p := &published{gen: d.gen, metrics: d.metricsSnapshotLocked()}
	// Reports are compared by pointer (DeepEqual stops at identical
	// pointers), so this costs the few scalars and counters per site.
	if prev := d.pub.Load(); prev != nil {
		p.metricsGen = prev.metricsGen
		if !reflect.DeepEqual(prev.metrics, p.metrics) {
			p.metricsGen++
		}
	}
	d.pub.Store(p)
}

// start restores each site's latest report from the history and starts
// the schedules.
func (d *daemon) start(ctx context.Context) {
	defer d.notify()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.cfg.Sites {
		d.addSiteLocked(ctx, s)
	}
	d.changedLocked()
}

func (d *daemon) addSiteLocked(ctx context.Context, s Site) {
	ss := &siteState{
		cfg: s, scansTotal: map[string]uint64{}, probeErrors: map[string]uint64{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), detections: map[string]*detection{},
	}
	if fs, err := d.findingFirstSeen(ctx, s.Name); err == nil {
		ss.findingFirstSeen = fs
	} else {
		d.log.Error().Err(err).Str("site", s.Name).Msg("first-seen times of findings not restored")
	}
	if rep, sc, err := d.store.LatestReport(ctx, s.Name); err == nil {
		ss.report = rep
		ss.lastSuccess = sc.Finished
	} else if !errors.Is(err, store.ErrNotFound) {
		d.log.Error().Err(err).Str("site", s.Name).Msg("latest report not restored")
	}
	// The latest sweep, not a triggered probe of one host, sets the
	// schedule and the scan metrics.
	if scans, err := d.store.Scans(ctx, s.Name, 64); err == nil {
		for _, last := range scans {
			if last.Trigger == TriggerPassive {
				continue
			}
			ss.lastScheduled = last.Started
			ss.lastScan, ss.lastDuration = last.Finished, last.Finished.Sub(last.Started)
			ss.lastOK = last.Status == store.StatusOK
			break
		}
	}
	d.sites[s.Name] = ss
	d.startPassiveLocked(ss)
	d.loops.Add(1)
	go d.loop(s.Name, ss)
}

// loop runs one site's schedule until the site is removed or the daemon
// stops. It waits for each scheduled scan to end before computing the next,
// so a slow scan delays the schedule instead of queueing runs behind it.
func (d *daemon) loop(name string, ss *siteState) {
	defer d.loops.Done()
	log := d.log.With().Str("site", name).Logger()
	for {
		d.mu.Lock()
		sch, last := ss.cfg.Schedule, ss.lastScheduled
		now := d.clock.Now()
		next := nextRun(sch, last, now, d.rnd)
		ss.next = next
		d.changedLocked()
		d.mu.Unlock()
		d.notify()
		log.Debug().Time("next_run", next).Msg("scan scheduled")

		t := d.clock.NewTimer(next.Sub(now))
		select {
		case <-ss.stop:
			t.Stop()
			return
		case <-ss.wake:
			t.Stop()
			continue
		case <-t.C():
		}
		d.mu.Lock()
		ss.lastScheduled = d.clock.Now()
		d.mu.Unlock()
		id, done, err := d.startScan(name, TriggerSchedule)
		var busy *busyError
		switch {
		case errors.As(err, &busy):
			// An on-demand scan is running: it counts as this run.
			log.Info().Int64("scan_id", busy.id).Msg("scheduled scan skipped: a scan is already running")
			continue
		case err != nil:
			log.Error().Err(err).Msg("scheduled scan not started")
			continue
		}
		log.Debug().Int64("scan_id", id).Msg("scheduled scan started")
		select {
		case <-done:
		case <-ss.stop:
			return
		}
	}
}

// startScan begins a scan of the site unless one is running. The scan's
// row is written before it returns, so the id it gives can be looked up at
// once.
func (d *daemon) startScan(name, trigger string) (int64, <-chan struct{}, error) {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		return 0, nil, errShutdown
	}
	ss := d.sites[name]
	if ss == nil {
		d.mu.Unlock()
		return 0, nil, errUnknownSite
	}
	if other := ss.running; other != nil {
		d.mu.Unlock()
		// The site is taken before the history numbers the scan; wait
		// for the number (one insert) so that a 409 names a real scan.
		<-other.registered
		d.mu.Lock()
		id := other.id
		d.mu.Unlock()
		if id == 0 {
			return d.startScan(name, trigger) // its start failed: the site is free
		}
		return 0, nil, &busyError{id: id}
	}
	run := &runningScan{trigger: trigger, started: d.clock.Now(), registered: make(chan struct{}), done: make(chan struct{})}
	ss.running = run
	site := ss.cfg
	d.scans.Add(1)
	d.changedLocked()
	d.mu.Unlock()
	d.notify()

	id, err := d.store.BeginScan(d.scanCtx, name, trigger, run.started)
	if err != nil {
		d.mu.Lock()
		ss.running = nil
		d.changedLocked()
		d.mu.Unlock()
		d.notify()
		close(run.registered)
		close(run.done)
		d.scans.Done()
		return 0, nil, err
	}
	d.mu.Lock()
	run.id = id
	d.changedLocked()
	d.mu.Unlock()
	close(run.registered)
	d.notify()
	go d.runScan(ss, site, run)
	return id, run.done, nil
}

// stillRunning reports whether the daemon still holds scan id of site as
// its running scan (it may already be recorded as finished).
func (d *daemon) stillRunning(site string, id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ss := d.sites[site]
	return ss != nil && ss.running != nil && ss.running.id == id
}

// runScan does one scan: references, sweep, reconcile, record, then the
// state the API, page and metrics show, and the history's retention.
func (d *daemon) runScan(ss *siteState, site Site, run *runningScan) {
	defer d.scans.Done()
	defer close(run.done)
	log := d.log.With().Str("site", site.Name).Int64("scan_id", run.id).Str("trigger", run.trigger).Logger()
	log.Info().Msg("scan started")

	refs, refErr := d.loadReferences(site, log)
	ss.lookMu.Lock() // a triggered probe in flight ends first; none starts meanwhile
	rep, res := d.sweepSite(site, refs, refErr, log)
	ss.lookMu.Unlock()
	res.Finished, res.Report = d.clock.Now(), rep
	res, recorded := d.record(run.id, res, log)
	var firstSeen map[string]time.Time
	if recorded {
		firstSeen = d.readFindingFirstSeen(site.Name, log)
	}
	retention := d.settle(ss, run, res, refs, refErr, recorded, firstSeen)
	logFinished(log, run, res)
	d.prune(res.Finished, retention, log)
}

// loadReferences reads the site's registry and policy. The dispensation
// series follow the references as soon as they are read, not only once
// the scan ends.
func (d *daemon) loadReferences(site Site, log zerolog.Logger) (*references, error) {
	refs, err := d.refs.load(d.scanCtx, site, d.config().RegistryLimits.Limits(), log)
	if err == nil {
		d.mu.Lock()
		d.changedLocked()
		d.mu.Unlock()
		d.notify()
	}
	return refs, err
}

// sweepSite sweeps the site and reconciles what it found, and says how the
// scan ended. Without references nothing is sent: the scan fails loudly (an
// error log, a failed scan in the history and the metrics,
// camsweep_registry_load_errors), and the last good references stay for
// the next run.
func (d *daemon) sweepSite(site Site, refs *references, refErr error, log zerolog.Logger) (*inventory.Report, store.Result) {
	res := store.Result{Status: store.StatusOK}
	if refErr != nil && d.scanCtx.Err() != nil {
		// Shutdown ended the registry load: the scan was cancelled, not
		// failed by a bad file.
		res.Status, res.Error = store.StatusCancelled, "cancelled: camsweep is shutting down"
		return nil, res
	}
	if refErr != nil {
		log.Error().Err(refErr).Msg("scan failed: registry or policy unreadable; last good kept")
		res.Status, res.Error = store.StatusFailed, refErr.Error()
		return nil, res
	}
	rep, err := d.sweep(d.scanCtx, site, log)
	switch {
	case d.scanCtx.Err() != nil:
		res.Status, res.Error = store.StatusCancelled, "cancelled: camsweep is shutting down"
	case err != nil:
		res.Status, res.Error = store.StatusFailed, err.Error()
	case rep == nil:
		res.Status, res.Error = store.StatusFailed, "sweep returned no report"
	}
	if rep != nil {
		if res.Status != store.StatusOK {
			rep.Incomplete = true
		}
		d.reconcile(rep, site, refs, d.observe(site, log))
	}
	return rep, res
}

// record writes the scan's result to the history and reports whether it
// was written, with the result as written: a result the history cannot
// store becomes a failed scan without its report. The record must be
// written even when shutdown cancelled the scan; shutdown's own deadline
// bounds how long it may take.
func (d *daemon) record(id int64, res store.Result, log zerolog.Logger) (store.Result, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.scanCtx), 30*time.Second)
	defer cancel()
	err := d.store.FinishScan(ctx, id, res)
	if err == nil {
		return res, true
	}
	log.Error().Err(err).Msg("scan result not recorded")
	if errors.Is(err, store.ErrNotFound) {
		return res, false
	}
	// A result that cannot be stored (a report that does not encode) must
	// not leave the scan 'running' in the API and the history until a
	// restart: it is recorded as failed, without the report.
	failed := store.Result{Status: store.StatusFailed, Finished: res.Finished, Error: "the scan's result could not be recorded: " + err.Error()}
	if ferr := d.store.FinishScan(ctx, id, failed); ferr != nil {
		log.Error().Err(ferr).Msg("scan not recorded as failed either")
		return res, false
	}
	log.Warn().Msg("scan recorded as failed, without its report")
	return failed, true
}

// settle frees the site and takes the scan's outcome into the state the
// API, page and metrics show. Only a complete, successful scan that the
// history recorded becomes the site's latest report. It returns the
// history's retention as configured now.
func (d *daemon) settle(ss *siteState, run *runningScan, res store.Result, refs *references, refErr error, recorded bool, firstSeen map[string]time.Time) time.Duration {
	rep := res.Report
	d.mu.Lock()
	ss.running = nil
	ss.lastScan, ss.lastDuration = res.Finished, res.Finished.Sub(run.started)
	ss.lastOK = res.Status == store.StatusOK
	ss.scansTotal[string(res.Status)]++
	if refErr != nil {
		ss.registryErrors = 1
	} else {
		ss.registryErrors = len(refs.rowErrors)
	}
	if rep != nil {
		for probe, n := range rep.Stats.ProbeErrors {
			ss.probeErrors[probe] += uint64(n)
		}
		ss.packetsNotSent += rep.Stats.PacketsNotSent
		ss.hostsTimedOut += uint64(max(rep.Stats.HostsTimedOut, 0))
	}
	if res.Status == store.StatusOK && rep != nil && !rep.Incomplete && recorded {
		ss.report = rep
		ss.lastSuccess = res.Finished
		ss.judgedLocked(run.started)
	}
	if firstSeen != nil {
		ss.findingFirstSeen = firstSeen
	}
	retention := d.cfg.History.Retention
	d.changedLocked()
	d.mu.Unlock()
	d.notify()
	return retention
}

// logFinished says how the scan ended: at info level when it succeeded,
// else at warning level.
func logFinished(log zerolog.Logger, run *runningScan, res store.Result) {
	ev := log.Info()
	if res.Status != store.StatusOK {
		ev = log.Warn()
	}
	n := 0
	if res.Report != nil {
		n = len(res.Report.Findings)
	}
	ev.Str("status", string(res.Status)).Str("error", res.Error).Int("findings", n).
		Dur("duration", res.Finished.Sub(run.started)).Msg("scan finished")
}

// prune drops history older than the retention (0: keep everything).
func (d *daemon) prune(finished time.Time, retention time.Duration, log zerolog.Logger) {
	if retention <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.scanCtx), 30*time.Second)
	defer cancel()
	if st, err := d.store.Prune(ctx, finished.Add(-retention)); err != nil {
		log.Error().Err(err).Msg("history not pruned")
	} else if st.Scans+st.Findings+st.Devices > 0 {
		log.Info().Int64("scans", st.Scans).Int64("findings", st.Findings).Int64("devices", st.Devices).Msg("history pruned")
	}
}

// reconcile fills the report's findings. A partial sweep keeps what it
// found (an unregistered camera seen is real) but not missing_camera: it
// cannot tell a missing camera from one it did not reach.
func (d *daemon) reconcile(rep *inventory.Report, site Site, refs *references, obs inventory.Observations) {
	if rep.Schema == "" {
		rep.Schema = inventory.ReportSchema
	}
	rep.Site = site.Name
	scope := site.InventoryScope()
	scope.Partial = rep.Incomplete
	res := inventory.ReconcileObserved(rep.Devices, refs.registry, refs.policy, scope, obs, d.clock.Now())
	rep.Observations = obs.Summary()
	rep.Devices = res.Devices
	rep.Findings = res.Findings
	if rep.Findings == nil {
		rep.Findings = []inventory.Finding{}
	}
}

// observe gathers what the sensor saw beside the sweep: the window's flows
// touching the site, and the site's VMS list (read again when stale).
func (d *daemon) observe(site Site, log zerolog.Logger) inventory.Observations {
	now := d.clock.Now()
	var obs inventory.Observations
	if d.flows != nil {
		obs = d.flows.observations(site, now)
	}
	obs.VMS, obs.VMSError = d.vms.get(d.scanCtx, site, now, log)
	return obs
}

// applyConfig swaps in a reloaded configuration. Running scans keep the
// site configuration they started with; schedules are recomputed; removed
// sites stop scheduling (a scan of theirs in flight still finishes and is
// recorded).
func (d *daemon) applyConfig(ctx context.Context, cfg *Config) {
	defer d.notify()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return
	}
	old := d.cfg
	d.cfg = cfg
	d.tokens, d.tokenErr = cfg.tokens, nil
	d.configReloaded = d.clock.Now()
	keep := map[string]bool{}
	for _, s := range cfg.Sites {
		keep[s.Name] = true
		if ss := d.sites[s.Name]; ss != nil {
			ss.cfg = s
			d.startPassiveLocked(ss)
			select {
			case ss.wake <- struct{}{}:
			default:
			}
			continue
		}
		d.addSiteLocked(ctx, s)
	}
	for name, ss := range d.sites {
		if !keep[name] {
			// It stops scheduling now; a scan of its in flight still
			// finishes and is recorded in the history.
			close(ss.stop)
			if ss.passive != nil {
				ss.passive.cancel()
				ss.passive = nil
			}
			delete(d.sites, name)
		}
	}
	d.refs.retain(keep)
	d.changedLocked()
	if old.Listen != cfg.Listen || old.History.Path != cfg.History.Path || (old.TLS == nil) != (cfg.TLS == nil) {
		d.log.Warn().Msg("listen, tls and history.path changes take effect at restart")
	}
}

// shutdown stops the schedules, cancels running scans and waits for them
// to be recorded, up to ctx's deadline.
func (d *daemon) shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closing = true
	for _, ss := range d.sites {
		select {
		case <-ss.stop:
		default:
			close(ss.stop)
		}
	}
	d.mu.Unlock()
	d.cancelScan() // the listeners' contexts too
	done := make(chan struct{})
	go func() {
		d.scans.Wait()
		d.loops.Wait()
		d.listeners.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("serve: shutdown: scans did not stop in time (left 'running'; the next start marks them interrupted): %w", ctx.Err())
	}
}

// config returns the current configuration.
func (d *daemon) config() *Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// apiTokens are the bearer tokens the API accepts now.
func (d *daemon) apiTokens() []tokenHash {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tokens
}

// reloadTokens re-reads the token file when the rest of a reloaded
// configuration was refused. The token file is what an operator edits to
// revoke a token, so it takes effect on its own; and when it cannot be read
// the API fails closed (no token is valid) rather than keep accepting the
// old ones, a revoked one among them. Scheduled scans go on.
func (d *daemon) reloadTokens() {
	cfg := d.config()
	toks, warn, err := readTokenFile(cfg.APITokensFile, cfg.SecretFiles)
	if warn != "" {
		d.log.Warn().Str("file", cfg.APITokensFile).Msg(warn)
	}
	defer d.notify()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tokens, d.tokenErr = toks, err
	d.changedLocked()
	if err != nil {
		d.log.Error().Err(err).Msg("API tokens could not be read: the API refuses every request until a good token file is loaded (SIGHUP); scheduled scans go on")
		return
	}
	d.log.Info().Int("tokens", len(toks)).Msg("API tokens reloaded")
}
