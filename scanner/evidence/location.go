package evidence

import (
	"strconv"
	"strings"
)

// Location is where a device is plugged in, as the network's own switches
// report it: the access switch, its edge port (never an uplink or trunk),
// the operator's description of the port and the VLAN. Its JSON form is
// part of the report contract (camsweep.report/v1, the device's and the
// finding's "location").
type Location struct {
	// Switch is the switch's configured name, or its sysName.
	Switch string `json:"switch"`
	// SwitchAddress is the address camsweep asked it at.
	SwitchAddress string `json:"switch_address,omitempty"`
	// Port is the interface name (ifName, else ifDescr).
	Port string `json:"port"`
	// PortDescription is the operator's description of the port (ifAlias),
	// often the room or the outlet.
	PortDescription string `json:"port_description,omitempty"`
	// VLAN is the VLAN the MAC was learnt in; 0 when the switch does not
	// say (a BRIDGE-MIB table without VLANs).
	VLAN int `json:"vlan,omitempty"`
	// Source says how it was learnt, e.g. "snmp dot1qTpFdbTable".
	Source string `json:"source,omitempty"`
}

// String is the one-line form a table, an alert or a log shows:
// `noh-b1-asw03 Gi1/0/17 VLAN 120 "Gang ved akutmodtagelse"`.
func (l Location) String() string {
	if l.Switch == "" && l.Port == "" {
		return ""
	}
	parts := []string{l.Switch, l.Port}
	if l.VLAN != 0 {
		parts = append(parts, "VLAN "+strconv.Itoa(l.VLAN))
	}
	if l.PortDescription != "" {
		parts = append(parts, strconv.Quote(l.PortDescription))
	}
	return strings.Join(parts, " ")
}
