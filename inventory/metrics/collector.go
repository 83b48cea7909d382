package metrics

import (
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// Collector turns a Snapshot into metrics at every scrape.
type Collector struct {
	snapshot func() Snapshot
	version  string
	d        descs
}

// scanStatuses are always exported for scans_total, even at zero, so that
// rate() and increase() see a series from the first scrape on.
var scanStatuses = []string{"ok", "failed", "cancelled"}

type descs struct {
	findings, findingInfo, unregistered, duplicate, devices             *prometheus.Desc
	dispExpiry, dispCameras, dispMax                                    *prometheus.Desc
	lastSuccessTS, lastDuration, lastTS, lastSuccess, interval, running *prometheus.Desc
	quiet                                                               *prometheus.Desc
	scansTotal, probeErrors, registryErrors, configReloaded, buildInfo  *prometheus.Desc
	apiTokens, packetsNotSent, hostsTimedOut                            *prometheus.Desc
	findingFirstSeen                                                    *prometheus.Desc
	listening, frames, dropped, hosts, firstSeen, macChanges            *prometheus.Desc
	triggered, refused, detection                                       *prometheus.Desc
	flowSource, flowRecords, flowDatagrams, flowLastDatagram            *prometheus.Desc
	flowMirrorFrames, flowEntries, flowEvictions, flowDNSLookups        *prometheus.Desc
	vmsHardware, vmsLastSuccess, vmsErrors, vmsRefresh                  *prometheus.Desc
	infraSuccess, infraDuration, infraRequests, infraError              *prometheus.Desc
}

// locationLabels are the switch port an info series names, so an alert can
// say where to go: empty when no configured switch placed the device.
var locationLabels = []string{"switch", "port", "port_description", "vlan"}

func newDescs() descs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("camsweep_"+name, help, labels, nil)
	}
	return descs{
		findings:       d("findings", "Open findings in the latest complete scan.", "site", "kind", "severity"),
		findingInfo:    d("finding_info", "One series per open finding, carrying the device that has it and the switch port it is plugged into.", append([]string{"site", "kind", "severity", "key", "ip", "mac", "manufacturer", "model", "registry_id"}, locationLabels...)...),
		unregistered:   d("unregistered_camera_info", "One series per camera found on the network that no registry row matches, with the switch port it is plugged into.", append([]string{"site", "ip", "mac", "brand", "manufacturer", "model"}, locationLabels...)...),
		duplicate:      d("duplicate_identity_info", "One series per MAC or serial that two or more devices claim (a cloned or spoofed camera); ips names them all, the location is the suspect's.", append([]string{"site", "identity", "ip", "ips", "mac", "manufacturer", "model", "registry_id"}, locationLabels...)...),
		devices:        d("devices", "Devices in the latest complete scan.", "site", "class", "manufacturer"),
		dispExpiry:     d("dispensation_expiry_timestamp_seconds", "When a policy dispensation expires, in seconds since the Unix epoch.", "dispensation", "manufacturer", "owner"),
		dispCameras:    d("dispensation_cameras", "Registry rows that claim a dispensation.", "dispensation"),
		dispMax:        d("dispensation_max_cameras", "Cameras a dispensation allows.", "dispensation"),
		lastSuccessTS:  d("last_scan_success_timestamp_seconds", "When the latest successful scan ended, in seconds since the Unix epoch; 0 if none yet.", "site"),
		lastDuration:   d("last_scan_duration_seconds", "How long the latest finished scan ran.", "site"),
		lastTS:         d("last_scan_timestamp_seconds", "When the latest finished scan (any outcome) ended, in seconds since the Unix epoch; 0 if none yet.", "site"),
		lastSuccess:    d("last_scan_success", "Whether the latest finished scan succeeded (1) or not (0).", "site"),
		interval:       d("scan_interval_seconds", "The configured interval between scheduled scans.", "site"),
		quiet:          d("scan_quiet_seconds", "How long the site's daily quiet window lasts, in which no scheduled scan starts; 0 without one.", "site"),
		running:        d("scan_running", "Whether a scan of the site is running now (1) or not (0).", "site"),
		scansTotal:     d("scans_total", "Finished scans by outcome since the process started.", "site", "status"),
		probeErrors:    d("probe_errors_total", "Probes that could not run (not 'port closed', which is evidence), since the process started.", "site", "probe"),
		registryErrors: d("registry_load_errors", "Errors in the latest load of the site's registry and policy; 0 when clean.", "site"),
		configReloaded: d("config_last_reload_success_timestamp_seconds", "When the configuration was last loaded successfully, in seconds since the Unix epoch."),
		buildInfo:      d("build_info", "Always 1; the labels name the build.", "version", "goversion"),
		packetsNotSent: d("packets_not_sent_total", "Packets sweeps meant to send and could not (their wait for the rate limit failed), since the process started; each made its scan incomplete.", "site"),
		hostsTimedOut:  d("hosts_timed_out_total", "Hosts whose probes the host timeout cut short, since the process started: they are reported with what was found.", "site"),
		apiTokens:      d("api_tokens", "Bearer tokens the API accepts; 0 when the token file could not be read at the last reload and the API refuses every request."),
		findingFirstSeen: d("finding_first_seen_timestamp_seconds", "When an open finding was first raised, in seconds since the Unix epoch.",
			"site", "kind", "severity", "key"),
		listening: d("passive_listening", "Whether the site's continuous passive listener is listening (1) or cannot (0); absent when the site does not listen.", "site"),
		frames:    d("passive_frames_total", "What the site's passive listener heard since the process started: one per frame and host it names.", "site"),
		dropped: d("passive_frames_dropped_total", "Frames the site's passive listener lost before reading them (its socket buffer or queue overflowed), since the process started.",
			"site"),
		hosts:     d("passive_hosts", "Hosts the site's passive listener holds in memory (bounded; least recently heard dropped first).", "site"),
		firstSeen: d("devices_first_seen_total", "Devices the site's passive listener heard that its history had never seen, since the process started.", "site"),
		macChanges: d("address_mac_changes_total", "Addresses the site's passive listener heard with another MAC than the history last saw there, since the process started.",
			"site"),
		triggered: d("triggered_probes_total", "Probes of one host triggered by a new device or a changed MAC, by outcome (ok, failed), since the process started.",
			"site", "outcome"),
		refused:   d("triggered_probes_refused_total", "Triggered probes not done because the site's budget per minute was spent, since the process started.", "site"),
		detection: d("detection_seconds", "Time from a device's first frame heard to the findings of its triggered probe being published.", "site"),

		flowSource:       d("flow_source", "Always 1 for each configured flow source (mirror, netflow).", "source"),
		flowRecords:      d("flow_records_total", "Flow records decoded since the process started, by format.", "format"),
		flowDatagrams:    d("flow_datagrams_total", "Flow datagrams received since the process started, by result (decoded, refused: not a configured exporter, error).", "result"),
		flowLastDatagram: d("flow_last_datagram_timestamp_seconds", "When the collector last decoded a datagram, in seconds since the Unix epoch; 0 if never."),
		flowMirrorFrames: d("flow_mirror_frames_total", "Frames read from the mirror port since the process started."),
		flowEntries:      d("flow_table_entries", "Flows in the flow table now."),
		flowEvictions:    d("flow_table_evictions_total", "Flows the table's cap pushed out since the process started."),
		flowDNSLookups:   d("flow_cloud_lookups", "Camera-cloud DNS lookups held (seen on the mirror port)."),
		vmsHardware:      d("vms_hardware", "Hardware devices in the site's central VMS list, as last read.", "site", "source"),
		vmsLastSuccess:   d("vms_last_success_timestamp_seconds", "When the site's VMS list was last read, in seconds since the Unix epoch; 0 if never.", "site"),
		vmsErrors:        d("vms_errors_total", "Failed reads of the site's VMS list since the process started.", "site"),
		vmsRefresh:       d("vms_refresh_seconds", "How old the site's VMS list may be before a scan reads it again (the staleness alert compares against it).", "site"),
		infraSuccess:     d("infrastructure_harvest_success", "Whether the latest complete scan read every table it asked of the router or switch (1) or not (0).", "site", "device"),
		infraDuration:    d("infrastructure_harvest_duration_seconds", "How long the latest complete scan's harvest of the router or switch took.", "site", "device"),
		infraRequests:    d("infrastructure_requests", "SNMP datagrams the latest complete scan sent to the router or switch, retries included.", "site", "device"),
		infraError:       d("infrastructure_harvest_error_info", "One series per router or switch whose harvest failed in the latest complete scan, naming the kind of failure (timeout, auth, refused, deadline, truncated, protocol, error).", "site", "device", "kind"),
	}
}

