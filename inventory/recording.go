package inventory

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Finding kinds judged from flows and the VMS (docs/flows.md).
const (
	KindRecordedOutsideVMS = "recorded_outside_vms"
	KindUnapprovedRecorder = "unapproved_recorder"
	KindCameraEgress       = "camera_egress"
)

// DefaultInternalPrefixes are internal when no policy level names its own:
// the private, shared, loopback and link-local ranges of RFC 1918, 6598,
// 4193, 1122 and 3927/4291.
var DefaultInternalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("::1/128"),
}

// infraPorts are services whose traffic is never video, however much of
// it there is over a day: DNS, DHCP, NTP, SNMP, syslog, discovery, flow
// export, directory and RADIUS.
var infraPorts = map[uint16]bool{
	53: true, 67: true, 68: true, 88: true, 123: true, 161: true, 162: true, 389: true, 514: true,
	636: true, 853: true, 1812: true, 1813: true, 1900: true, 2055: true, 3702: true, 4739: true,
	5353: true, 6343: true, 6514: true, 9995: true, 9996: true, 37020: true, 37810: true,
}

// recordingPolicy is the region's and a site's recording rules joined.
type recordingPolicy struct {
	recorders, viewers, internal []netip.Prefix
	// enforced: some level names approved recorders, so a device the
	// fingerprint calls a recorder is judged even without flows.
	enforced bool
}

func (p *Policy) recording(site string, scope Scope) recordingPolicy {
	g, s := p.Recording, p.site(site).Recording
	rp := recordingPolicy{
		recorders: slices.Concat(g.ApprovedRecorders, s.ApprovedRecorders),
		viewers:   slices.Concat(g.ApprovedViewers, s.ApprovedViewers),
		internal:  slices.Concat(g.InternalPrefixes, s.InternalPrefixes),
	}
	rp.enforced = len(rp.recorders) > 0
	if len(rp.internal) == 0 {
		rp.internal = slices.Clone(DefaultInternalPrefixes)
	}
	rp.internal = append(rp.internal, scope.Prefixes...)
	rp.internal = append(rp.internal, p.site(site).CameraSegments...)
	return rp
}

func inAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// external: an address that can leave the region. Multicast, broadcast
// and unspecified addresses never do.
func (rp recordingPolicy) external(a netip.Addr) bool {
	if a.IsMulticast() || a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	return !inAny(rp.internal, a)
}

func (rp recordingPolicy) approved(a netip.Addr) bool {
	return inAny(rp.recorders, a) || inAny(rp.viewers, a)
}

// pull is one host pulling video from one device.
type pull struct {
	device int // index into devices
	client StreamClient
}

