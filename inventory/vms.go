package inventory

import (
	"fmt"
	"net/netip"
	"time"
)

// VMSInventory is the central VMS's own list of the hardware it records:
// what "on the central VMS" means when a site has the VMS configured. The
// Milestone XProtect client (inventory/vms) fills it; Reconcile only reads.
type VMSInventory struct {
	// Source names the system ("milestone") and URL where it was read.
	Source  string    `json:"source"`
	URL     string    `json:"url"`
	Fetched time.Time `json:"fetched"`
	// Hardware is every hardware device the VMS holds, enabled or not.
	Hardware         []VMSHardware        `json:"-"`
	RecordingServers []VMSRecordingServer `json:"-"`
}

// VMSHardware is one hardware device (a camera, an encoder) in the VMS.
type VMSHardware struct {
	ID   string
	Name string
	// Address is the device's IP, from the hardware's address; Host holds
	// the host part when it is a name instead.
	Address netip.Addr
	Host    string
	// MAC is lower-case with colons, "" when the driver reports none.
	MAC     string
	Serial  string
	Model   string
	Enabled bool
	// RecordingServer names the recording server the hardware sits on.
	RecordingServer string
	// Cameras and CamerasRecording count the hardware's camera channels
	// and those with recording enabled; -1 when the VMS did not say.
	Cameras          int
	CamerasRecording int
}

// VMSRecordingServer is one of the VMS's recording servers.
type VMSRecordingServer struct {
	ID       string
	Name     string
	HostName string
}

// VMSMatch is the VMS's entry for a device, in the report.
type VMSMatch struct {
	Source          string `json:"source"`
	HardwareID      string `json:"hardware_id"`
	Name            string `json:"name"`
	Enabled         bool   `json:"enabled"`
	RecordingServer string `json:"recording_server,omitempty"`
	// MatchedBy is "mac" or "ip".
	MatchedBy string `json:"matched_by"`
}

// vmsIndex finds a device's hardware by MAC, then by address.
type vmsIndex struct {
	byMAC map[string]*VMSHardware
	byIP  map[netip.Addr]*VMSHardware
}

func (v *VMSInventory) index() vmsIndex {
	if v == nil {
		return vmsIndex{}
	}
	ix := vmsIndex{byMAC: map[string]*VMSHardware{}, byIP: map[netip.Addr]*VMSHardware{}}
	// An enabled entry wins over a disabled one for the same device.
	for i := range v.Hardware {
		h := &v.Hardware[i]
		if h.MAC != "" && (ix.byMAC[h.MAC] == nil || h.Enabled) {
			ix.byMAC[h.MAC] = h
		}
		if h.Address.IsValid() && (ix.byIP[h.Address] == nil || h.Enabled) {
			ix.byIP[h.Address] = h
		}
	}
	return ix
}

// match returns the VMS's entry for d, nil when it has none.
func (ix vmsIndex) match(d Device, source string) *VMSMatch {
	var h *VMSHardware
	by := ""
	if mac := deviceMAC(d); mac != "" && ix.byMAC[mac] != nil {
		h, by = ix.byMAC[mac], MatchMAC
	} else if a := d.IP.Unmap(); a.IsValid() && ix.byIP[a] != nil {
		h, by = ix.byIP[a], MatchIP
	}
	if h == nil {
		return nil
	}
	return &VMSMatch{
		Source: source, HardwareID: h.ID, Name: h.Name, Enabled: h.Enabled && h.CamerasRecording != 0,
		RecordingServer: h.RecordingServer, MatchedBy: by,
	}
}

// offVMS says why d is not on the central VMS, "" when it is, or when
// it need not be (a dispensation covers it, or it is an approved
// recorder: the VMS's own recording servers).
func offVMS(d Device, v *VMSInventory, covered bool, rp recordingPolicy) string {
	if covered || (d.IP.IsValid() && inAny(rp.recorders, d.IP.Unmap())) {
		return ""
	}
	m := d.VMS
	switch {
	case m == nil:
		mac := ""
		if deviceMAC(d) != "" {
			mac = " or MAC " + deviceMAC(d)
		}
		return fmt.Sprintf("%s (%s) lists no hardware at this address%s", vmsName(v.Source), v.URL, mac)
	case !m.Enabled:
		return fmt.Sprintf("%s (%s) holds it as hardware %q (%s) but does not record it (hardware disabled, or no camera of it recording)", vmsName(v.Source), v.URL, m.Name, m.HardwareID)
	}
	return ""
}

func vmsName(source string) string {
	if source == "milestone" {
		return "Milestone XProtect"
	}
	return source
}
