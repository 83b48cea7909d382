package inventory

import (
	"net/netip"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// DefaultMinVideoBytes is how much a camera must send a peer, over the
// flow window, for the flow to count as video when no source saw a sign
// of it (an RTSP PLAY, RTP, a tunnel): seconds of a stream, far more than
// a scanner's banners or an NTP, DNS or syslog exchange.
const DefaultMinVideoBytes = 4 << 20

// Observations are what a site's sensor saw beside its sweep: flows from
// a mirror port or NetFlow/IPFIX/sFlow, and the central VMS's own list.
// Each is optional; Reconcile judges what is given.
type Observations struct {
	// Flows and DNS are the flow sources' observations over the window.
	Flows []evidence.Flow
	DNS   []evidence.DNSLookup
	// FlowSources names the configured flow sources ("mirror",
	// "netflow_v9", ...); empty when none is configured, and then no flow
	// finding is judged.
	FlowSources []string
	// FlowWindow is how far back the flows reach.
	FlowWindow time.Duration
	// MinVideoBytes: DefaultMinVideoBytes when 0.
	MinVideoBytes uint64
	// VMS is the central VMS's list when the site has one configured;
	// not_on_central_vms is then judged from it instead of the registry.
	VMS *VMSInventory
	// VMSError says why the VMS list could not be read this time; the
	// registry's vms column is used instead and the report says so.
	VMSError string
}

// ObservationSummary is what the report says about the observations it
// was judged on.
type ObservationSummary struct {
	// VMSSource says where not_on_central_vms was judged from: "registry"
	// or the VMS ("milestone").
	VMSSource   string    `json:"vms_source"`
	VMSURL      string    `json:"vms_url,omitempty"`
	VMSFetched  time.Time `json:"vms_fetched,omitzero"`
	VMSHardware int       `json:"vms_hardware,omitempty"`
	VMSError    string    `json:"vms_error,omitempty"`
	// FlowSources are the configured flow sources; empty when none.
	FlowSources       []string `json:"flow_sources"`
	FlowWindowSeconds float64  `json:"flow_window_seconds,omitempty"`
	Flows             int      `json:"flows"`
	DNSLookups        int      `json:"dns_lookups"`
	MinVideoBytes     uint64   `json:"min_video_bytes,omitempty"`
}

// Summary describes the observations for the report.
func (o *Observations) Summary() *ObservationSummary {
	s := &ObservationSummary{VMSSource: "registry", FlowSources: []string{}}
	if o == nil {
		return s
	}
	if o.VMS != nil {
		s.VMSSource, s.VMSURL, s.VMSFetched, s.VMSHardware = o.VMS.Source, o.VMS.URL, o.VMS.Fetched, len(o.VMS.Hardware)
	}
	s.VMSError = o.VMSError
	if len(o.FlowSources) > 0 {
		s.FlowSources = append(s.FlowSources, o.FlowSources...)
		s.FlowWindowSeconds = o.FlowWindow.Seconds()
		s.Flows, s.DNSLookups = len(o.Flows), len(o.DNS)
		s.MinVideoBytes = o.minVideoBytes()
	}
	return s
}

func (o *Observations) minVideoBytes() uint64 {
	if o.MinVideoBytes == 0 {
		return DefaultMinVideoBytes
	}
	return o.MinVideoBytes
}

// StreamClient is a host that pulls video from a device, in the report.
type StreamClient struct {
	IP    netip.Addr `json:"ip"`
	Port  uint16     `json:"port"`
	Proto string     `json:"proto"`
	// Bytes the device sent the client (estimated when sampled).
	Bytes uint64    `json:"bytes"`
	First time.Time `json:"first_seen"`
	Last  time.Time `json:"last_seen"`
	// How: the video sign (rtsp_play, rtp, ...) or "volume".
	How     string   `json:"how"`
	Sources []string `json:"sources"`
	// Approved: the client is an approved recording server or viewer.
	Approved bool `json:"approved"`
}

// EgressPeer is an address outside the internal prefixes that a device
// exchanged traffic with, or a cloud name it looked up.
type EgressPeer struct {
	IP    netip.Addr `json:"ip,omitzero"`
	Port  uint16     `json:"port,omitempty"`
	Proto string     `json:"proto,omitempty"`
	// Name is a looked-up cloud name (then IP is empty) and Maker whose.
	Name    string    `json:"name,omitempty"`
	Maker   string    `json:"maker,omitempty"`
	Sent    uint64    `json:"bytes_sent"`
	Recv    uint64    `json:"bytes_received"`
	Lookups uint64    `json:"lookups,omitempty"`
	First   time.Time `json:"first_seen"`
	Last    time.Time `json:"last_seen"`
	Sources []string  `json:"sources"`
}