// observedFindings judges the flows and the VMS list for devices (already
// matched, RegistryID set) and returns the findings, with the devices
// annotated and any flow-only recorders appended.
func observedFindings(out []Finding, devices []Device, matchedRow []*Row, obs *Observations, pol *Policy, scope Scope, today Date) ([]Finding, []Device) {
	site := scope.Site
	rp := pol.recording(site, scope)
	byIP := make(map[netip.Addr]int, len(devices))
	for i, d := range devices {
		if d.IP.IsValid() {
			byIP[d.IP.Unmap()] = i
		}
	}
	judgeFlows := len(obs.FlowSources) > 0
	var pulls []pull
	egress := map[int]map[egressKey]*EgressPeer{}
	if judgeFlows {
		minBytes := obs.minVideoBytes()
		for _, f := range obs.Flows {
			for _, side := range [2]bool{true, false} {
				self, peer := f.Server, f.Client
				if !side {
					self, peer = f.Client, f.Server
				}
				i, ok := byIP[self.Unmap()]
				if !ok || !devices[i].IsCameraLike() {
					continue
				}
				sent, recv := f.ServerBytes, f.ClientBytes
				if !side {
					sent, recv = recv, sent
				}
				if rp.external(peer.Unmap()) {
					addEgress(egress, i, f, peer, sent, recv)
					continue
				}
				how := ""
				switch {
				case f.Video != "" && side:
					how = f.Video
				case sent >= minBytes && !infraPorts[f.Port]:
					how = "volume"
				}
				if how == "" || peer.IsMulticast() {
					continue
				}
				pulls = append(pulls, pull{device: i, client: StreamClient{
					IP: peer.Unmap(), Port: f.Port, Proto: protoName(f.Proto), Bytes: sent,
					First: f.First, Last: f.Last, How: how, Sources: f.Sources, Approved: rp.approved(peer.Unmap()),
				}})
			}
		}
		for _, l := range obs.DNS {
			if i, ok := byIP[l.Client.Unmap()]; ok && devices[i].IsCameraLike() {
				addLookup(egress, i, l)
			}
		}
	}

	// Who pulls from whom, merged per (device, client): a recorder's RTSP
	// control connection and its RTP are one pull.
	type pairKey struct {
		device int
		client netip.Addr
	}
	merged := map[pairKey]*StreamClient{}
	var order []pairKey
	for _, p := range pulls {
		k := pairKey{p.device, p.client.IP}
		if m := merged[k]; m != nil {
			mergeStream(m, p.client)
			continue
		}
		c := p.client
		merged[k] = &c
		order = append(order, k)
	}
	recordsOf := map[netip.Addr][]int{} // client -> devices it pulls from
	for _, k := range order {
		c := merged[k]
		devices[k.device].StreamClients = append(devices[k.device].StreamClients, *c)
		recordsOf[k.client] = append(recordsOf[k.client], k.device)
	}
	for i := range devices {
		slices.SortFunc(devices[i].StreamClients, func(a, b StreamClient) int { return a.IP.Compare(b.IP) })
	}

	// recorded_outside_vms: one per device and unapproved client.
	for _, k := range order {
		c := merged[k]
		if c.Approved {
			continue
		}
		d := devices[k.device]
		f := deviceBase(d, matchedRow[k.device], site)
		f.Kind, f.Severity = KindRecordedOutsideVMS, SeverityHigh
		f.Key = findingKey(f.Kind, f.Site, deviceSubjectOf(d, matchedRow[k.device])+"/recorder="+c.IP.String())
		f.Detail = fmt.Sprintf("%s at %s sends video to %s, which is not an approved recording server or viewer: %s", describe(d), addrString(d), c.IP, streamSummary(*c))
		f.Evidence = flowEvidence(d.Evidence, "flow.stream_client", c.IP.String())
		out = append(out, f)
	}

	// unapproved_recorder: every unapproved client that pulls video, and
	// (when the policy names approved recorders) every device the
	// fingerprint calls a recorder that is not one of them.
	var flowOnly []Device
	clients := make([]netip.Addr, 0, len(recordsOf))
	for c := range recordsOf {
		clients = append(clients, c)
	}
	slices.SortFunc(clients, netip.Addr.Compare)
	flagged := map[netip.Addr]bool{}
	for _, c := range clients {
		cams := recordsOf[c]
		sources := make([]netip.Addr, 0, len(cams))
		for _, i := range cams {
			sources = append(sources, devices[i].IP.Unmap())
		}
		slices.SortFunc(sources, netip.Addr.Compare)
		j, known := byIP[c]
		if known {
			devices[j].Records = sources
		} else {
			flowOnly = append(flowOnly, Device{
				IP: c, Class: evidence.Recorder, Records: sources, FlowOnly: true,
				Hostnames: []string{}, OpenPorts: []uint16{}, Evidence: []evidence.Evidence{},
				Why: []string{fmt.Sprintf("pulls video from %d device(s) (flows)", len(sources))},
			})
		}
		if rp.approved(c) {
			continue
		}
		flagged[c] = true
		var f Finding
		var d Device
		var row *Row
		if known {
			d, row = devices[j], matchedRow[j]
		} else {
			d = flowOnly[len(flowOnly)-1]
		}
		f = deviceBase(d, row, site)
		f.Kind, f.Severity = KindUnapprovedRecorder, SeverityHigh
		f.Key = findingKey(f.Kind, f.Site, deviceSubjectOf(d, row))
		f.Detail = fmt.Sprintf("%s pulls video from %d device(s) (%s) and is not an approved recording server%s", c, len(sources), addrList(sources, 8), noneApproved(rp))
		f.Evidence = flowEvidence(d.Evidence, "flow.records", addrList(sources, 64))
		out = append(out, f)
	}
	if rp.enforced {
		for i, d := range devices {
			a := d.IP.Unmap()
			if d.Class != evidence.Recorder || d.FlowOnly || flagged[a] || inAny(rp.recorders, a) {
				continue
			}
			f := deviceBase(d, matchedRow[i], site)
			f.Kind, f.Severity = KindUnapprovedRecorder, SeverityHigh
			f.Key = findingKey(f.Kind, f.Site, deviceSubjectOf(d, matchedRow[i]))
			f.Detail = fmt.Sprintf("%s at %s is a recorder and not an approved recording server", describe(d), addrString(d))
			out = append(out, f)
		}
	}

	// Egress of flow-only recorders counts too: their traffic is in the
	// flows under their own address.
	if judgeFlows && len(flowOnly) > 0 {
		base := len(devices)
		for k, d := range flowOnly {
			for _, f := range obs.Flows {
				for _, side := range [2]bool{true, false} {
					self, peer := f.Server, f.Client
					sent, recv := f.ServerBytes, f.ClientBytes
					if !side {
						self, peer, sent, recv = f.Client, f.Server, recv, sent
					}
					if self.Unmap() == d.IP && rp.external(peer.Unmap()) {
						addEgress(egress, base+k, f, peer, sent, recv)
					}
				}
			}
		}
	}
	all := append(devices, flowOnly...)
	for i := range all {
		peers := egress[i]
		if len(peers) == 0 {
			continue
		}
		list := make([]EgressPeer, 0, len(peers))
		for _, p := range peers {
			list = append(list, *p)
		}
		slices.SortFunc(list, compareEgress)
		all[i].Egress = list
		var row *Row
		if i < len(matchedRow) {
			row = matchedRow[i]
		}
		f := deviceBase(all[i], row, site)
		f.Kind, f.Severity = KindCameraEgress, SeverityCritical
		f.Key = findingKey(f.Kind, f.Site, deviceSubjectOf(all[i], row))
		f.Detail = fmt.Sprintf("%s at %s reaches outside the region's networks: %s", describe(all[i]), addrString(all[i]), egressSummary(list, 5))
		out = append(out, f)
	}
	return out, all
}

