package snmp

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Config names the infrastructure devices a site lets camsweep ask, and
// how. It is the `infrastructure:` block of a daemon site, or the file
// `camsweep scan --infrastructure` reads (deploy/examples/infrastructure.yaml).
type Config struct {
	// CredentialsFile holds the credential profiles with their secrets
	// (SNMP communities, v3 passwords); keep it mode 0600. Relative to the
	// configuration's own file.
	CredentialsFile string `yaml:"credentials_file"`
	// Credentials are profiles given here, with secrets only by reference
	// to the environment (community_env, auth_password_env,
	// priv_password_env): a configuration file never holds a secret.
	Credentials map[string]CredentialSpec `yaml:"credentials"`
	Defaults    Tuning                    `yaml:"defaults"`
	Devices     []Device                  `yaml:"devices"`
	// Parallel is how many devices are harvested at once.
	Parallel int `yaml:"parallel"`
	// MaxDuration bounds the whole harvest.
	MaxDuration time.Duration `yaml:"max_duration"`
}

// Roles say which tables the harvest reads from a device.
const (
	RoleRouter = "router" // neighbour (ARP) table: a MAC for every routed address
	RoleSwitch = "switch" // forwarding tables, ports and LLDP: where each MAC is plugged in
)

// Device is one router or switch.
type Device struct {
	// Name is the operator's name for the device, as findings show it;
	// empty takes the device's sysName.
	Name string `yaml:"name"`
	// AddressText is the address as written; Validate parses it into
	// Address (a library caller may set Address directly).
	AddressText string     `yaml:"address"`
	Address     netip.Addr `yaml:"-"`
	// Port is the agent's UDP port (161).
	Port  uint16   `yaml:"port"`
	Roles []string `yaml:"roles"`
	// Credentials names a profile.
	Credentials string `yaml:"credentials"`
	// Uplinks are ports (ifName, ifDescr or ifIndex) that lead to other
	// switches or routers; no device is ever located on one.
	Uplinks []string `yaml:"uplinks"`
	// VLANs, when set, are the VLANs whose bridge tables are read one by
	// one (Cisco community string indexing or SNMPv3 contexts), instead
	// of those the switch lists in CISCO-VTP-MIB (docs/infrastructure.md).
	VLANs  []int `yaml:"vlans"`
	Tuning `yaml:",inline"`
}

// Tuning bounds what the harvest asks of one device. Zero fields take
// the defaults' value, then the package default.
type Tuning struct {
	// Timeout is how long one request waits for its answer.
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how often an unanswered request is sent again (0: never).
	Retries *int `yaml:"retries"`
	// MaxRepetitions is the GETBULK max-repetitions: rows per request.
	MaxRepetitions uint32 `yaml:"max_repetitions"`
	// Rate is requests per second to this device.
	Rate float64 `yaml:"rate"`
	// MaxEntries caps the rows read from any one table; a table cut short
	// is reported, and what was read is used.
	MaxEntries int `yaml:"max_entries"`
	// MaxDuration bounds the whole harvest of this device.
	MaxDuration time.Duration `yaml:"max_duration"`
	// UplinkMACs: a switch port behind which more MACs than this were
	// learnt leads to more switches, not to a device.
	UplinkMACs int `yaml:"uplink_mac_threshold"`
	// VLANIndexing says whether a switch's bridge tables are read per VLAN
	// (VLANIndexingAuto, On, Off): Cisco Catalysts serve no Q-BRIDGE
	// forwarding table, only one BRIDGE-MIB instance per VLAN.
	VLANIndexing string `yaml:"vlan_indexing"`
	// MaxVLANs caps the VLANs read one by one on one switch.
	MaxVLANs int `yaml:"max_vlans"`
	// VLANMaxDuration bounds the per-VLAN reads of one switch together
	// (within MaxDuration).
	VLANMaxDuration time.Duration `yaml:"vlan_max_duration"`
}

// Per-VLAN indexing modes (Tuning.VLANIndexing).
const (
	// VLANIndexingAuto reads per VLAN when the switch serves no Q-BRIDGE
	// forwarding entries and lists its VLANs in CISCO-VTP-MIB (or the
	// device names them).
	VLANIndexingAuto = "auto"
	// VLANIndexingOn always reads per VLAN (a switch with Q-BRIDGE too).
	VLANIndexingOn = "on"
	// VLANIndexingOff never does.
	VLANIndexingOff = "off"
)

// Package defaults, documented in docs/infrastructure.md.
const (
	DefaultTimeout        = 2 * time.Second
	DefaultRetries        = 1
	DefaultMaxRepetitions = 25
	DefaultRate           = 50
	DefaultMaxEntries     = 200_000
	DefaultDeviceDuration = 5 * time.Minute
	DefaultUplinkMACs     = 10
	DefaultParallel       = 4
	DefaultMaxVLANs       = 64
	DefaultVLANDuration   = 2 * time.Minute
	DefaultMaxDuration    = 10 * time.Minute
	DefaultPort           = 161
)

