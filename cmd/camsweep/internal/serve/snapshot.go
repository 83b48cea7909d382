package serve

import (
	"sort"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/metrics"
)

// siteView is a copy of one site's state, safe to read without the lock.
type siteView struct {
	Site     Site
	Running  *runningScan
	Next     time.Time
	Report   *inventory.Report
	LastScan time.Time
	LastOK   bool
	LastDur  time.Duration
	LastGood time.Time
	Scans    map[string]uint64
	Probes   map[string]uint64
	RegErrs  int
	NotSent  uint64
	TimedOut uint64
	// Passive is the site's listener (nil when it does not listen);
	// FirstSeen when each open finding was first raised.
	Passive   *metrics.Passive
	Interface string
	ListenErr string
	FirstSeen map[string]time.Time
}

// views copies every site's state, sorted by name. Reports are shared, not
// copied: a report is never modified once it is stored in the state. A
// view's Report is the live one: the latest complete report with what
// triggered probes found since.
func (d *daemon) views() []siteView {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.viewsLocked()
}

func (d *daemon) viewsLocked() []siteView {
	out := make([]siteView, 0, len(d.sites))
	for _, ss := range d.sites {
		v := siteView{
			Site: ss.cfg, Next: ss.next, Report: ss.liveReportLocked(), LastScan: ss.lastScan, LastOK: ss.lastOK,
			LastDur: ss.lastDuration, LastGood: ss.lastSuccess, RegErrs: ss.registryErrors,
			NotSent: ss.packetsNotSent, TimedOut: ss.hostsTimedOut,
			Scans: make(map[string]uint64, len(ss.scansTotal)), Probes: make(map[string]uint64, len(ss.probeErrors)),
			Passive: ss.passiveMetricsLocked(), FirstSeen: ss.findingFirstSeen,
		}
		if sp := ss.passive; sp != nil {
			v.Interface, v.ListenErr = sp.iface, sp.lastErr
		}
		if ss.running != nil {
			r := *ss.running
			v.Running = &r
		}
		for k, n := range ss.scansTotal {
			v.Scans[k] = n
		}
		for k, n := range ss.probeErrors {
			v.Probes[k] = n
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Site.Name < out[j].Site.Name })
	return out
}

// latestReport is the site's latest complete, successful report, or nil.
func (d *daemon) latestReport(site string) *inventory.Report {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ss := d.sites[site]; ss != nil {
		return ss.report
	}
	return nil
}

// metricsSnapshot is the metrics.Collector's source: the snapshot
// published at the latest change, so a scrape neither takes the daemon's
// lock nor rebuilds anything.
func (d *daemon) metricsSnapshot() metrics.Snapshot { return d.pub.Load().metrics }

// generation identifies the published state; it changes whenever the
// status page would.
func (d *daemon) generation() uint64 { return d.pub.Load().gen }

// metricsGeneration changes whenever the metrics snapshot does.
func (d *daemon) metricsGeneration() uint64 { return d.pub.Load().metricsGen }

// metricsSnapshotLocked builds the snapshot that changedLocked publishes.
// Counters are copied; reports are shared (they are never modified once
// stored).
func (d *daemon) metricsSnapshotLocked() metrics.Snapshot {
	var s metrics.Snapshot
	for _, v := range d.viewsLocked() {
		s.Sites = append(s.Sites, metrics.Site{
			Name: v.Site.Name, Interval: v.Site.Schedule.Interval, Quiet: v.Site.Schedule.QuietHours.length(), Running: v.Running != nil,
			Report: v.Report, LastScan: v.LastScan, LastScanDuration: v.LastDur, LastScanOK: v.LastOK,
			LastSuccess: v.LastGood, ScansTotal: v.Scans, ProbeErrorsTotal: v.Probes,
			RegistryLoadErrors: v.RegErrs, VMS: d.vms.metric(v.Site), Passive: v.Passive, FindingFirstSeen: v.FirstSeen,
			PacketsNotSentTotal: v.NotSent, HostsTimedOutTotal: v.TimedOut,
		})
	}
	if d.flows != nil {
		s.Flows = d.flows.stats()
	}
	s.Dispensations = d.dispensations()
	s.ConfigReloaded = d.configReloaded
	s.APITokens = len(d.tokens)
	return s
}

// dispensations merges the dispensations of every configured site's
// policy. Claims are counted once per registry file, so two sites sharing
// one registry do not count its rows twice. A site removed by a reload
// counts no more, though a scan of it that was running may have cached
// its references since. Called with mu held.
func (d *daemon) dispensations() []metrics.Dispensation {
	now := d.clock.Now()
	byID := map[string]*metrics.Dispensation{}
	counted := map[[2]string]bool{} // registry path, dispensation id
	refs := d.refs.all()
	names := make([]string, 0, len(refs))
	for n := range refs {
		if _, ok := d.sites[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		r := refs[n]
		for _, c := range inventory.DispensationClaims(r.registry, r.policy, now) {
			m := byID[c.ID]
			if m == nil {
				m = &metrics.Dispensation{
					ID: c.ID, Manufacturer: c.Manufacturer, Owner: c.Owner, MaxCameras: c.MaxCameras,
					// Valid through the whole expiry day: it ends at the
					// following midnight in the policy's zone, as Reconcile
					// reads it.
					Expires: r.policy.ExpiryInstant(c.Expires),
				}
				byID[c.ID] = m
			}
			if k := [2]string{r.registryPath, c.ID}; !counted[k] {
				counted[k] = true
				m.Cameras += c.Claimed
			}
		}
	}
	out := make([]metrics.Dispensation, 0, len(byID))
	for _, m := range byID {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
