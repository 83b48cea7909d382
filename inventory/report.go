package inventory

import "time"

// ReportSchema names version 1 of the scan report. Fields may be added within
// v1; none may be removed or renamed.
const ReportSchema = "camsweep.report/v1"

// Report is a sweep's result: what was scanned, what was found, and how it
// holds against the registry and policy. Other tools read its JSON form.
type Report struct {
	Schema     string       `json:"schema"`
	Site       string       `json:"site"`
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	Incomplete bool         `json:"incomplete"`
	Scope      ScopeSummary `json:"scope"`
	Stats      Stats        `json:"stats"`
	Devices    []Device     `json:"devices"`
	Findings   []Finding    `json:"findings"`
	// Infrastructure says how the harvest of each configured router and
	// switch went (SNMP); absent when none is configured.
	Infrastructure []InfraDevice `json:"infrastructure,omitempty"`
	// Observations says which flow sources and which VMS list the
	// findings were judged on; absent when the report was not reconciled.
	Observations *ObservationSummary `json:"observations,omitempty"`
}

// InfraDevice is one configured router or switch and what its harvest
// gave. A failure here never fails the sweep; it is shown, and counted in
// the metrics.
type InfraDevice struct {
	Name     string   `json:"name"`
	Address  string   `json:"address"`
	Roles    []string `json:"roles"`
	SysName  string   `json:"sys_name,omitempty"`
	SysDescr string   `json:"sys_descr,omitempty"`
	OK       bool     `json:"ok"`
	// Error and ErrorKind (timeout, auth, refused, deadline, truncated,
	// protocol, error) say what went wrong.
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"error_kind,omitempty"`
	// Requests counts the datagrams sent to it, retries included.
	Requests uint64 `json:"requests"`
	// Tables counts the rows read per table; Truncated names those cut at
	// the configured max_entries; Malformed counts entries skipped.
	Tables    map[string]int `json:"tables"`
	Truncated []string       `json:"truncated,omitempty"`
	Malformed int            `json:"malformed,omitempty"`
	// Neighbours is how many in-scope neighbour entries it gave; Located
	// how many MACs were placed on its edge ports.
	Neighbours int           `json:"neighbours"`
	Located    int           `json:"located"`
	Uplinks    []InfraUplink `json:"uplinks,omitempty"`
	Notes      []string      `json:"notes,omitempty"`
	// DurationSeconds is how long its harvest took.
	DurationSeconds float64 `json:"duration_seconds"`
	// VLANIndexing says how a Cisco switch's per-VLAN bridge instances
	// were reached (community, context), VLANSource where the VLAN list
	// came from (vtpVlanState, configured), VLANs how each VLAN went.
	VLANIndexing string      `json:"vlan_indexing,omitempty"`
	VLANSource   string      `json:"vlan_source,omitempty"`
	VLANs        []InfraVLAN `json:"vlans,omitempty"`
}

// InfraVLAN is one VLAN's bridge instance on a switch read per VLAN: the
// rows it gave, or why it failed or was not asked.
type InfraVLAN struct {
	VLAN            int     `json:"vlan"`
	Entries         int     `json:"entries"`
	Ports           int     `json:"ports"`
	Error           string  `json:"error,omitempty"`
	ErrorKind       string  `json:"error_kind,omitempty"`
	Skipped         string  `json:"skipped,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// InfraUplink is a switch port recognised as an uplink or trunk (no device
// is located on it), and why.
type InfraUplink struct {
	Port    string   `json:"port"`
	MACs    int      `json:"macs"`
	Reasons []string `json:"reasons"`
}

// ScopeSummary records what the sweep was allowed to touch and how.
type ScopeSummary struct {
	Targets     []string `json:"targets"`
	Exclude     []string `json:"exclude"`
	ExcludeOUIs []string `json:"exclude_ouis,omitempty"`
	Ports       []string `json:"ports"`
	Profile     string   `json:"profile"`
	Probes      []string `json:"probes"`
	Discovery   []string `json:"discovery"`
	RatePerSec  float64  `json:"rate_per_second"`
	Interface   string   `json:"interface,omitempty"`
	Notes       []string `json:"notes,omitempty"`
	// Infrastructure lists the routers and switches asked over SNMP:
	// the only destinations of SNMP, never a scanned host.
	Infrastructure []string `json:"infrastructure,omitempty"`
}

// Stats counts the sweep's work.
type Stats struct {
	Addresses       uint64         `json:"addresses"`
	Live            int            `json:"live"`
	Cameras         int            `json:"cameras"`
	PacketsSent     uint64         `json:"packets_sent"`
	Connections     uint64         `json:"connections"`
	DurationSeconds float64        `json:"duration_seconds"`
	ProbeErrors     map[string]int `json:"probe_errors"`
	HostsTimedOut   int            `json:"hosts_timed_out"`
	// PacketsNotSent counts packets the sweep meant to send and could not
	// (their wait for the rate limit failed); any makes the report
	// Incomplete, since a port never asked proves nothing by its silence.
	PacketsNotSent uint64 `json:"packets_not_sent,omitempty"`
	// SNMPRequests counts the datagrams sent to infrastructure devices
	// (also counted in PacketsSent), and SNMPSeconds how long their
	// harvest, after the probes, took (also in DurationSeconds).
	SNMPRequests uint64  `json:"snmp_requests,omitempty"`
	SNMPSeconds  float64 `json:"snmp_seconds,omitempty"`
}
