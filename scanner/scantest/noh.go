package scantest

import (
	"fmt"
	"net/netip"
)

// nohHost is one row of the emulated Nordsjællands Hospital network. The
// table is the source of docs/demo-network.md, which the NOH registry in
// deploy/ and the inventory tests are written against: change both together.
type nohHost struct {
	addr    string
	persona string
	serial  string // "" keeps the persona's own
	mac     string // "" keeps the persona's own
}

// nohHosts: the camera segment 127.77.8.0/22 stands for the closed camera
// network 10.20.8.0/22 of the site; 127.77.20.0/24 for an office segment.
// The seven Dahua cameras are the ones the press found: installed for years,
// never registered, recording to the local NVR at .8.40 instead of Milestone.
var nohHosts = []nohHost{
	// The seven unregistered Dahua facility cameras (corridors, entrances).
	{"127.77.8.11", "dahua-ipc-hdw2431t-as-s2", "6G0B2D7PAJ4E1C9", "e0:50:8b:3d:72:19"},
	{"127.77.8.12", "dahua-ipc-hdw2431t-as-s2", "6G0B2D7PAJ7A2F1", "e0:50:8b:3d:72:5e"},
	{"127.77.8.13", "dahua-ipc-hdw2431t-as-s2", "6G0B2D7PAJ81C04", "e0:50:8b:3d:73:0a"},
	{"127.77.8.14", "dahua-ipc-hfw2431s-s-s2", "5J04A9BPAZ21D7C", "3c:ef:8c:9a:04:6e"},
	{"127.77.8.15", "dahua-ipc-hfw2431s-s-s2", "5J04A9BPAZ3B0E8", "3c:ef:8c:9a:05:c1"},
	{"127.77.8.16", "dahua-ipc-hdbw2431e-s-s2", "4M0747EPAA1D284", "90:02:a9:6b:e1:30"},
	{"127.77.8.17", "dahua-ipc-hdbw2431e-s-s2", "4M0747EPAA2F9B1", "90:02:a9:6b:e2:77"},
	// The local recorder they record to.
	{"127.77.8.40", "dahua-nvr4108hs-4ks2", "7F03B21PAZ3E0A6", "38:af:29:c4:55:0b"},
	// Hikvision clinical cameras under the DISP-HIK-70 dispensation.
	{"127.77.9.21", "hikvision-ds-2cd2143g2-i", "DS-2CD2143G2-I20220318AAWRJ71835202", "44:19:b6:4f:21:7c"},
	{"127.77.9.22", "hikvision-ds-2cd2143g2-i", "DS-2CD2143G2-I20220318AAWRJ71835377", "44:19:b6:4f:22:10"},
	{"127.77.9.23", "hikvision-ds-2cd2143g2-i", "DS-2CD2143G2-I20220611AAWRJ90412268", "c0:56:e3:1d:9a:04"},
	{"127.77.9.30", "hikvision-ds-7608ni-k2", "DS-7608NI-K20820210601CCRRG31277456WCVU", "c0:56:e3:8a:11:d4"},
	// Reolink cameras under the DISP-REO-6 dispensation.
	{"127.77.9.41", "reolink-rlc-810a", "192168010123", "ec:71:db:5e:0c:a3"},
	{"127.77.9.42", "reolink-rlc-810a", "192168010187", "ec:71:db:5e:0d:19"},
	// An approved Axis on Milestone.
	{"127.77.10.5", "axis-p3245-lve", "ACCC8EA27231", "ac:cc:8e:a2:72:31"},
	// White-label rebrands: a Hikvision sold as LTS, a Dahua sold as Amcrest.
	{"127.77.10.21", "lts-cmip8242wb", "CMIP8242WB20170412AAWR748213390", "14:2f:fd:6e:09:b3"},
	{"127.77.10.22", "amcrest-ip5m-t1179ew", "AMC0482F7D61C5A93E", "9c:8e:cd:2b:7a:41"},
	// Office segment: not cameras, must not be flagged.
	{"127.77.20.10", "hp-laserjet-m404dn", "PHBBK12345", "a0:8c:fd:1e:4b:62"},
	{"127.77.20.20", "windows-pc", "5GHT2Q3", "b0:4f:13:6c:2d:e8"},
	{"127.77.20.30", "linux-server", "7XK2J93", "b0:7b:25:3a:91:0e"},
	// A broken device that must not hang the scan.
	{"127.77.20.99", "hostile-silent", "", "00:e0:4c:68:01:99"},
}

// NOHPrefix is the whole emulated site (the demo sweeps only the /24s that
// hold its hosts).
var NOHPrefix = netip.MustParsePrefix("127.77.0.0/16")

// NOHCameraSegment stands for the site's closed camera network.
var NOHCameraSegment = netip.MustParsePrefix("127.77.8.0/22")

