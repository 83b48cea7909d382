package inventory

import (
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// A camera behind a router: its MAC came from the router's neighbour
// table and its place from a switch. Every finding about it carries both,
// so whoever gets the alert knows how the MAC was learnt and which port to
// visit; a swapped camera at a registered address shows as a mismatch of
// that MAC.
func TestFindingsCarryLocationAndMACSource(t *testing.T) {
	pol := mustPolicy(t, testPolicy)
	where := &evidence.Location{Switch: "noh-b1-asw03", Port: "Gi1/0/17", PortDescription: "Gang ved akutmodtagelse", VLAN: 120, Source: "snmp dot1qTpFdbTable"}
	via := func(d *Device) { d.MACSource, d.Location = "snmp noh-core1 ipNetToPhysicalTable", where }
	devices := []Device{
		cam("10.20.8.60", "08:ed:ed:00:00:60", "Dahua", "Dahua", "IPC-HDW2431T", via),
		cam("10.20.8.61", "44:47:cc:00:00:99", "Hikvision", "Hikvision", "DS-2CD2143G2-I", via),
	}
	rows := []Row{row("NOH-H61", "10.20.8.61", "44:47:cc:00:00:61", "Hikvision", "DS-2CD2143G2-I", disp("DISP-HIK-NEW"))}
	res := Reconcile(devices, &Registry{Rows: rows}, pol, nohScope, today)
	kinds := map[string]Finding{}
	for _, f := range res.Findings {
		kinds[f.Kind+" "+f.IP] = f
	}
	for _, k := range []string{"unregistered_camera 10.20.8.60", "banned_manufacturer 10.20.8.60", "identity_mismatch 10.20.8.61"} {
		f, ok := kinds[k]
		if !ok {
			t.Errorf("no %s finding; got %v", k, res.Findings)
			continue
		}
		if f.Location == nil || *f.Location != *where || f.MACSource != "snmp noh-core1 ipNetToPhysicalTable" {
			t.Errorf("%s: location %v, mac_source %q", k, f.Location, f.MACSource)
		}
	}
}
