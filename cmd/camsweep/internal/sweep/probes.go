package sweep

import (
	"slices"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/probe"
)

// proberSpec describes one unicast probe: how to build it, and whether it
// is a camera probe (run only on camera-looking hosts in the gentle profile).
type proberSpec struct {
	build      func(cfg *Config, log zerolog.Logger) scanner.Prober
	cameraOnly bool
	order      int // cheapest first
}

// proberCatalogue is the dispatch table of unicast probes, an explicit map
// rather than init() registration so the whole set reads in one place.
var proberCatalogue = map[string]proberSpec{
	"rtsp": {order: 10, build: func(_ *Config, log zerolog.Logger) scanner.Prober { return probe.NewRTSPProber(log) }},
	"http": {order: 20, build: func(_ *Config, log zerolog.Logger) scanner.Prober { return probe.NewHTTPProber(log) }},
	"wsd": {order: 30, cameraOnly: true, build: func(_ *Config, log zerolog.Logger) scanner.Prober {
		return probe.NewWSDProber(probe.DatagramOptions{}, log)
	}},
	"sadp": {order: 31, cameraOnly: true, build: func(_ *Config, log zerolog.Logger) scanner.Prober {
		return probe.NewSADPProber(probe.DatagramOptions{}, log)
	}},
	"dhip": {order: 32, cameraOnly: true, build: func(_ *Config, log zerolog.Logger) scanner.Prober {
		return probe.NewDHIPProber(probe.DatagramOptions{}, log)
	}},
	"ssdp": {order: 33, cameraOnly: true, build: func(cfg *Config, log zerolog.Logger) scanner.Prober {
		return probe.NewSSDPProber(probe.SSDPOptions{Port: cfg.UDPPorts["ssdp"]}, log)
	}},
	"mdns": {order: 34, cameraOnly: true, build: func(cfg *Config, log zerolog.Logger) scanner.Prober {
		return probe.NewMDNSProber(probe.MDNSOptions{Port: cfg.UDPPorts["mdns"]}, log)
	}},
	"isapi":   {order: 40, cameraOnly: true, build: func(_ *Config, log zerolog.Logger) scanner.Prober { return probe.NewISAPIProber(log) }},
	"dahua":   {order: 41, cameraOnly: true, build: func(_ *Config, log zerolog.Logger) scanner.Prober { return probe.NewDahuaProber(log) }},
	"reolink": {order: 42, cameraOnly: true, build: func(_ *Config, log zerolog.Logger) scanner.Prober { return probe.NewReolinkProber(log) }},
	"onvif": {order: 50, cameraOnly: true, build: func(cfg *Config, log zerolog.Logger) scanner.Prober {
		return probe.NewONVIFProber(cfg.Credentials, probe.ONVIFOptions{}, log)
	}},
}

// ProbeNames lists the unicast probes, cheapest first.
func ProbeNames() []string {
	names := make([]string, 0, len(proberCatalogue))
	for n := range proberCatalogue {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return proberCatalogue[a].order - proberCatalogue[b].order })
	return names
}

// selectedProbes returns the probes the profile allows, narrowed by
// cfg.Probes, split into those for every host and those for cameras only.
func selectedProbes(cfg *Config, log zerolog.Logger) (all, cameraOnly []scanner.Prober, names []string) {
	if cfg.Profile == ProfilePassive || cfg.Profile == ProfileARP {
		return nil, nil, nil
	}
	for _, n := range ProbeNames() {
		if len(cfg.Probes) > 0 && !slices.Contains(cfg.Probes, n) {
			continue
		}
		spec := proberCatalogue[n]
		p := spec.build(cfg, log.With().Str("probe", n).Logger())
		names = append(names, n)
		if spec.cameraOnly && cfg.Profile == ProfileGentle {
			cameraOnly = append(cameraOnly, p)
		} else {
			all = append(all, p)
		}
	}
	return all, cameraOnly, names
}