// NewCollector returns a collector that calls snapshot at every scrape.
// snapshot must be safe to call concurrently and must not block for long:
// Prometheus scrapes while scans run.
func NewCollector(snapshot func() Snapshot, version string) *Collector {
	return &Collector{snapshot: snapshot, version: version, d: newDescs()}
}

// Describe sends every descriptor; the set is fixed, so the registry can
// check for clashes at registration.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.d.findings, c.d.findingInfo, c.d.unregistered, c.d.duplicate, c.d.devices,
		c.d.dispExpiry, c.d.dispCameras, c.d.dispMax,
		c.d.lastSuccessTS, c.d.lastDuration, c.d.lastTS, c.d.lastSuccess, c.d.interval, c.d.quiet, c.d.running,
		c.d.scansTotal, c.d.probeErrors, c.d.registryErrors, c.d.configReloaded, c.d.buildInfo, c.d.apiTokens,
		c.d.packetsNotSent, c.d.hostsTimedOut,
		c.d.scansTotal, c.d.probeErrors, c.d.registryErrors, c.d.configReloaded, c.d.buildInfo,
		c.d.findingFirstSeen, c.d.listening, c.d.frames, c.d.dropped, c.d.hosts, c.d.firstSeen, c.d.macChanges,
		c.d.triggered, c.d.refused, c.d.detection,
		c.d.flowSource, c.d.flowRecords, c.d.flowDatagrams, c.d.flowLastDatagram,
		c.d.flowMirrorFrames, c.d.flowEntries, c.d.flowEvictions, c.d.flowDNSLookups,
		c.d.vmsHardware, c.d.vmsLastSuccess, c.d.vmsErrors, c.d.vmsRefresh,
		c.d.infraSuccess, c.d.infraDuration, c.d.infraRequests, c.d.infraError,
	} {
		ch <- d
	}
}