type egressKey struct {
	ip    netip.Addr
	port  uint16
	proto uint8
	name  string
}

func addEgress(m map[int]map[egressKey]*EgressPeer, i int, f evidence.Flow, peer netip.Addr, sent, recv uint64) {
	if m[i] == nil {
		m[i] = map[egressKey]*EgressPeer{}
	}
	// The remote's port is the service when it is the server; a remote
	// client reaching in is keyed by the device's port.
	k := egressKey{ip: peer.Unmap(), port: f.Port, proto: f.Proto}
	p := m[i][k]
	if p == nil {
		p = &EgressPeer{IP: peer.Unmap(), Port: f.Port, Proto: protoName(f.Proto), First: f.First, Last: f.Last}
		m[i][k] = p
	}
	p.Sent += sent
	p.Recv += recv
	widen(&p.First, &p.Last, f.First, f.Last)
	p.Sources = unionSources(p.Sources, f.Sources)
}

func addLookup(m map[int]map[egressKey]*EgressPeer, i int, l evidence.DNSLookup) {
	if m[i] == nil {
		m[i] = map[egressKey]*EgressPeer{}
	}
	k := egressKey{name: l.Name}
	p := m[i][k]
	if p == nil {
		p = &EgressPeer{Name: l.Name, Maker: l.Maker, First: l.First, Last: l.Last, Sources: []string{evidence.SourceMirror}}
		m[i][k] = p
	}
	p.Lookups += l.Count
	widen(&p.First, &p.Last, l.First, l.Last)
}

func widen(first, last *time.Time, f, l time.Time) {
	if !f.IsZero() && (first.IsZero() || f.Before(*first)) {
		*first = f
	}
	if l.After(*last) {
		*last = l
	}
}

func mergeStream(m *StreamClient, c StreamClient) {
	m.Bytes += c.Bytes
	widen(&m.First, &m.Last, c.First, c.Last)
	if rankHow(c.How) > rankHow(m.How) {
		m.How, m.Port, m.Proto = c.How, c.Port, c.Proto
	}
	m.Sources = unionSources(m.Sources, c.Sources)
}

