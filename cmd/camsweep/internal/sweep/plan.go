package sweep

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
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
	PacketsMin         uint64
	PacketsMax         uint64
	DurationMin        time.Duration
	DurationMax        time.Duration
	Notes              []string
}

// probeConnsPerHost is a generous estimate of the connections the unicast
// probes make on one camera (two HTTP ports with favicon, RTSP twice,
// vendor paths, ONVIF calls, WS-Discovery datagrams).
const probeConnsPerHost = 16

// MakePlan expands the scope and prices the sweep for --dry-run.
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
	all, cameraOnly, _ := selectedProbes(&cfg, zerolog.Nop())
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
	switch cfg.Profile {
	case ProfilePassive:
		p.Discovery = []string{"passive (listen only)"}
		p.Notes = append(p.Notes, "passive: no packet is sent; listening for "+cfg.Listen.String())
		return p, nil
	case ProfileARP:
		p.Discovery = []string{"arp (targets on the chosen interface's subnet)", "passive"}
		p.PacketsMin = p.Addresses
		p.PacketsMax = 2 * p.Addresses // one retry for every silent address
	default:
		p.Discovery = []string{"arp where the targets are on a local subnet", "tcp connect elsewhere", "passive"}
		ping := uint64(min(scanner.DefaultPingPorts, len(ports)))
		p.PacketsMin = p.Addresses * ping
		p.PacketsMax = p.Addresses * (uint64(len(ports)) + probeConnsPerHost)
	}
	p.DurationMin = time.Duration(float64(p.PacketsMin) / p.Rate * float64(time.Second))
	p.DurationMax = time.Duration(float64(p.PacketsMax) / p.Rate * float64(time.Second))
	return p, nil
}
