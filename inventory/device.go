package inventory

import (
	"net/netip"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Device is one host found by a sweep, with the fingerprint verdict folded in.
// Its JSON form is part of the report contract (camsweep.report/v1).
type Device struct {
	IP           netip.Addr     `json:"ip"`
	MAC          string         `json:"mac"`
	Hostnames    []string       `json:"hostnames"`
	OpenPorts    []uint16       `json:"open_ports"`
	Class        evidence.Class `json:"class"`
	Brand        string         `json:"brand"`
	Manufacturer string         `json:"manufacturer"`
	Model        string         `json:"model"`
	Firmware     string         `json:"firmware"`
	Serial       string         `json:"serial"`
	Confidence   float64        `json:"confidence"`
	Why          []string       `json:"why,omitempty"`
	RegistryID   string         `json:"registry_id"`
	// Connections is how many TCP connections the sweep opened to it.
	Connections int                 `json:"connections"`
	Evidence    []evidence.Evidence `json:"evidence"`
	// StreamClients are the hosts flows show pulling video from it.
	StreamClients []StreamClient `json:"stream_clients,omitempty"`
	// Records lists the devices it pulls video from (a recorder).
	Records []netip.Addr `json:"records,omitempty"`
	// Egress lists addresses outside the internal prefixes it exchanged
	// traffic with, and camera-cloud names it looked up.
	Egress []EgressPeer `json:"egress,omitempty"`
	// VMS is the central VMS's entry for it, when the VMS list was read.
	VMS *VMSMatch `json:"vms,omitempty"`
	// FlowOnly marks a host the sweep did not report, known only from
	// flows (a recorder pulling video from the site's cameras).
	FlowOnly bool `json:"flow_only,omitempty"`
	// MACSource says how the MAC was learnt: the probe that saw it ("arp"
	// on the local segment, "onvif", ...) or, across a router,
	// "snmp <router> <table>".
	MACSource string `json:"mac_source,omitempty"`
	// Location is the switch port the device is plugged into, as the
	// network's own switches report it; nil when no configured switch
	// placed it.
	Location *evidence.Location `json:"location,omitempty"`
}

// IsCameraLike reports whether the device records or streams video, so that
// the camera policy applies to it.
func (d Device) IsCameraLike() bool {
	return d.Class.IsVideo()
}

// Severity orders findings; higher is worse.
type Severity int

const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"info", "warning", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity accepts the lower-case names used in reports and flags.
func ParseSeverity(name string) (Severity, bool) {
	for i, n := range severityNames {
		if n == name {
			return Severity(i), true
		}
	}
	return 0, false
}

// MarshalText makes severities read as words in JSON, CSV and YAML.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, ok := ParseSeverity(string(b))
	if !ok {
		return &UnknownSeverityError{Name: string(b)}
	}
	*s = v
	return nil
}

// UnknownSeverityError names a severity that does not exist.
type UnknownSeverityError struct{ Name string }

func (e *UnknownSeverityError) Error() string {
	return "inventory: unknown severity " + `"` + e.Name + `"` + " (want info, warning, medium, high or critical)"
}

// Finding kinds (docs/registry.md, "Findings and their keys"). Each is also
// in the report schema's kind enum (docs/report.schema.json).
const (
	KindUnregisteredCamera      = "unregistered_camera"
	KindBannedManufacturer      = "banned_manufacturer"
	KindDispensationExpired     = "dispensation_expired"
	KindDispensationExpiring    = "dispensation_expiring"
	KindOutsideCameraSegment    = "outside_camera_segment"
	KindNotOnCentralVMS         = "not_on_central_vms"
	KindIdentityMismatch        = "identity_mismatch"
	KindAddressChanged          = "address_changed"
	KindMissingCamera           = "missing_camera"
	KindRegistryConflict        = "registry_conflict"
	KindDispensationOverclaimed = "dispensation_overclaimed"
)

// Finding is one way the network disagrees with the registry or the policy.
// Key is stable across scans for the same problem on the same device, so
// history and suppressions can follow it.
type Finding struct {
	Key        string   `json:"key"`
	Kind       string   `json:"kind"`
	Severity   Severity `json:"severity"`
	Site       string   `json:"site"`
	IP         string   `json:"ip"`
	MAC        string   `json:"mac"`
	RegistryID string   `json:"registry_id"`
	// RegistryIDs lists every registry row involved when there are several
	// (registry_conflict, dispensation_overclaimed); RegistryID is then the
	// first of them, or for an overclaim the first row over the cap.
	RegistryIDs  []string            `json:"registry_ids,omitempty"`
	Manufacturer string              `json:"manufacturer,omitempty"`
	Brand        string              `json:"brand,omitempty"`
	Model        string              `json:"model,omitempty"`
	Detail       string              `json:"detail"`
	Evidence     []evidence.Evidence `json:"evidence,omitempty"`
	// MACSource and Location are the device's (Device.MACSource,
	// Device.Location): how its MAC was learnt and where to find it.
	MACSource string             `json:"mac_source,omitempty"`
	Location  *evidence.Location `json:"location,omitempty"`
}