// Collect emits the snapshot as const metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.d.buildInfo, 1, c.version, runtime.Version())
	gauge(c.d.apiTokens, float64(s.APITokens))
	if !s.ConfigReloaded.IsZero() {
		gauge(c.d.configReloaded, unix(s.ConfigReloaded))
	}
	for _, site := range s.Sites {
		c.collectSite(ch, gauge, site)
	}
	if f := s.Flows; f != nil {
		c.collectFlows(ch, gauge, f)
	}
	// A dispensation shared by several sites' policies is one series; the
	// same id with conflicting fields would be a duplicate series and fail
	// the scrape, so the first one wins.
	seen := map[string]bool{}
	for _, d := range s.Dispensations {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		gauge(c.d.dispExpiry, unix(d.Expires), d.ID, d.Manufacturer, d.Owner)
		gauge(c.d.dispCameras, float64(d.Cameras), d.ID)
		gauge(c.d.dispMax, float64(d.MaxCameras), d.ID)
	}
}

func (c *Collector) collectSite(ch chan<- prometheus.Metric, gauge func(*prometheus.Desc, float64, ...string), s Site) {
	name := s.Name
	gauge(c.d.interval, s.Interval.Seconds(), name)
	gauge(c.d.quiet, s.Quiet.Seconds(), name)
	gauge(c.d.running, b2f(s.Running), name)
	gauge(c.d.lastTS, unix(s.LastScan), name)
	gauge(c.d.lastSuccessTS, unix(s.LastSuccess), name)
	gauge(c.d.lastSuccess, b2f(s.LastScanOK), name)
	if !s.LastScan.IsZero() {
		gauge(c.d.lastDuration, s.LastScanDuration.Seconds(), name)
	}
	gauge(c.d.registryErrors, float64(s.RegistryLoadErrors), name)
	if v := s.VMS; v != nil {
		gauge(c.d.vmsHardware, float64(v.Hardware), name, v.Source)
		gauge(c.d.vmsLastSuccess, unix(v.LastSuccess), name)
		gauge(c.d.vmsRefresh, v.Refresh.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(c.d.vmsErrors, prometheus.CounterValue, float64(v.ErrorsTotal), name)
	}
	for _, st := range scanStatuses {
		ch <- prometheus.MustNewConstMetric(c.d.scansTotal, prometheus.CounterValue, float64(s.ScansTotal[st]), name, st)
	}
	ch <- prometheus.MustNewConstMetric(c.d.packetsNotSent, prometheus.CounterValue, float64(s.PacketsNotSentTotal), name)
	ch <- prometheus.MustNewConstMetric(c.d.hostsTimedOut, prometheus.CounterValue, float64(s.HostsTimedOutTotal), name)
	for _, probe := range sortedKeys(s.ProbeErrorsTotal) {
		ch <- prometheus.MustNewConstMetric(c.d.probeErrors, prometheus.CounterValue, float64(s.ProbeErrorsTotal[probe]), name, probe)
	}
	if p := s.Passive; p != nil {
		c.collectPassive(ch, gauge, name, p)
	}
	if s.Report == nil {
		return
	}
	c.collectReport(gauge, name, s.Report, s.FindingFirstSeen)
}

func (c *Collector) collectPassive(ch chan<- prometheus.Metric, gauge func(*prometheus.Desc, float64, ...string), site string, p *Passive) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.d.listening, b2f(p.Listening), site)
	gauge(c.d.hosts, float64(p.Hosts), site)
	counter(c.d.frames, p.Frames, site)
	counter(c.d.dropped, p.FramesDropped, site)
	counter(c.d.firstSeen, p.DevicesFirstSeen, site)
	counter(c.d.macChanges, p.MACChanges, site)
	counter(c.d.triggered, p.ProbesOK, site, "ok")
	counter(c.d.triggered, p.ProbesFailed, site, "failed")
	counter(c.d.refused, p.ProbesRefused, site)
	buckets := make(map[float64]uint64, len(DetectionBuckets))
	var cum uint64
	for i, b := range DetectionBuckets {
		if i < len(p.Detection.Counts) {
			cum += p.Detection.Counts[i]
		}
		buckets[b] = cum
	}
	ch <- prometheus.MustNewConstHistogram(c.d.detection, p.Detection.Count, p.Detection.Sum, buckets, site)
}

