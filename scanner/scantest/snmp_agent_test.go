package scantest

import (
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// TestSNMPAgentInstances: which MIB instance a request reaches, by v2c
// community or v3 context, and what is refused or ignored.
func TestSNMPAgentInstances(t *testing.T) {
	def, vlan := &MIB{}, &MIB{}
	def.Text(".1.3.6.1.2.1.1.5.0", "default")
	vlan.Text(".1.3.6.1.2.1.1.5.0", "vlan 120")
	user := &SNMPv3User{Username: "ro", AuthProtocol: gosnmp.SHA256, AuthPassword: "auth-password", PrivProtocol: gosnmp.AES, PrivPassword: "priv-password"}
	a := StartSNMPAgent(t, def, SNMPAgentOptions{Community: "c", Contexts: map[string]*MIB{"vlan-120": vlan}, V3: user})
	v3 := func(name, authPass, ctx string) *gosnmp.GoSNMP {
		return &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv, ContextName: ctx,
			SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: name, AuthenticationProtocol: gosnmp.SHA256, AuthenticationPassphrase: authPass,
				PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: user.PrivPassword}}
	}
	cases := []struct {
		name string
		g    *gosnmp.GoSNMP
		want string // sysName, "" for no answer or a refusal
	}{
		{"v2c default", &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "c"}, "default"},
		{"v2c community@120", &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "c@120"}, "vlan 120"},
		{"v2c community@130: no such instance", &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "c@130"}, ""},
		{"v2c other community", &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "x@120"}, ""},
		{"v3 default", v3("ro", user.AuthPassword, ""), "default"},
		{"v3 context vlan-120", v3("ro", user.AuthPassword, "vlan-120"), "vlan 120"},
		{"v3 unknown context", v3("ro", user.AuthPassword, "vlan-130"), ""},
		{"v3 unknown user", v3("rw", user.AuthPassword, ""), ""},
		{"v3 wrong password", v3("ro", "wrong-password", ""), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g
			// An answer may take long on a loaded machine (the race
			// detector, SNMPv3's key derivation on the client side); a
			// refusal is waited for briefly.
			g.Target, g.Port, g.Timeout, g.Retries = a.Addr.Addr().String(), a.Addr.Port(), 300*time.Millisecond, 0
			if tc.want != "" {
				g.Timeout, g.Retries = 2*time.Second, 2
			}
			if err := g.Connect(); err != nil {
				t.Fatal(err)
			}
			defer g.Conn.Close()
			pkt, err := g.Get([]string{".1.3.6.1.2.1.1.5.0"})
			got := ""
			if err == nil && len(pkt.Variables) == 1 {
				b, _ := pkt.Variables[0].Value.([]byte)
				got = string(b)
			}
			if got != tc.want {
				t.Errorf("sysName %q (err %v), want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzSNMPAgentAnswer: whatever datagram reaches the test agent (v2c or
// v3, any bytes), answering it neither panics nor exceeds one datagram.
func FuzzSNMPAgentAnswer(f *testing.F) {
	def := &MIB{}
	def.Text(".1.3.6.1.2.1.1.5.0", "default")
	user := &SNMPv3User{Username: "ro", AuthProtocol: gosnmp.SHA256, AuthPassword: "auth-password", PrivProtocol: gosnmp.AES, PrivPassword: "priv-password"}
	a := StartSNMPAgent(f, def, SNMPAgentOptions{Community: "c", Contexts: map[string]*MIB{"vlan-120": def}, V3: user})
	for _, p := range []*gosnmp.SnmpPacket{
		{Version: gosnmp.Version2c, Community: "c@120", PDUType: gosnmp.GetBulkRequest, RequestID: 1, MaxRepetitions: 10,
			Variables: []gosnmp.SnmpPDU{{Name: ".1.3.6.1.2.1.1", Type: gosnmp.Null}}},
		{Version: gosnmp.Version3, MsgFlags: gosnmp.Reportable, SecurityModel: gosnmp.UserSecurityModel, SecurityParameters: &gosnmp.UsmSecurityParameters{},
			PDUType: gosnmp.GetRequest, MsgID: 1, RequestID: 1},
	} {
		b, err := p.MarshalMsg()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, datagram []byte) {
		if out := a.answer(datagram); len(out) > maxDatagram {
			t.Fatalf("answer of %d bytes", len(out))
		}
	})
}