// rankHow orders the ways a pull is known, strongest first.
func rankHow(h string) int {
	switch h {
	case evidence.VideoRTSPPlay:
		return 5
	case evidence.VideoRTSPHTTP:
		return 4
	case evidence.VideoRTP:
		return 3
	case evidence.VideoMJPEG:
		return 2
	case "volume":
		return 1
	}
	return 0
}

func unionSources(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func compareEgress(a, b EgressPeer) int {
	// Traffic before lookups, the largest first; then a total order.
	if (a.Name == "") != (b.Name == "") {
		if a.Name == "" {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.Sent+b.Recv, a.Sent+a.Recv); c != 0 {
		return c
	}
	if c := a.IP.Compare(b.IP); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func protoName(p uint8) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	}
	return fmt.Sprintf("ip-%d", p)
}

// deviceBase is the skeleton of every finding about one device: what it
// is, where it is plugged in and how its MAC was learnt, and its row. The
// site is the scanned one, else the row's.
func deviceBase(d Device, row *Row, site string) Finding {
	if row != nil && site == "" {
		site = row.Site
	}
	f := Finding{
		Site: site, IP: addrString(d), MAC: deviceMAC(d),
		Manufacturer: d.Manufacturer, Brand: d.Brand, Model: d.Model, Evidence: d.Evidence,
		MACSource: d.MACSource, Location: d.Location,
	}
	if row != nil {
		f.RegistryID = row.ID
	}
	return f
}

func deviceSubjectOf(d Device, row *Row) string {
	if row != nil {
		return "row=" + row.ID
	}
	return deviceSubject(d)
}

func flowEvidence(ev []evidence.Evidence, field, value string) []evidence.Evidence {
	return append(slices.Clip(ev), evidence.Evidence{Probe: "flow", Field: field, Value: value})
}

func noneApproved(rp recordingPolicy) string {
	if len(rp.recorders) == 0 {
		return " (the policy names no approved recording servers)"
	}
	return ""
}

func streamSummary(c StreamClient) string {
	return fmt.Sprintf("%s from its port %d/%s (%s), seen %s to %s by %s",
		byteSize(c.Bytes), c.Port, c.Proto, howText(c.How), c.First.UTC().Format(time.RFC3339), c.Last.UTC().Format(time.RFC3339), strings.Join(c.Sources, ", "))
}

func howText(h string) string {
	switch h {
	case evidence.VideoRTSPPlay:
		return "an RTSP PLAY"
	case evidence.VideoRTSPHTTP:
		return "RTSP tunnelled in HTTP"
	case evidence.VideoRTP:
		return "RTP negotiated by RTSP SETUP"
	case evidence.VideoMJPEG:
		return "a motion-JPEG stream"
	}
	return "volume alone"
}

func egressSummary(peers []EgressPeer, max int) string {
	parts := make([]string, 0, min(len(peers), max)+1)
	for i, p := range peers {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(peers)-max))
			break
		}
		if p.Name != "" {
			parts = append(parts, fmt.Sprintf("looked up %s (%s cloud) %d time(s), last %s", p.Name, p.Maker, p.Lookups, p.Last.UTC().Format(time.RFC3339)))
			continue
		}
		answer := fmt.Sprintf("%s received", byteSize(p.Recv))
		if p.Recv == 0 {
			answer = "no answer seen"
		}
		parts = append(parts, fmt.Sprintf("%s port %d/%s, %s sent, %s, %s to %s by %s", p.IP, p.Port, p.Proto, byteSize(p.Sent), answer,
			p.First.UTC().Format(time.RFC3339), p.Last.UTC().Format(time.RFC3339), strings.Join(p.Sources, ", ")))
	}
	return strings.Join(parts, "; ")
}

func addrList(as []netip.Addr, max int) string {
	parts := make([]string, 0, min(len(as), max)+1)
	for i, a := range as {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(as)-max))
			break
		}
		parts = append(parts, a.String())
	}
	return strings.Join(parts, ", ")
}

func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
