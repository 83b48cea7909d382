package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// Every format says where the device is plugged in and how its MAC was
// learnt; a port description is the operator's text but passes through
// devices' SNMP agents, so it is escaped like device input.
func TestEveryFormatShowsTheLocation(t *testing.T) {
	r := sample()
	where := &evidence.Location{Switch: "noh-b1-asw03", Port: "Gi1/0/17", PortDescription: "=Gang <b>ved</b> akutmodtagelse", VLAN: 120, Source: "snmp dot1qTpFdbTable"}
	r.Findings[0].Location, r.Findings[0].MACSource = where, "snmp router noh-core1"
	for i := range r.Devices {
		if r.Devices[i].IP.String() == r.Findings[0].IP {
			r.Devices[i].Location, r.Devices[i].MACSource = where, "snmp router noh-core1"
		}
	}
	r.Infrastructure = []inventory.InfraDevice{{Name: "noh-core1", Address: "10.20.0.1", OK: true}, {Name: "noh-b1-asw03", Address: "10.20.0.33", ErrorKind: "timeout", Error: "request timeout"}}

	var table, csvOut, html bytes.Buffer
	for _, f := range []struct {
		format string
		w      *bytes.Buffer
	}{{"table", &table}, {"csv", &csvOut}, {"html", &html}} {
		if err := Write(f.w, f.format, r); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(table.String(), `noh-b1-asw03 Gi1/0/17 VLAN 120`) || !strings.Contains(table.String(), "1 failed (noh-b1-asw03: timeout)") {
		t.Errorf("table lacks the location or the failed harvest:\n%s", table.String())
	}
	recs, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	row := recs[1]
	if row[col["location_switch"]] != "noh-b1-asw03" || row[col["location_port"]] != "Gi1/0/17" || row[col["location_vlan"]] != "120" ||
		row[col["location_port_description"]] != "'=Gang <b>ved</b> akutmodtagelse" || row[col["mac_source"]] != "snmp router noh-core1" {
		t.Errorf("csv row %v", row)
	}
	h := html.String()
	if !strings.Contains(h, "noh-b1-asw03 Gi1/0/17 VLAN 120") || strings.Contains(h, "<b>ved</b>") || !strings.Contains(h, "snmp router noh-core1") ||
		!strings.Contains(h, "Infrastructure asked over SNMP (2)") {
		t.Errorf("html lacks the location, the MAC source or the infrastructure, or did not escape the description")
	}
}