// NOH returns the emulated Nordsjællands Hospital network for `make demo`
// and the end-to-end tests; start it with Start(ctx, hosts, Options{}).
func NOH() ([]HostSpec, error) { return NOHAt(NOHPrefix) }

// NOHAt returns the NOH hosts moved into another /16 (same last two
// octets), so tests in several packages can run the demo network at once
// without fighting over 127.77.0.0/16. Pass RandomBase() and hand the same
// prefix to Start as Options.Base.
func NOHAt(base netip.Prefix) ([]HostSpec, error) {
	if base.Bits() != 16 || !base.Addr().Is4() {
		return nil, fmt.Errorf("scantest: noh: base %s is not an IPv4 /16", base)
	}
	hi := base.Masked().Addr().As4()
	out := make([]HostSpec, 0, len(nohHosts))
	for _, h := range nohHosts {
		p, err := PersonaByName(h.persona)
		if err != nil {
			return nil, fmt.Errorf("scantest: noh %s: %w", h.addr, err)
		}
		addr, err := netip.ParseAddr(h.addr)
		if err != nil {
			return nil, fmt.Errorf("scantest: noh %s: %w", h.addr, err)
		}
		a := addr.As4()
		a[0], a[1] = hi[0], hi[1]
		out = append(out, HostSpec{Persona: p, Addr: netip.AddrFrom4(a), Serial: h.serial, MAC: h.mac})
	}
	return out, nil
}

// NOHStreamAccount is the account the NOH recorders pull video with (the
// cameras stream to it; see StreamAccount).
var NOHStreamAccount = StreamAccount{User: "recorder", Password: "noh-demo-stream"}

// nohPulls is who records whom at the emulated NOH: the seven Dahua
// cameras record to the local Dahua NVR (the press case), and the central
// Milestone's recording server (NOH-RS01, outside the swept segments)
// records the registered Axis and LTS.
var nohPulls = []struct {
	recorder string
	cameras  []string
}{
	{"127.77.8.40", []string{"127.77.8.11", "127.77.8.12", "127.77.8.13", "127.77.8.14", "127.77.8.15", "127.77.8.16", "127.77.8.17"}},
	{"127.77.30.10", []string{"127.77.10.5", "127.77.10.21"}},
}

// Pull is a recorder pulling a camera's video.
type Pull struct{ Recorder, Camera netip.Addr }

// NOHPulls returns the emulated NOH's recording, moved into base like
// NOHAt's hosts.
func NOHPulls(base netip.Prefix) []Pull {
	var out []Pull
	for _, p := range nohPulls {
		for _, c := range p.cameras {
			out = append(out, Pull{Recorder: rebase(base, p.recorder), Camera: rebase(base, c)})
		}
	}
	return out
}

// NOHMilestone is the central VMS of the emulated NOH: the Milestone
// XProtect that CIMT runs, holding the two cameras registered on it (the
// Axis and the LTS) on recording server NOH-RS01. The seven Dahua cameras
// are not in it.
func NOHMilestone(base netip.Prefix) *MilestoneVMS {
	return &MilestoneVMS{
		ClientID: "camsweep-noh", ClientSecret: "noh-demo-client-secret",
		RecordingServers: []MilestoneRecordingServer{{ID: "5b5e2b1e-rs01", Name: "NOH-RS01", HostName: rebase(base, "127.77.30.10").String()}},
		Hardware: []MilestoneHardware{
			{ID: "3f0c9a42-0110", Name: "AXIS P3245-LVE - Indgang Nord", Address: "http://" + rebase(base, "127.77.10.5").String() + "/", MAC: "AC:CC:8E:A2:72:31",
				Serial: "ACCC8EA27231", Model: "AXIS P3245-LVE", Enabled: true, RecordingServer: "5b5e2b1e-rs01",
				Cameras: []MilestoneCamera{{ID: "c1a0-0110", Name: "Indgang Nord", Enabled: true, Recording: true}}},
			{ID: "3f0c9a42-0111", Name: "LTS CMIP8242WB - Varegård", Address: "http://" + rebase(base, "127.77.10.21").String() + "/", MAC: "14:2F:FD:6E:09:B3",
				Serial: "CMIP8242WB20170412AAWR748213390", Model: "CMIP8242WB", Enabled: true, RecordingServer: "5b5e2b1e-rs01",
				Cameras: []MilestoneCamera{{ID: "c1a0-0111", Name: "Varegård", Enabled: true, Recording: true}}},
		},
	}
}

func rebase(base netip.Prefix, addr string) netip.Addr {
	a := netip.MustParseAddr(addr).As4()
	hi := base.Masked().Addr().As4()
	a[0], a[1] = hi[0], hi[1]
	return netip.AddrFrom4(a)
}
