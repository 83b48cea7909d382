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
	// Observations says which flow sources and which VMS list the
	// findings were judged on; absent when the report was not reconciled.
	Observations *ObservationSummary `json:"observations,omitempty"`
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
}
