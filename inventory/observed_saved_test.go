package inventory

import (
	"encoding/json"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestSavedObservationsJudgeAgain: a report judged on flows, lookups and
// the VMS's list, saved and judged again on what it kept, gives the same
// findings; and a policy that now approves the local recorder clears what
// it caused. Judged without them (camsweep diff did), the recorders and
// the egress vanished and not_on_central_vms fell back to the registry.
func TestSavedObservationsJudgeAgain(t *testing.T) {
	devs, flows := nohFlows()
	// The local NVR is known only from the flows.
	devs = slices.DeleteFunc(devs, func(d Device) bool { return d.IP == nvrAddr })
	talker := camDev("10.20.8.31", "ec:71:db:00:00:01", "Reolink")
	asker := camDev("10.20.8.32", "ec:71:db:00:00:02", "Reolink")
	devs = append(devs, talker, asker)
	cloud := netip.MustParseAddr("198.51.100.10")
	flows = append(flows,
		evidence.Flow{Server: cloud, Client: talker.IP, Port: 9999, Proto: 17, ServerBytes: 2_000, ClientBytes: 70_000, First: flowNow.Add(-time.Minute), Last: flowNow, Sources: []string{"mirror"}},
		// The NVR reaches the cloud too.
		evidence.Flow{Server: cloud, Client: nvrAddr, Port: 443, Proto: 6, ServerBytes: 9_000, ClientBytes: 40_000, First: flowNow.Add(-time.Minute), Last: flowNow, Sources: []string{"mirror"}})
	vms := &VMSInventory{Source: "milestone", URL: "https://vms.example", Fetched: flowNow, Hardware: []VMSHardware{
		{ID: "hw-axis", Name: "Indgang", MAC: "ac:cc:8e:a2:72:31", Enabled: true, Cameras: 1, CamerasRecording: 1},
		{ID: "hw-talker", Name: "Port", Address: talker.IP, Enabled: false, Cameras: 1, CamerasRecording: 0},
	}}
	obs := Observations{Flows: flows, FlowSources: []string{"mirror", "netflow_v9"}, FlowWindow: time.Hour, VMS: vms,
		DNS: []evidence.DNSLookup{{Client: asker.IP, Name: "p2p.reolink.com", Maker: "Reolink", Count: 3, First: flowNow.Add(-time.Hour), Last: flowNow}}}
	pol := approving(vmsAddr.String() + "/32")
	scope := Scope{Site: "NOH"}

	first := ReconcileObserved(devs, nil, pol, scope, obs, flowNow)
	saved := Report{Schema: ReportSchema, Site: "NOH", Devices: first.Devices, Findings: first.Findings, Observations: obs.Summary()}
	b, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{KindRecordedOutsideVMS, KindUnapprovedRecorder, KindCameraEgress, KindNotOnCentralVMS} {
		if len(kinds(first.Findings, kind)) == 0 {
			t.Fatalf("the first judgement has no %s: the test's evidence is wrong", kind)
		}
	}

	again, devices := SavedObservations(&rep)
	second := ReconcileObserved(devices, nil, pol, scope, again, flowNow)
	if got, want := findingSummary(second.Findings), findingSummary(first.Findings); !slices.Equal(got, want) {
		t.Errorf("judged again on the saved report:\n got %v\nwant %v", got, want)
	}
	if len(second.Devices) != len(first.Devices) {
		t.Errorf("%d devices judged again, %d first", len(second.Devices), len(first.Devices))
	}
	if s := second.Devices; !slices.EqualFunc(s, first.Devices, func(a, b Device) bool {
		return a.IP == b.IP && len(a.StreamClients) == len(b.StreamClients) && len(a.Egress) == len(b.Egress) &&
			slices.Equal(a.Records, b.Records) && (a.VMS == nil) == (b.VMS == nil) && a.FlowOnly == b.FlowOnly
	}) {
		t.Errorf("devices judged again differ in what was derived:\n got %+v\nwant %+v", s, first.Devices)
	}

	// The NVR approved since: its recordings and itself are no finding.
	again, devices = SavedObservations(&rep)
	third := ReconcileObserved(devices, nil, approving(vmsAddr.String()+"/32", nvrAddr.String()+"/32"), scope, again, flowNow)
	if n := len(kinds(third.Findings, KindRecordedOutsideVMS)) + len(kinds(third.Findings, KindUnapprovedRecorder)); n != 0 {
		t.Errorf("%d recording findings with the NVR approved", n)
	}
	if len(kinds(third.Findings, KindCameraEgress)) != len(kinds(first.Findings, KindCameraEgress)) {
		t.Errorf("egress changed with the recorders' approval")
	}
}

func findingSummary(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Severity.String() + " " + f.Key + " " + f.Detail
	}
	return out
}
