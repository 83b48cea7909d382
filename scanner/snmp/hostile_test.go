package snmp_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// routerMIB is a router whose neighbour table holds n in-scope entries.
func routerMIB(n int) *scantest.MIB {
	r := scantest.EmulatedRouter{SysName: "r1", SysDescr: "test router"}
	for i := range n {
		r.Neighbours = append(r.Neighbours, scantest.RouterNeighbour{IfIndex: 1, Addr: [4]byte{10, 20, byte(i >> 8), byte(i)}, MAC: net.HardwareAddr{0x02, 0, 0, 0, byte(i >> 8), byte(i)}})
	}
	return r.MIB()
}

func oneDevice(addr netip.AddrPort, role string, tune snmp.Tuning) *snmp.Config {
	return &snmp.Config{
		Credentials: map[string]snmp.CredentialSpec{"v2": {Version: "2c", CommunityEnv: "T_COMM"}},
		Devices:     []snmp.Device{{Name: "dut", Address: addr.Addr(), Port: addr.Port(), Roles: []string{role}, Credentials: "v2", Tuning: tune}},
	}
}

func harvestOne(t *testing.T, cfg *snmp.Config) *snmp.Result {
	t.Helper()
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	creds, err := snmp.ResolveCredentials(cfg, func(string) string { return community })
	if err != nil {
		t.Fatal(err)
	}
	return snmp.Harvest(context.Background(), cfg, snmp.Options{InScope: func(a netip.Addr) bool { return true }, Credentials: creds, Log: zerolog.Nop()})
}

func retries(n int) *int { return &n }