func (c *Collector) collectReport(gauge func(*prometheus.Desc, float64, ...string), site string, r *inventory.Report, firstSeen map[string]time.Time) {
	type devKey struct{ class, manufacturer string }
	devs := map[devKey]int{}
	byIP := map[string]inventory.Device{}
	for _, d := range r.Devices {
		devs[devKey{string(d.Class), labelValue(d.Manufacturer)}]++
		byIP[d.IP.String()] = d
	}
	for _, k := range sortedMapKeys(devs, func(a, b devKey) bool {
		return a.class < b.class || a.class == b.class && a.manufacturer < b.manufacturer
	}) {
		gauge(c.d.devices, float64(devs[k]), site, k.class, k.manufacturer)
	}

	type findKey struct{ kind, severity string }
	counts := map[findKey]int{}
	seen := map[string]bool{}
	unreg := map[[2]string]bool{}
	for _, f := range r.Findings {
		// Device-supplied text is cleaned before it becomes a label, and
		// the key compared after cleaning: two keys that clean to one
		// value would be a duplicate series and fail the whole scrape.
		key := labelValue(f.Key)
		if seen[key] {
			continue
		}
		seen[key] = true
		sev := f.Severity.String()
		counts[findKey{f.Kind, sev}]++
		d := byIP[f.IP]
		ip := labelValue(f.IP)
		manufacturer, model, brand := labelValue(first(f.Manufacturer, d.Manufacturer)), labelValue(first(f.Model, d.Model)), labelValue(first(f.Brand, d.Brand))
		mac := labelValue(strings.ToLower(first(f.MAC, d.MAC)))
		where := location(f.Location, d.Location)
		for i := range where {
			where[i] = labelValue(where[i])
		}
		gauge(c.d.findingInfo, 1, append([]string{site, f.Kind, sev, key, ip, mac, manufacturer, model, labelValue(f.RegistryID)}, where...)...)
		if at, ok := firstSeen[f.Key]; ok && !at.IsZero() {
			gauge(c.d.findingFirstSeen, unix(at), site, f.Kind, sev, key)
		}
		switch {
		case f.Kind == inventory.KindUnregisteredCamera && !unreg[[2]string{ip, mac}]:
			unreg[[2]string{ip, mac}] = true
			gauge(c.d.unregistered, 1, append([]string{site, ip, mac, brand, manufacturer, model}, where...)...)
		case f.Kind == inventory.KindDuplicateIdentity:
			// The key is kind/site/identity; site names hold no slash, a
			// serial may.
			identity := key
			if parts := strings.SplitN(key, "/", 3); len(parts) == 3 {
				identity = parts[2]
			}
			gauge(c.d.duplicate, 1, append([]string{site, identity, ip, labelValue(strings.Join(f.IPs, ",")), mac, manufacturer, model, labelValue(f.RegistryID)}, where...)...)
		}
	}
	for _, k := range sortedMapKeys(counts, func(a, b findKey) bool {
		return a.kind < b.kind || a.kind == b.kind && a.severity < b.severity
	}) {
		gauge(c.d.findings, float64(counts[k]), site, k.kind, k.severity)
	}
	seenDev := map[string]bool{}
	for _, d := range r.Infrastructure {
		// Two devices configured under one name would be a duplicate
		// series and fail the scrape; the first is reported.
		if seenDev[d.Name] {
			continue
		}
		seenDev[d.Name] = true
		gauge(c.d.infraSuccess, b2f(d.OK), site, d.Name)
		gauge(c.d.infraDuration, d.DurationSeconds, site, d.Name)
		gauge(c.d.infraRequests, float64(d.Requests), site, d.Name)
		if !d.OK {
			gauge(c.d.infraError, 1, site, d.Name, first(d.ErrorKind, "error"))
		}
	}
}

