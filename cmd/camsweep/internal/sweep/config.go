package sweep

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// Profiles say what a sweep may send (README, "Safety").
const (
	ProfilePassive = "passive" // listen only
	ProfileARP     = "arp"     // ARP only
	ProfileGentle  = "gentle"  // discovery, banners; camera probes on camera-looking hosts only
	ProfileFull    = "full"    // every probe on every live host
)

// Profiles lists the profile names in order of how much they send.
var Profiles = []string{ProfilePassive, ProfileARP, ProfileGentle, ProfileFull}

// Config is one sweep of one site.
type Config struct {
	Site        string
	Targets     []string
	Exclude     []string
	ExcludeOUIs []string
	AllowPublic bool
	Ports       []string
	Profile     string
	// Probes, when set, narrows the profile's probes to these names.
	Probes         []string
	Rate           float64
	ConnectTimeout time.Duration
	ProbeTimeout   time.Duration
	HostTimeout    time.Duration
	Workers        int
	// Interface is the L2 interface for ARP, passive listening and
	// multicast discovery; empty picks the one whose subnet holds the
	// targets, and none is used when the targets lie on no local subnet.
	Interface string
	// Pcap, when set, records every frame the L2 probes send and receive.
	Pcap string
	// UDPPorts moves a UDP discovery service off its standard port
	// ("ssdp" 1900, "mdns" 5353), for devices, or emulations, that serve
	// it elsewhere.
	UDPPorts map[string]uint16
	// RouterMACs are the segment's routers: passive listening never takes
	// their MAC for an off-subnet host's (the default gateway's is
	// learned from its ARP).
	RouterMACs []string
	// Targeted is a look at the few targets alone, triggered by what the
	// passive listener heard: no multicast query that would reach the
	// whole segment, and no listener of its own (the caller heard the
	// host already).
	Targeted bool
	// Listen is how long the passive profile listens.
	Listen      time.Duration
	Credentials probe.Credentials
	// Infrastructure, when set, names the routers and switches whose
	// tables are read over SNMP after the probes (docs/infrastructure.md);
	// InfraCredentials are its resolved credential profiles.
	Infrastructure   *snmp.Config
	InfraCredentials map[string]snmp.Credential
}

// Validate checks what can be checked without touching the network.
func (c *Config) Validate() error {
	if c.Profile == "" {
		c.Profile = ProfileGentle
	}
	if !slices.Contains(Profiles, c.Profile) {
		return fmt.Errorf("sweep: unknown profile %q (want %s)", c.Profile, strings.Join(Profiles, ", "))
	}
	for _, p := range c.Probes {
		if _, ok := proberCatalogue[p]; !ok {
			return fmt.Errorf("sweep: unknown probe %q (want %s)", p, strings.Join(ProbeNames(), ", "))
		}
	}
	for _, o := range c.ExcludeOUIs {
		if _, err := normaliseOUI(o); err != nil {
			return err
		}
	}
	for name := range c.UDPPorts {
		if name != "ssdp" && name != "mdns" {
			return fmt.Errorf("sweep: UDP port override for %q: only ssdp and mdns can be moved", name)
		}
	}
	// 0 means the default; NaN and ±Inf would sweep unthrottled.
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		return fmt.Errorf("sweep: rate %v: want a positive, finite number of packets per second", c.Rate)
	}
	if c.Infrastructure != nil {
		if probs := c.Infrastructure.Validate(); len(probs) > 0 {
			return fmt.Errorf("sweep: infrastructure: %w", probs[0])
		}
	}
	return c.checkLinkLayer(link.RawFramesSupported)
}

// checkLinkLayer refuses, before anything is sent, what needs raw frames
// on a system that has none (rawFrames false: not Linux). The gentle and
// full profiles still run there, over TCP and UDP.
func (c *Config) checkLinkLayer(rawFrames bool) error {
	if rawFrames {
		return nil
	}
	if c.Profile == ProfilePassive || c.Profile == ProfileARP {
		return fmt.Errorf("sweep: profile %s: %w", c.Profile, link.ErrNeedsLinux)
	}
	if c.Pcap != "" {
		return fmt.Errorf("sweep: --pcap %s: %w", c.Pcap, link.ErrNeedsLinux)
	}
	return nil
}

// normaliseOUI turns "00:40:8C", "00-40-8c" or "00408C" (or a longer
// MA-M/MA-S prefix) into lower-case hex without separators.
func normaliseOUI(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f':
			b.WriteRune(r)
		case r == ':' || r == '-' || r == '.':
		default:
			return "", fmt.Errorf("sweep: OUI %q: not hexadecimal", s)
		}
	}
	if n := b.Len(); n < 6 || n > 12 {
		return "", fmt.Errorf("sweep: OUI %q: want 3 to 6 bytes", s)
	}
	return b.String(), nil
}

// macExcluder builds the predicate for excluded OUIs.
func macExcluder(ouis []string) func(string) bool {
	var prefixes []string
	for _, o := range ouis {
		if p, err := normaliseOUI(o); err == nil {
			prefixes = append(prefixes, p)
		}
	}
	if len(prefixes) == 0 {
		return nil
	}
	return func(mac string) bool {
		hex := strings.NewReplacer(":", "", "-", "", ".", "").Replace(strings.ToLower(mac))
		for _, p := range prefixes {
			if strings.HasPrefix(hex, p) {
				return true
			}
		}
		return false
	}
}