func TestHarvestSurvivesBrokenAgents(t *testing.T) {
	fast := snmp.Tuning{Timeout: 150 * time.Millisecond, Retries: retries(0), Rate: 1000}
	cases := []struct {
		name     string
		mib      *scantest.MIB
		respond  func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket
		tune     snmp.Tuning
		wantKind string
		// wantKept is how many neighbours must survive (what was read
		// before the trouble).
		wantKept int
		check    func(t *testing.T, d snmp.DeviceReport)
	}{
		{name: "healthy", mib: routerMIB(40), tune: fast, wantKept: 40},
		{
			name: "OIDs out of order", mib: routerMIB(40), tune: fast, wantKind: snmp.ErrorProtocol,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if req.PDUType == gosnmp.GetBulkRequest && len(resp.Variables) > 3 {
					resp.Variables[2], resp.Variables[3] = resp.Variables[3], resp.Variables[2]
				}
				return resp
			},
			wantKept: 3, // the rows before the agent went backwards
		},
		{
			name: "agent repeats the same OID forever", mib: routerMIB(5), tune: fast, wantKind: snmp.ErrorProtocol,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if req.PDUType == gosnmp.GetBulkRequest {
					for i := range resp.Variables {
						resp.Variables[i] = resp.Variables[0]
					}
				}
				return resp
			},
			wantKept: 1,
		},
		{
			name: "endless table", mib: routerMIB(1), tune: snmp.Tuning{Timeout: 150 * time.Millisecond, Retries: retries(0), Rate: 1000, MaxEntries: 300}, wantKind: snmp.ErrorTruncated,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if req.PDUType != gosnmp.GetBulkRequest {
					return resp
				}
				// Every row names the next interface: always increasing,
				// never leaving the column, never ending.
				const col = ".1.3.6.1.2.1.4.35.1.4"
				name := req.Variables[0].Name
				if !strings.HasPrefix(name, col) {
					return resp
				}
				ifIndex := 0
				if rest := strings.TrimPrefix(name, col+"."); rest != name {
					fmt.Sscanf(rest, "%d", &ifIndex)
				}
				resp.Variables = nil
				for range req.MaxRepetitions {
					ifIndex++
					resp.Variables = append(resp.Variables, gosnmp.SnmpPDU{Name: fmt.Sprintf("%s.%d.1.4.10.20.0.1", col, ifIndex), Type: gosnmp.OctetString, Value: []byte{2, 0, 0, 0, 0, 1}})
				}
				return resp
			},
			check: func(t *testing.T, d snmp.DeviceReport) {
				if len(d.Truncated) == 0 || d.Tables[snmp.TableIPNetToPhysical] != 300 {
					t.Errorf("truncated %v after %d rows, want ipNetToPhysicalTable cut at 300", d.Truncated, d.Tables[snmp.TableIPNetToPhysical])
				}
				if d.Malformed != 0 || d.Neighbours != 300 {
					t.Errorf("%d kept, %d malformed: want the 300 rows read, kept", d.Neighbours, d.Malformed)
				}
			},
		},
		{
			name: "wrong value types", mib: routerMIB(10), tune: fast,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				for i := range resp.Variables {
					if strings.HasPrefix(resp.Variables[i].Name, ".1.3.6.1.2.1.4.35.1.4") && resp.Variables[i].Type == gosnmp.OctetString && i%2 == 0 {
						resp.Variables[i].Type, resp.Variables[i].Value = gosnmp.Integer, 7
					}
				}
				return resp
			},
			check: func(t *testing.T, d snmp.DeviceReport) {
				if d.Malformed == 0 || d.Neighbours == 0 || d.Neighbours+d.Malformed != 10 {
					t.Errorf("neighbours %d, malformed %d: want the good rows kept and the bad ones counted", d.Neighbours, d.Malformed)
				}
			},
		},
		{
			name: "silent (a wrong community looks like this)", mib: routerMIB(3), tune: fast, wantKind: snmp.ErrorTimeout,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket { return nil },
		},
		{
			name: "agent error status", mib: routerMIB(3), tune: fast, wantKind: snmp.ErrorProtocol,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if req.PDUType == gosnmp.GetBulkRequest {
					resp.Error, resp.Variables = gosnmp.GenErr, nil
				}
				return resp
			},
		},
		{
			name: "tooBig until asked for fewer rows", mib: routerMIB(30), tune: fast, wantKept: 30,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if req.PDUType == gosnmp.GetBulkRequest && req.MaxRepetitions > 6 {
					resp.Error, resp.Variables = gosnmp.TooBig, nil
				}
				return resp
			},
		},
		{
			name: "device time runs out", mib: routerMIB(50), wantKind: snmp.ErrorDeadline,
			tune: snmp.Tuning{Timeout: time.Second, Retries: retries(0), Rate: 20, MaxRepetitions: 2, MaxDuration: 300 * time.Millisecond},
			check: func(t *testing.T, d snmp.DeviceReport) {
				if d.Neighbours >= 50 {
					t.Errorf("read all %d rows in 300 ms at 20 requests/s of 2 rows", d.Neighbours)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := scantest.StartSNMPAgent(t, tc.mib, scantest.SNMPAgentOptions{Community: community, Respond: tc.respond})
			res := harvestOne(t, oneDevice(a.Addr, snmp.RoleRouter, tc.tune))
			d := res.Devices[0]
			if d.ErrorKind != tc.wantKind || d.OK != (tc.wantKind == "") {
				t.Errorf("kind %q ok %v (%s), want kind %q", d.ErrorKind, d.OK, d.Error, tc.wantKind)
			}
			if tc.wantKind != "" && d.Error == "" {
				t.Error("a failure without a message")
			}
			if tc.check == nil && d.Neighbours != tc.wantKept {
				t.Errorf("kept %d neighbours, want %d", d.Neighbours, tc.wantKept)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
			if strings.Contains(d.Error, community) {
				t.Error("the community reached the error")
			}
		})
	}
}

func TestHarvestRefusedPort(t *testing.T) {
	// A UDP port nobody listens on: the kernel answers port unreachable.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	res := harvestOne(t, oneDevice(addr, snmp.RoleSwitch, snmp.Tuning{Timeout: 300 * time.Millisecond, Retries: retries(1)}))
	if k := res.Devices[0].ErrorKind; k != snmp.ErrorRefused && k != snmp.ErrorTimeout {
		t.Errorf("kind %q (%s), want refused", k, res.Devices[0].Error)
	}
}
