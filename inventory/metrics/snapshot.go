package metrics

import (
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// Snapshot is everything the collector reports, taken at scrape time.
type Snapshot struct {
	Sites         []Site
	Dispensations []Dispensation
	// ConfigReloaded is when the configuration was last loaded successfully
	// (at start or on SIGHUP).
	ConfigReloaded time.Time
	// APITokens is how many bearer tokens the API accepts: 0 after a
	// reload found the token file unreadable or invalid, when the API
	// refuses every request (fails closed) until a good one is loaded.
	APITokens int
	// Flows are the sensor's flow sources; nil when none is configured.
	Flows *FlowStats
}

// FlowStats are the flow sources' counters since the process started.
type FlowStats struct {
	// Sources are the configured sources: mirror, netflow.
	Sources []string
	// Records counts flow records decoded by format (netflow_v9, ipfix,
	// sflow, netflow_v5).
	Records map[string]uint64
	// Datagrams by outcome: decoded, refused (a sender that is not a
	// configured exporter), decode errors.
	Decoded, Refused, DecodeErrors uint64
	// LastDatagram is when the collector last decoded one.
	LastDatagram time.Time
	MirrorFrames uint64
	// DNSLookups is how many camera-cloud lookups the table holds.
	DNSLookups uint64
	// Entries is the flow table's size now; Evicted how many flows the
	// cap pushed out.
	Entries int
	Evicted uint64
}

// VMS is a site's central VMS list, as last read.
type VMS struct {
	Source   string
	Hardware int
	// LastSuccess is when the list was last read; zero if never.
	LastSuccess time.Time
	// ErrorsTotal counts failed reads since the process started.
	ErrorsTotal uint64
	// Refresh is how old the list may be before a scan reads it again.
	Refresh time.Duration
}

// Site is one site's state.
type Site struct {
	Name string
	// Interval is the configured interval between scheduled scans.
	Interval time.Duration
	// Quiet is how long the daily quiet window lasts (no scheduled scan
	// starts in it); 0 without one. The staleness alerts allow for it.
	Quiet   time.Duration
	Running bool
	// Report is the latest complete, successful report: the picture that
	// findings, devices and cameras are reported from. Nil before the first.
	Report *inventory.Report
	// LastScan is when the latest finished scan (of any outcome) ended, and
	// LastScanDuration how long it ran. Zero before the first.
	LastScan         time.Time
	LastScanDuration time.Duration
	LastScanOK       bool
	// LastSuccess is when the latest successful scan ended; zero if none.
	LastSuccess time.Time
	// ScansTotal counts finished scans by status (ok, failed, cancelled)
	// since the process started.
	ScansTotal map[string]uint64
	// ProbeErrorsTotal counts probes that could not run, by probe, since the
	// process started.
	ProbeErrorsTotal map[string]uint64
	// RegistryLoadErrors is how many errors the latest registry or policy
	// load gave (bad rows, or 1 for an unreadable file).
	RegistryLoadErrors int
	// PacketsNotSentTotal and HostsTimedOutTotal count, since the process
	// started, what sweeps could not do: packets they meant to send and
	// could not, and hosts whose probes the host timeout cut short.
	PacketsNotSentTotal, HostsTimedOutTotal uint64
	// VMS is the site's central VMS list; nil when none is configured.
	VMS *VMS
	// Passive is the site's continuous listener; nil when the site does
	// not listen. With one, Report also holds what its triggered probes
	// found since the latest complete scan.
	Passive *Passive
	// FindingFirstSeen is when each open finding of Report (by key) was
	// first raised; findings missing from it export no timestamp.
	FindingFirstSeen map[string]time.Time
}

// Passive is one site's continuous listener and what it set off.
type Passive struct {
	// Listening is false while the listener cannot listen (no
	// CAP_NET_RAW, the interface gone); it is retried.
	Listening bool
	// Frames counts what was heard (one per frame and host it names),
	// FramesDropped frames lost before they were read (the socket's
	// buffer or the listener's queue overflowed), Hosts the hosts held in
	// memory now.
	Frames        uint64
	FramesDropped uint64
	Hosts         int
	// DevicesFirstSeen counts devices never seen before by the site's
	// history; MACChanges addresses heard with another MAC than before.
	DevicesFirstSeen uint64
	MACChanges       uint64
	// ProbesOK and ProbesFailed count triggered probes done; ProbesRefused
	// those the budget refused.
	ProbesOK, ProbesFailed, ProbesRefused uint64
	// Detection is the time from a device's first frame to the findings
	// of its triggered probe being published.
	Detection Histogram
}

// DetectionBuckets are Passive.Detection's upper bounds, in seconds: the
// alert path adds a scrape and an evaluation interval (15 s each by
// default) to these.
var DetectionBuckets = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600}

// Histogram is a distribution of observations.
type Histogram struct {
	Counts []uint64 // per bucket of DetectionBuckets, not cumulative; nil before the first
	Count  uint64
	Sum    float64
}

// Observe adds v.
func (h *Histogram) Observe(v float64) {
	if h.Counts == nil {
		h.Counts = make([]uint64, len(DetectionBuckets))
	}
	for i, b := range DetectionBuckets {
		if v <= b {
			h.Counts[i]++
			break
		}
	}
	h.Count++
	h.Sum += v
}

// Dispensation is a policy exception and how many registry rows claim it.
type Dispensation struct {
	ID           string
	Manufacturer string
	Owner        string
	Expires      time.Time
	// Cameras is the number of registry rows (over this sensor's sites) that
	// name the dispensation; MaxCameras is what the dispensation allows.
	Cameras    int
	MaxCameras int
}