// location gives the location labels' values, the finding's own place
// first, then its device's.
func location(ls ...*evidence.Location) []string {
	for _, l := range ls {
		if l != nil {
			vlan := ""
			if l.VLAN != 0 {
				vlan = strconv.Itoa(l.VLAN)
			}
			return []string{l.Switch, l.Port, l.PortDescription, vlan}
		}
	}
	return []string{"", "", "", ""}
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// unix is seconds since the epoch with sub-second precision; the zero time
// is 0, which the alert rules read as "never".
func unix(t interface {
	IsZero() bool
	UnixNano() int64
}) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedMapKeys[K comparable, V any](m map[K]V, less func(a, b K) bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// flowFormats are always exported for flow_records_total when the
// collector runs, even at zero.
var flowFormats = []string{"netflow_v5", "netflow_v9", "ipfix", "sflow"}

func (c *Collector) collectFlows(ch chan<- prometheus.Metric, gauge func(*prometheus.Desc, float64, ...string), f *FlowStats) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	collector, mirror := false, false
	for _, s := range f.Sources {
		gauge(c.d.flowSource, 1, s)
		collector = collector || s == "netflow"
		mirror = mirror || s == "mirror"
	}
	gauge(c.d.flowEntries, float64(f.Entries))
	counter(c.d.flowEvictions, f.Evicted)
	if collector {
		for _, format := range flowFormats {
			counter(c.d.flowRecords, f.Records[format], format)
		}
		counter(c.d.flowDatagrams, f.Decoded, "decoded")
		counter(c.d.flowDatagrams, f.Refused, "refused")
		counter(c.d.flowDatagrams, f.DecodeErrors, "error")
		gauge(c.d.flowLastDatagram, unix(f.LastDatagram))
	}
	if mirror {
		counter(c.d.flowMirrorFrames, f.MirrorFrames)
		gauge(c.d.flowDNSLookups, float64(f.DNSLookups))
	}
}
