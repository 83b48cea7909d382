package sweep

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/probe"
)

// Plan is what a sweep would send, computed without sending anything.
type Plan struct {
	Addresses          uint64
	Ranges             []string
	Ports              []string
	Discovery          []string
	Probes             []string
	CameraProbes       []string
	Rate               float64
	MaxInFlightPerHost int
	NonCameraBudget    int
	// Interface is where link-level discovery (ARP, multicast) would run;
	// "" when it would not run at all.
	Interface string
	// Sends lists every kind of packet the sweep sends, to whom, and how
	// many; PacketsMin and PacketsMax are their sums.
	Sends       []PlanSend
	snmpMin     uint64
	snmpMax     uint64
	PacketsMin  uint64
	PacketsMax  uint64
	DurationMin time.Duration
	DurationMax time.Duration
	// InfraDurationMin and InfraDurationMax bound the SNMP harvest, which
	// runs after the probes at its own per-device rates; DurationMin and
	// DurationMax include them.
	InfraDurationMin time.Duration
	InfraDurationMax time.Duration
	Notes            []string
}

// PlanSend is one kind of packet: what, to whom, and bounds on how many:
// at least (each address answering ARP at once, nothing live beyond, no
// answer calling for more) and at most (ARP retried for every address,
// every address a live camera, every follow-up asked).
type PlanSend struct {
	What     string
	To       string
	Min, Max uint64
}

// probeConnsPerHost is a generous estimate of the TCP connections the
// unicast probes make on one camera (two HTTP ports with favicon, RTSP
// twice, vendor paths, ONVIF calls, two UPnP description GETs). The probes'
// UDP datagrams are counted apart, from probe.DatagramPlans.
const probeConnsPerHost = 16

// Seams for tests: the dry run asks the machine, without sending anything,
// which interface the sweep would use and whether it may open raw sockets.
var (
	planInterface = link.ChooseInterface
	planRawSocket = link.CanRawSocket
)

// MakePlan expands the scope and prices the sweep for --dry-run: the same
// choices setupLocal and the engine make, counted instead of sent.
func MakePlan(cfg Config) (Plan, error) {
	if err := cfg.Validate(); err != nil {
		return Plan{}, err
	}
	scope, err := scanner.NewScope(cfg.Targets, cfg.Exclude, cfg.AllowPublic)
	if err != nil {
		return Plan{}, err
	}
	specs := cfg.Ports
	if len(specs) == 0 {
		specs = scanner.DefaultPorts
	}
	ports, err := scanner.ParsePorts(specs)
	if err != nil {
		return Plan{}, err
	}
	all, cameraOnly, names := selectedProbes(&cfg, zerolog.Nop())
	p := Plan{
		Addresses:          scope.Size(),
		Ports:              scanner.PortSpecs(ports),
		Rate:               cfg.Rate,
		MaxInFlightPerHost: 1,
		NonCameraBudget:    scanner.DefaultNonCameraBudget,
	}
	if p.Rate <= 0 {
		p.Rate = scanner.DefaultRate
	}
	for _, r := range scope.Ranges() {
		p.Ranges = append(p.Ranges, r.String())
	}
	for _, pr := range all {
		p.Probes = append(p.Probes, pr.Name())
	}
	for _, pr := range cameraOnly {
		p.CameraProbes = append(p.CameraProbes, pr.Name())
	}
	if cfg.Profile == ProfilePassive {
		p.Discovery = []string{"passive (listen only)"}
		p.Notes = append(p.Notes, "passive: no packet is sent; listening for "+cfg.Listen.String())
		if cfg.Infrastructure != nil {
			p.Notes = append(p.Notes, "snmp: the passive profile sends nothing, to anyone; the infrastructure is not asked")
		}
		return p, nil
	}
	linkOnly := cfg.Profile == ProfileARP

	// Link level: as setupLocal decides it.
	var ifc link.Interface
	arp := false
	if c, err := planInterface(cfg.Interface, scope.Prefixes()); err != nil {
		if cfg.Interface != "" || linkOnly {
			return Plan{}, fmt.Errorf("sweep: profile %s: %w", cfg.Profile, err)
		}
		p.Notes = append(p.Notes, "link-level discovery off (no ARP, no multicast): "+err.Error())
	} else {
		ifc = c
		p.Interface = c.Name
		arp = planRawSocket()
		if !arp {
			if linkOnly {
				return Plan{}, errNoRawSocket
			}
			p.Notes = append(p.Notes, "no CAP_NET_RAW for this process: ARP and passive listening off, every address gets TCP (run as root for ARP)")
		}
	}
	if arp {
		asked, covered := arpTargets(scope, ifc)
		p.Discovery = append(p.Discovery, "arp on "+ifc.Name, "passive")
		p.add(PlanSend{What: "ARP who-has, broadcast (one retry if silent)", To: fmt.Sprintf("%d on-link addresses in scope", asked),
			Min: asked, Max: 2 * asked})
		if foreign := foreignDefaults(&cfg, ifc); len(foreign) > 0 {
			n := uint64(len(foreign))
			p.add(PlanSend{What: "ARP who-has, broadcast, for factory-default addresses outside the scope (one retry if silent)",
				To: strings.Join(foreign, " "), Min: n, Max: 2 * n})
		}
		if !linkOnly {
			// Addresses ARP asked and nobody answered get nothing more.
			p.tcp(cfg, ports, scope.Size()-covered, covered)
		}
	} else if !linkOnly {
		p.tcp(cfg, ports, scope.Size(), 0)
	}
	if linkOnly {
		p.infraPlan(cfg)
		p.finish()
		return p, nil
	}
	if p.Interface != "" {
		for _, d := range probe.DatagramPlans() {
			p.Discovery = append(p.Discovery, d.Probe+" multicast")
			ttl := "TTL 1"
			if d.Probe == "mdns" {
				ttl = "TTL 255, link-local group"
			}
			p.add(PlanSend{What: fmt.Sprintf("%s multicast query, UDP, %s", d.Probe, ttl),
				To:  fmt.Sprintf("%s on %s: %s", d.Group, p.Interface, d.Reaches),
				Min: uint64(d.Queries), Max: uint64(d.Queries + d.FollowUps)})
		}
	}
	// The unicast UDP probes, on camera-looking hosts (every live host in
	// the full profile).
	for _, d := range probe.DatagramPlans() {
		if !slices.Contains(names, d.Probe) {
			continue
		}
		port := d.Port
		if o := cfg.UDPPorts[d.Probe]; o != 0 {
			port = o
		}
		p.add(PlanSend{What: fmt.Sprintf("%s unicast query, UDP", d.Probe), To: fmt.Sprintf("port %d of each camera-looking host", port),
			Min: 0, Max: p.Addresses * uint64(d.Queries+d.FollowUps)})
	}
	p.infraPlan(cfg)
	p.finish()
	return p, nil
}