// Limits on what a configuration may ask for.
const (
	maxRepetitionsLimit = 100 // larger answers outgrow one UDP datagram on most agents
	maxRateLimit        = 1000
	maxEntriesLimit     = 2_000_000
	maxRetriesLimit     = 5
	maxVLANsLimit       = 4094
)

// Problem is one thing wrong with a Config, at a path of keys (string)
// and sequence indexes (int) below the configuration's root, so the
// caller can name the file's line and column.
type Problem struct {
	Path []any
	Msg  string
}

func (p Problem) Error() string {
	var b strings.Builder
	for _, k := range p.Path {
		switch k := k.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, k)
		}
	}
	return b.String() + ": " + p.Msg
}

// resolve fills a device's tuning from the defaults, then the package's.
func (t Tuning) resolve(d Tuning) Tuning {
	pick := func(v, dv, pv int) int {
		switch {
		case v != 0:
			return v
		case dv != 0:
			return dv
		}
		return pv
	}
	out := t
	out.Timeout = time.Duration(pick(int(t.Timeout), int(d.Timeout), int(DefaultTimeout)))
	switch {
	case t.Retries != nil:
	case d.Retries != nil:
		out.Retries = d.Retries
	default:
		r := DefaultRetries
		out.Retries = &r
	}
	out.MaxRepetitions = uint32(pick(int(t.MaxRepetitions), int(d.MaxRepetitions), DefaultMaxRepetitions))
	out.Rate = t.Rate
	if out.Rate == 0 {
		out.Rate = d.Rate
	}
	if out.Rate == 0 {
		out.Rate = DefaultRate
	}
	out.MaxEntries = pick(t.MaxEntries, d.MaxEntries, DefaultMaxEntries)
	out.MaxDuration = time.Duration(pick(int(t.MaxDuration), int(d.MaxDuration), int(DefaultDeviceDuration)))
	out.UplinkMACs = pick(t.UplinkMACs, d.UplinkMACs, DefaultUplinkMACs)
	out.VLANIndexing = cmp.Or(t.VLANIndexing, d.VLANIndexing, VLANIndexingAuto)
	out.MaxVLANs = pick(t.MaxVLANs, d.MaxVLANs, DefaultMaxVLANs)
	out.VLANMaxDuration = time.Duration(pick(int(t.VLANMaxDuration), int(d.VLANMaxDuration), int(DefaultVLANDuration)))
	return out
}

// Resolved is a device with its tuning filled in.
func (c *Config) Resolved(i int) Device {
	d := c.Devices[i]
	d.Tuning = d.Tuning.resolve(c.Defaults)
	if d.Port == 0 {
		d.Port = DefaultPort
	}
	return d
}

// Label is how reports and metrics name a device before its sysName is
// known: its configured name, or its address.
func (d Device) Label() string {
	if d.Name != "" {
		return d.Name
	}
	return d.Address.String()
}

// Has reports whether the device plays the role.
func (d Device) Has(role string) bool { return slices.Contains(d.Roles, role) }

