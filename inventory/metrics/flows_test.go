package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestFlowAndVMSExposition pins the flow source and VMS series: their
// names, types, labels and values, as the alert rules read them.
func TestFlowAndVMSExposition(t *testing.T) {
	last := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	snap := Snapshot{
		Sites: []Site{{Name: "NOH", VMS: &VMS{Source: "milestone", Hardware: 2480, LastSuccess: last, ErrorsTotal: 3, Refresh: 2 * time.Hour}}},
		Flows: &FlowStats{Sources: []string{"netflow", "mirror"}, Records: map[string]uint64{"ipfix": 90, "netflow_v9": 10},
			Decoded: 40, Refused: 2, DecodeErrors: 1, LastDatagram: last, MirrorFrames: 123456, DNSLookups: 4, Entries: 812, Evicted: 7},
	}
	c := NewCollector(func() Snapshot { return snap }, "test")
	want := `
# HELP camsweep_flow_cloud_lookups Camera-cloud DNS lookups held (seen on the mirror port).
# TYPE camsweep_flow_cloud_lookups gauge
camsweep_flow_cloud_lookups 4
# HELP camsweep_flow_datagrams_total Flow datagrams received since the process started, by result (decoded, refused: not a configured exporter, error).
# TYPE camsweep_flow_datagrams_total counter
camsweep_flow_datagrams_total{result="decoded"} 40
camsweep_flow_datagrams_total{result="error"} 1
camsweep_flow_datagrams_total{result="refused"} 2
# HELP camsweep_flow_last_datagram_timestamp_seconds When the collector last decoded a datagram, in seconds since the Unix epoch; 0 if never.
# TYPE camsweep_flow_last_datagram_timestamp_seconds gauge
camsweep_flow_last_datagram_timestamp_seconds 1.79586e+09
# HELP camsweep_flow_mirror_frames_total Frames read from the mirror port since the process started.
# TYPE camsweep_flow_mirror_frames_total counter
camsweep_flow_mirror_frames_total 123456
# HELP camsweep_flow_records_total Flow records decoded since the process started, by format.
# TYPE camsweep_flow_records_total counter
camsweep_flow_records_total{format="ipfix"} 90
camsweep_flow_records_total{format="netflow_v5"} 0
camsweep_flow_records_total{format="netflow_v9"} 10
camsweep_flow_records_total{format="sflow"} 0
# HELP camsweep_flow_source Always 1 for each configured flow source (mirror, netflow).
# TYPE camsweep_flow_source gauge
camsweep_flow_source{source="mirror"} 1
camsweep_flow_source{source="netflow"} 1
# HELP camsweep_flow_table_entries Flows in the flow table now.
# TYPE camsweep_flow_table_entries gauge
camsweep_flow_table_entries 812
# HELP camsweep_flow_table_evictions_total Flows the table's cap pushed out since the process started.
# TYPE camsweep_flow_table_evictions_total counter
camsweep_flow_table_evictions_total 7
# HELP camsweep_vms_errors_total Failed reads of the site's VMS list since the process started.
# TYPE camsweep_vms_errors_total counter
camsweep_vms_errors_total{site="NOH"} 3
# HELP camsweep_vms_hardware Hardware devices in the site's central VMS list, as last read.
# TYPE camsweep_vms_hardware gauge
camsweep_vms_hardware{site="NOH",source="milestone"} 2480
# HELP camsweep_vms_last_success_timestamp_seconds When the site's VMS list was last read, in seconds since the Unix epoch; 0 if never.
# TYPE camsweep_vms_last_success_timestamp_seconds gauge
camsweep_vms_last_success_timestamp_seconds{site="NOH"} 1.79586e+09
# HELP camsweep_vms_refresh_seconds How old the site's VMS list may be before a scan reads it again (the staleness alert compares against it).
# TYPE camsweep_vms_refresh_seconds gauge
camsweep_vms_refresh_seconds{site="NOH"} 7200
`
	names := []string{"camsweep_flow_cloud_lookups", "camsweep_flow_datagrams_total", "camsweep_flow_last_datagram_timestamp_seconds",
		"camsweep_flow_mirror_frames_total", "camsweep_flow_records_total", "camsweep_flow_source", "camsweep_flow_table_entries",
		"camsweep_flow_table_evictions_total", "camsweep_vms_errors_total", "camsweep_vms_hardware", "camsweep_vms_last_success_timestamp_seconds",
		"camsweep_vms_refresh_seconds"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// Without flow sources or a VMS, none of them is exported.
	none := NewCollector(func() Snapshot { return Snapshot{Sites: []Site{{Name: "NOH"}}} }, "test")
	if n := testutil.CollectAndCount(none, names...); n != 0 {
		t.Errorf("%d flow/VMS series without the sources", n)
	}
}
