package probe

import "testing"

func TestMDNSInstanceLabel(t *testing.T) {
	if got := instanceLabel(`AXIS\032M3046-V\.1._axis-video._tcp.local.`, "_axis-video._tcp.local."); got != "AXIS M3046-V.1" {
		t.Errorf("instanceLabel = %q", got)
	}
}

func FuzzParseMDNS(f *testing.F) {
	f.Add([]byte{0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, _ := parseMDNS(b, DefaultMDNSServices)
		if len(ev) > 4*maxMDNSRecords+64*maxMDNSRecords {
			t.Fatalf("%d evidence items", len(ev))
		}
	})
}
