package inventory

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// SavedObservations recovers, from a saved report, what its sensor saw
// beside the sweep, so that the report can be judged again (camsweep
// diff) on the same evidence: the flows behind its devices' stream
// clients and egress, its camera-cloud lookups, and the VMS entries its
// devices matched. It returns them with the devices as the sweep reported
// them: without what the judgement derived (stream clients, records,
// egress, VMS entries), and without the hosts known only from flows, which
// the judgement derives again. Without this a diff judged the flows and
// the VMS as absent: the recorders and egress vanished from the findings,
// not_on_central_vms fell back to the registry, and a flow-only recorder
// was judged as if the sweep had found it.
//
// What the report did not keep is not recovered: flows that were too
// small to count, and VMS hardware no device matched (which judges
// nothing).
func SavedObservations(r *Report) (Observations, []Device) {
	var obs Observations
	s := r.Observations
	devices := make([]Device, 0, len(r.Devices))
	for _, d := range r.Devices {
		// A flow-only host is derived again from its stream clients'
		// flows; its egress is kept below.
		if !d.FlowOnly {
			devices = append(devices, d)
		}
	}
	if s != nil && len(s.FlowSources) > 0 {
		obs.FlowSources = slices.Clone(s.FlowSources)
		obs.FlowWindow = time.Duration(s.FlowWindowSeconds * float64(time.Second))
		obs.MinVideoBytes = s.MinVideoBytes
		for _, d := range r.Devices {
			obs.Flows, obs.DNS = appendSavedFlows(obs.Flows, obs.DNS, d)
		}
	}
	if s != nil && s.VMSSource != "" && s.VMSSource != "registry" {
		obs.VMS = &VMSInventory{Source: s.VMSSource, URL: s.VMSURL, Fetched: s.VMSFetched}
		for _, d := range devices {
			if m := d.VMS; m != nil {
				obs.VMS.Hardware = append(obs.VMS.Hardware, savedHardware(d, m))
			}
		}
	}
	if s != nil {
		obs.VMSError = s.VMSError
	}
	for i := range devices {
		devices[i].StreamClients, devices[i].Records, devices[i].Egress, devices[i].VMS = nil, nil, nil, nil
	}
	return obs, devices
}

// appendSavedFlows turns a device's stream clients and egress back into
// the flows and lookups they were judged from.
func appendSavedFlows(flows []evidence.Flow, dns []evidence.DNSLookup, d Device) ([]evidence.Flow, []evidence.DNSLookup) {
	if !d.IP.IsValid() {
		return flows, dns
	}
	for _, c := range d.StreamClients {
		video := c.How
		if video == "volume" {
			video = ""
		}
		flows = append(flows, evidence.Flow{
			Server: d.IP, Client: c.IP, Port: c.Port, Proto: protoNumber(c.Proto), ServerBytes: c.Bytes,
			First: c.First, Last: c.Last, Video: video, Sources: slices.Clone(c.Sources),
		})
	}
	for _, e := range d.Egress {
		if e.Name != "" {
			dns = append(dns, evidence.DNSLookup{Client: d.IP, Name: e.Name, Maker: e.Maker, Count: e.Lookups, First: e.First, Last: e.Last})
			continue
		}
		flows = append(flows, evidence.Flow{
			Server: e.IP, Client: d.IP, Port: e.Port, Proto: protoNumber(e.Proto), ServerBytes: e.Recv, ClientBytes: e.Sent,
			First: e.First, Last: e.Last, Sources: slices.Clone(e.Sources),
		})
	}
	return flows, dns
}

// savedHardware is the VMS entry a device matched, as the index finds it
// again: by the device's MAC when it matched by MAC, else by its address.
func savedHardware(d Device, m *VMSMatch) VMSHardware {
	h := VMSHardware{ID: m.HardwareID, Name: m.Name, Enabled: m.Enabled, RecordingServer: m.RecordingServer, Cameras: -1, CamerasRecording: -1}
	if m.MatchedBy == MatchMAC && deviceMAC(d) != "" {
		h.MAC = deviceMAC(d)
	} else {
		h.Address = d.IP.Unmap()
	}
	return h
}

// protoNumber is protoName's inverse.
func protoNumber(name string) uint8 {
	switch name {
	case "tcp":
		return 6
	case "udp":
		return 17
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(name, "ip-"), 10, 8)
	if err != nil {
		return 0
	}
	return uint8(n)
}
