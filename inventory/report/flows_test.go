package report

import (
	"bytes"
	"encoding/csv"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// flowSample is the sample report after a reconcile with flows and the
// VMS: the Amcrest sends video to a recorder seen only in flows, and
// reaches a cloud address.
func flowSample() *inventory.Report {
	r := sample()
	rec := netip.MustParseAddr("127.77.30.40")
	seen := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	r.Devices[0].StreamClients = []inventory.StreamClient{{IP: rec, Port: 554, Proto: "tcp", Bytes: 9 << 20, First: seen, Last: seen, How: "rtsp_play", Sources: []string{"mirror"}}}
	r.Devices[0].Egress = []inventory.EgressPeer{{IP: netip.MustParseAddr("198.51.100.10"), Port: 8800, Proto: "udp", Sent: 900, Sources: []string{"mirror"}}, {Name: "www.easy4ipcloud.com", Maker: "Dahua", Lookups: 2}}
	r.Devices[1].VMS = &inventory.VMSMatch{Source: "milestone", HardwareID: "hw-1", Name: "Indgang Nord", Enabled: true, MatchedBy: "mac"}
	r.Devices = append(r.Devices, inventory.Device{IP: rec, Class: "recorder", FlowOnly: true, Records: []netip.Addr{r.Devices[0].IP}})
	r.Observations = &inventory.ObservationSummary{VMSSource: "milestone", VMSURL: "https://vms.example", VMSHardware: 40, VMSFetched: seen,
		FlowSources: []string{"mirror", "netflow_v9"}, FlowWindowSeconds: 86400, Flows: 31, DNSLookups: 1}
	return r
}

func TestFlowsInEveryFormat(t *testing.T) {
	r := flowSample()
	var table, csvOut, html bytes.Buffer
	for f, b := range map[string]*bytes.Buffer{"table": &table, "csv": &csvOut, "html": &html} {
		if err := Write(b, f, r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	for _, want := range []string{
		"not_on_central_vms from milestone's own list (https://vms.example, 40 hardware",
		"flows from mirror, netflow_v9 over 24h0m0s: 31 flows, 1 cloud lookups",
		"127.77.30.40 (seen only in flows) pulls video from 1: 127.77.10.22",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	recs, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	row := recs[1] // the Amcrest's unregistered_camera
	if row[col["device_stream_clients"]] != "127.77.30.40" || row[col["device_egress"]] != "198.51.100.10:8800/udp www.easy4ipcloud.com" {
		t.Errorf("CSV flow columns %q %q", row[col["device_stream_clients"]], row[col["device_egress"]])
	}
	for _, want := range []string{"judged from milestone's own hardware list", "127.77.30.40 (not approved)", "(seen in flows)", "Indgang Nord"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}