// tcp adds the TCP connection attempts: the first ports of each address no
// local discovery covers, and at most the whole port set, a second try of
// each port but one (a port silent on a host that answered on another is
// tried again) and the probes' connections on every address.
func (p *Plan) tcp(cfg Config, ports []scanner.Port, uncovered, covered uint64) {
	p.Discovery = append(p.Discovery, "tcp connect")
	ping := uint64(min(scanner.DefaultPingPorts, len(ports)))
	perHost := uint64(max(2*len(ports)-1, 0)) + probeConnsPerHost
	to := "the port set of each address in scope"
	if covered > 0 {
		to += fmt.Sprintf(" (the %d addresses ARP covers: only those that answered)", covered)
	}
	p.add(PlanSend{What: "TCP connection attempts (SYN), port checks and probes", To: to,
		Min: uncovered * ping, Max: (uncovered + covered) * perHost})
}

func (p *Plan) add(s PlanSend) {
	if strings.HasPrefix(s.What, "SNMP ") {
		p.snmpMin += s.Min
		p.snmpMax += s.Max
	}
	p.Sends = append(p.Sends, s)
	p.PacketsMin += s.Min
	p.PacketsMax += s.Max
}

func (p *Plan) finish() {
	p.DurationMin = time.Duration(float64(p.PacketsMin-p.snmpMin)/p.Rate*float64(time.Second)) + p.InfraDurationMin
	p.DurationMax = time.Duration(float64(p.PacketsMax-p.snmpMax)/p.Rate*float64(time.Second)) + p.InfraDurationMax
}

// arpTargets counts the scope addresses the ARP sweep asks (on-link, not
// the subnet's network or broadcast address, not our own) and those it
// covers (every on-link address: one that did not answer is sent nothing).
func arpTargets(scope *scanner.Scope, ifc link.Interface) (asked, covered uint64) {
	for a := range scope.Addrs() {
		if !a.Is4() || !ifc.OnLink(a) {
			continue
		}
		covered++
		if a == ifc.Addr || subnetEdge(a, ifc) {
			continue
		}
		asked++
	}
	return asked, covered
}

// subnetEdge reports the network and broadcast address of the on-link
// subnet holding a (for subnets that have them), which ARP never asks.
func subnetEdge(a netip.Addr, ifc link.Interface) bool {
	for _, pf := range ifc.Prefixes {
		if !pf.Contains(a) || pf.Bits() >= 31 || !pf.Addr().Is4() {
			continue
		}
		pf = pf.Masked()
		first := pf.Addr()
		b := first.As4()
		host := uint32(1)<<(32-pf.Bits()) - 1
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
		last := [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		return a == first || a.As4() == last
	}
	return false
}

// foreignDefaults lists the factory-default addresses the ARP sweep also
// asks: those not on the interface's subnets and not excluded.
func foreignDefaults(cfg *Config, ifc link.Interface) []string {
	excluded, err := exclusionCheck(cfg)
	if err != nil {
		excluded = nil
	}
	var out []string
	for _, d := range scanner.FactoryDefaultAddrs() {
		if !d.Is4() || ifc.OnLink(d) || (excluded != nil && excluded(d)) {
			continue
		}
		out = append(out, d.String())
	}
	return out
}