// Validate checks the configuration without touching the network or
// reading the credentials file: every problem, each at its path.
func (c *Config) Validate() []Problem {
	var out []Problem
	add := func(msg string, path ...any) { out = append(out, Problem{Path: path, Msg: msg}) }
	if c.Parallel < 0 || c.Parallel > 64 {
		add("must be between 1 and 64", "parallel")
	}
	if c.MaxDuration < 0 {
		add("must be positive", "max_duration")
	}
	out = append(out, c.Defaults.validate("defaults")...)
	for name, spec := range c.Credentials {
		for _, p := range spec.validate(false) {
			out = append(out, Problem{Path: append([]any{"credentials", name}, p.Path...), Msg: p.Msg})
		}
	}
	if len(c.Devices) == 0 {
		add("no devices: name at least one router or switch", "devices")
	}
	seenAddr := map[netip.AddrPort]int{}
	seenName := map[string]int{}
	for i := range c.Devices {
		d := &c.Devices[i]
		at := func(msg string, path ...any) { add(msg, append([]any{"devices", i}, path...)...) }
		if d.AddressText != "" {
			a, err := netip.ParseAddr(strings.TrimSpace(d.AddressText))
			if err != nil {
				at(fmt.Sprintf("address %q is not an IP address (no host names: the sweep must know exactly where its packets go)", d.AddressText), "address")
				continue
			}
			d.Address = a.Unmap()
		}
		switch {
		case !d.Address.IsValid():
			at("address is required (an IPv4 or IPv6 address, no host name: the sweep must know exactly where its packets go)", "address")
		case d.Address.IsUnspecified() || d.Address.IsMulticast():
			at(fmt.Sprintf("address %s cannot be an SNMP agent", d.Address), "address")
		}
		port := d.Port
		if port == 0 {
			port = DefaultPort
		}
		ap := netip.AddrPortFrom(d.Address, port)
		if j, dup := seenAddr[ap]; dup && d.Address.IsValid() {
			at(fmt.Sprintf("address %s is already devices[%d]", ap, j), "address")
		}
		seenAddr[ap] = i
		if d.Name != "" {
			if j, dup := seenName[d.Name]; dup {
				at(fmt.Sprintf("name %q is already devices[%d]", d.Name, j), "name")
			}
			seenName[d.Name] = i
		}
		if len(d.Roles) == 0 {
			at("roles is required: router (neighbour table), switch (forwarding tables, ports, LLDP), or both", "roles")
		}
		for k, r := range d.Roles {
			if r != RoleRouter && r != RoleSwitch {
				at(fmt.Sprintf("unknown role %q (want router or switch)", r), "roles", k)
			}
		}
		if d.Credentials == "" {
			at("credentials is required: the name of a credential profile", "credentials")
		} else if _, ok := c.Credentials[d.Credentials]; !ok && c.CredentialsFile == "" {
			at(fmt.Sprintf("credential profile %q is not defined (no credentials_file, and not under credentials)", d.Credentials), "credentials")
		}
		for k, u := range d.Uplinks {
			if strings.TrimSpace(u) == "" {
				at("empty uplink name", "uplinks", k)
			}
		}
		seenVLAN := map[int]bool{}
		for k, v := range d.VLANs {
			switch {
			case v < 1 || v > 4094:
				at(fmt.Sprintf("VLAN %d: want 1 to 4094", v), "vlans", k)
			case seenVLAN[v]:
				at(fmt.Sprintf("VLAN %d is listed twice", v), "vlans", k)
			}
			seenVLAN[v] = true
		}
		if len(d.VLANs) > 0 && !d.Has(RoleSwitch) {
			at("vlans are read from switches: add the switch role, or drop the list", "vlans")
		}
		if len(d.VLANs) > 0 && d.VLANIndexing == VLANIndexingOff {
			at("vlans are listed but vlan_indexing is off", "vlans")
		}
		for _, p := range d.Tuning.validate() {
			out = append(out, Problem{Path: append([]any{"devices", i}, p.Path...), Msg: p.Msg})
		}
	}
	return out
}

func (t Tuning) validate(prefix ...any) []Problem {
	var out []Problem
	add := func(msg, key string) { out = append(out, Problem{Path: append(slices.Clone(prefix), key), Msg: msg}) }
	if t.Timeout < 0 || t.Timeout > time.Minute {
		add("must be between 0 and 1m", "timeout")
	}
	if t.Retries != nil && (*t.Retries < 0 || *t.Retries > maxRetriesLimit) {
		add(fmt.Sprintf("must be between 0 and %d", maxRetriesLimit), "retries")
	}
	if t.MaxRepetitions > maxRepetitionsLimit {
		add(fmt.Sprintf("at most %d (larger answers outgrow a datagram)", maxRepetitionsLimit), "max_repetitions")
	}
	if t.Rate < 0 || t.Rate > maxRateLimit {
		add(fmt.Sprintf("must be between 0 and %d requests per second", maxRateLimit), "rate")
	}
	if t.MaxEntries < 0 || t.MaxEntries > maxEntriesLimit {
		add(fmt.Sprintf("must be between 0 and %d", maxEntriesLimit), "max_entries")
	}
	if t.MaxDuration < 0 {
		add("must be positive", "max_duration")
	}
	if t.UplinkMACs < 0 {
		add("must be positive", "uplink_mac_threshold")
	}
	switch t.VLANIndexing {
	case "", VLANIndexingAuto, VLANIndexingOn, VLANIndexingOff:
	default:
		add(fmt.Sprintf("unknown mode %q (want auto, on or off)", t.VLANIndexing), "vlan_indexing")
	}
	if t.MaxVLANs < 0 || t.MaxVLANs > maxVLANsLimit {
		add(fmt.Sprintf("must be between 0 and %d", maxVLANsLimit), "max_vlans")
	}
	if t.VLANMaxDuration < 0 {
		add("must be positive", "vlan_max_duration")
	}
	return out
}

// Addresses lists the devices' agent addresses, in configuration order:
// the only destinations the harvest ever sends to.
func (c *Config) Addresses() []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(c.Devices))
	for i := range c.Devices {
		d := c.Resolved(i)
		out = append(out, netip.AddrPortFrom(d.Address, d.Port))
	}
	return out
}
