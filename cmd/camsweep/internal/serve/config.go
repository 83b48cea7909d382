package serve

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/camsweep/camsweep/internal/yamlpos"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// Config is the daemon's configuration file (deploy/examples/camsweep.yaml
// is the commented reference). Relative paths in it are resolved against the
// file's directory, so a config and its registry can travel together.
type Config struct {
	// Listen is the HTTP address, host:port.
	Listen string `yaml:"listen"`
	// TLS serves HTTPS when set.
	TLS *TLS `yaml:"tls"`
	// APITokensFile holds the bearer tokens, one a line; blank lines and
	// lines starting with # are ignored.
	APITokensFile string `yaml:"api_tokens_file"`
	// MetricsAuth is "open" (the default: Prometheus scrapes without a
	// token) or "token". The status page follows it, since it shows the
	// same facts.
	MetricsAuth string `yaml:"metrics_auth"`
	// SecretFiles is what a token file or TLS key readable by users other
	// than its owner gets: "warn" (the default) or "refuse".
	SecretFiles string `yaml:"secret_files"`
	// AllowedHosts are the host names the sensor is reached by. The pages
	// served without a token (metrics_auth: open) answer only requests
	// naming one of them, or an address (DNS rebinding). Default: the
	// listen address, localhost and the machine's host name.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// RegistryLimits bound what each site's registry may hold (0 keeps a
	// default; see inventory.Limits): a registry over a limit fails the
	// scan loudly, and the last good one is kept.
	RegistryLimits RegistryLimits `yaml:"registry_limits"`
	// History is the SQLite history store.
	History History `yaml:"history"`
	// ShutdownTimeout bounds a graceful shutdown: running scans are
	// cancelled and recorded, open requests finish.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Flows turns on the sensor's flow sources (a mirror port, a NetFlow
	// collector); nil for none. A change takes a restart.
	Flows *FlowsConfig `yaml:"flows"`
	Sites []Site       `yaml:"sites"`

	path     string
	tokens   []tokenHash
	guard    hostGuard
	warnings []string
}

// Warnings are what the configuration allows but should not: secrets open
// to other users, clear text on the network. The daemon logs them at start
// and on reload; --check-config prints them.
func (c *Config) Warnings() []string { return c.warnings }

// hostGuard is the Host check for the pages served without a token.
func (c *Config) hostGuard() hostGuard { return c.guard }

// TLS names the certificate and key files (PEM).
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// RegistryLimits is inventory.Limits as the configuration writes it.
type RegistryLimits struct {
	MaxRows        int   `yaml:"max_rows"`
	MaxBytes       int64 `yaml:"max_bytes"`
	MaxRecordBytes int   `yaml:"max_record_bytes"`
	MaxYAMLBytes   int64 `yaml:"max_yaml_bytes"`
}

// Limits converts to inventory.Limits.
func (r RegistryLimits) Limits() inventory.Limits {
	return inventory.Limits{MaxRows: r.MaxRows, MaxBytes: r.MaxBytes, MaxRecordBytes: r.MaxRecordBytes, MaxYAMLBytes: r.MaxYAMLBytes}
}

// History configures the history database.
type History struct {
	Path string `yaml:"path"`
	// Retention is how long finished scans, their sightings and resolved
	// findings are kept; each site's newest complete scan is always kept.
	Retention time.Duration `yaml:"retention"`
	// FileMode is the database file's permissions when camsweep creates it,
	// in octal ("0600", the default: it names every camera, its address
	// and its findings). An existing file keeps its own.
	FileMode string `yaml:"file_mode"`

	mode fs.FileMode
}

// Mode is FileMode parsed.
func (h History) Mode() fs.FileMode { return h.mode }

// Site is one scanned site: what to sweep, how, when, and what to hold the
// result against.
type Site struct {
	// Name is the site as the registry's site column names it (e.g. NOH).
	Name     string    `yaml:"name"`
	Scope    SiteScope `yaml:"scope"`
	Schedule Schedule  `yaml:"schedule"`
	// Ports are port specs for scanner.ParsePorts ("80", "8000-8010",
	// "10554/rtsp"); empty means scanner.DefaultPorts.
	Ports []string `yaml:"ports"`
	// Profile is what may be sent: passive, arp, gentle or full.
	Profile string `yaml:"profile"`
	// Rate is new packets or connections per second, for the whole site.
	Rate float64 `yaml:"rate"`
	// CredentialsFile holds optional ONVIF credentials for the sweep.
	CredentialsFile string `yaml:"credentials_file"`
	// Interface is the site's link-level interface: ARP, multicast
	// discovery and passive listening. Empty: the one interface whose
	// subnet holds the scope, if any.
	Interface string `yaml:"interface"`
	// Passive listens continuously on the interface and looks at each new
	// device at once (docs/passive.md). Unset: on where the site has a
	// link-level interface; true: required (a listener that cannot listen
	// is an alert); false: off.
	Passive *bool `yaml:"passive"`
	// RouterMACs are the segment's routers: what they forward never gives
	// an off-subnet host their MAC (the default gateway's is learned).
	RouterMACs []string `yaml:"router_macs"`
	// TriggeredProbesPerMinute is the budget of looks at new devices
	// (default 20); 0 takes the default.
	TriggeredProbesPerMinute int `yaml:"triggered_probes_per_minute"`
	// Registry and Policy are the files the sweep is reconciled against;
	// they are re-read before a scan whenever they change.
	Registry        string              `yaml:"registry"`
	Policy          string              `yaml:"policy"`
	RegistryColumns inventory.ColumnMap `yaml:"registry_columns"`
	// RegistryColumnsFile is the same mapping in its own file (as
	// `camsweep registry check --columns` reads it); give one or the other.
	RegistryColumnsFile string `yaml:"registry_columns_file"`
	// Infrastructure names the site's routers and switches, asked over
	// SNMP after each sweep for MACs and switch ports
	// (docs/infrastructure.md); InfrastructureFile is the same in a file
	// of its own (as `camsweep scan --infrastructure` reads it).
	Infrastructure     *snmp.Config `yaml:"infrastructure"`
	InfrastructureFile string       `yaml:"infrastructure_file"`
	// VMS is the site's central VMS; with it, not_on_central_vms is judged
	// from the VMS's own list, not the registry's vms column.
	VMS *VMSConfig `yaml:"vms"`

	scope *scanner.Scope
}

// SiteScope is what a sweep may touch. Exclusions win over targets.
type SiteScope struct {
	// Targets and Exclude take prefixes, ranges and addresses.
	Targets []string `yaml:"targets"`
	Exclude []string `yaml:"exclude"`
	// ExcludeOUIs are MAC prefixes (e.g. a medical-device maker's block)
	// never to be probed beyond discovery.
	ExcludeOUIs []string `yaml:"exclude_ouis"`
	// AllowPublic permits targets outside private address space.
	AllowPublic bool `yaml:"allow_public"`
}

// Schedule says when a site is swept. On-demand sweeps come through the
// API at any time.
type Schedule struct {
	Interval time.Duration `yaml:"interval"`
	// Jitter delays each run by a random amount in [0, Jitter), so that
	// sites sharing a sensor and sensors sharing a WAN link do not start
	// together.
	Jitter     time.Duration `yaml:"jitter"`
	QuietHours *QuietHours   `yaml:"quiet_hours"`
}

// QuietHours is a daily window in which no scheduled scan starts (e.g. the
// morning rounds). End before Start wraps past midnight.
type QuietHours struct {
	Start    string `yaml:"start"` // HH:MM
	End      string `yaml:"end"`   // HH:MM
	Timezone string `yaml:"timezone"`

	start, end int // minutes after midnight
	loc        *time.Location
}

// Profiles a site may use (README, "Safety").
var Profiles = []string{"passive", "arp", "gentle", "full"}

// Defaults applied by LoadConfig.
const (
	DefaultListen          = "127.0.0.1:9750"
	DefaultInterval        = 6 * time.Hour
	DefaultProfile         = "gentle"
	DefaultRate            = 50
	DefaultRetention       = 90 * 24 * time.Hour
	DefaultShutdownTimeout = 30 * time.Second
	DefaultHistoryPath     = "camsweep-history.db"
)

// inScope reports whether addr is in the site's scope, exclusions applied.
func (s Site) inScope(addr netip.Addr) bool { return s.scope != nil && s.scope.Contains(addr) }

// ScannerScope is the site's parsed scope, ready for the scanner.
func (s Site) ScannerScope() *scanner.Scope { return s.scope }

// InventoryScope is the site's scope as Reconcile needs it: registered
// cameras outside it are not reported missing.
func (s Site) InventoryScope() inventory.Scope {
	sc := inventory.Scope{Site: s.Name}
	if s.scope != nil {
		sc.Prefixes = s.scope.Prefixes()
	}
	return sc
}

// Path is the file the configuration was loaded from.
func (c *Config) Path() string { return c.path }

// Site returns the named site.
func (c *Config) Site(name string) (Site, bool) {
	for _, s := range c.Sites {
		if s.Name == name {
			return s, true
		}
	}
	return Site{}, false
}

// ConfigError is every problem found in a configuration file, each with its
// file:line:col.
type ConfigError struct {
	Path     string
	Problems []string
}

func (e *ConfigError) Error() string {
	return "serve: load config: " + strings.Join(e.Problems, "; ")
}

// LoadConfig reads, defaults and validates a configuration file. Unknown
// keys are errors (a misspelt exclusion must not be silently ignored), and
// every problem is reported at once with its position.
func LoadConfig(path string) (*Config, error) {
	cfg := &Config{path: path}
	v, err := decodeFile(path, "load config", cfg)
	if err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	cfg.validate(v)
	if len(v.problems) > 0 {
		return nil, &ConfigError{Path: path, Problems: v.problems}
	}
	return cfg, nil
}

// decodeFile reads the YAML file at path into out, refusing unknown keys,
// and returns a validator over its document for the problems found after
// (each with its line and column). what names the file in a read error.
func decodeFile(path, what string, out any) (*validator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("serve: %s: %w", what, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &ConfigError{Path: path, Problems: yamlpos.Messages(path, err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ConfigError{Path: path, Problems: yamlpos.Messages(path, err)}
	}
	return &validator{path: path, root: yamlpos.Root(&root)}, nil
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.MetricsAuth == "" {
		c.MetricsAuth = "open"
	}
	if c.SecretFiles == "" {
		c.SecretFiles = SecretFilesWarn
	}
	if c.History.Path == "" {
		c.History.Path = DefaultHistoryPath
	}
	if c.History.Retention == 0 {
		c.History.Retention = DefaultRetention
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	dir := filepath.Dir(c.path)
	rel := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	rel(&c.APITokensFile)
	rel(&c.History.Path)
	if c.TLS != nil {
		rel(&c.TLS.CertFile)
		rel(&c.TLS.KeyFile)
	}
	for i := range c.Sites {
		s := &c.Sites[i]
		if s.Schedule.Interval == 0 {
			s.Schedule.Interval = DefaultInterval
		}
		if s.Profile == "" {
			s.Profile = DefaultProfile
		}
		if s.Rate == 0 {
			s.Rate = DefaultRate
		}
		if len(s.Ports) == 0 {
			s.Ports = append([]string(nil), scanner.DefaultPorts...)
		}
		rel(&s.Registry)
		rel(&s.Policy)
		rel(&s.RegistryColumnsFile)
		rel(&s.CredentialsFile)
		rel(&s.InfrastructureFile)
		if s.Infrastructure != nil {
			s.Infrastructure.ResolvePaths(dir)
		}
		if s.VMS != nil {
			s.VMS.applyDefaults(rel)
		}
	}
	if c.Flows != nil {
		c.Flows.applyDefaults()
	}
}

// validator collects problems with their positions.
type validator struct {
	path     string
	root     *yaml.Node
	problems []string
}

// at reports a problem at the node found by walking keys (string) and
// sequence indexes (int) from the root; it falls back to the nearest parent
// that exists.
func (v *validator) at(msg string, path ...any) {
	pos := v.path
	if n := yamlpos.Find(v.root, path...); n != nil {
		pos = fmt.Sprintf("%s:%d:%d", v.path, n.Line, n.Column)
	}
	v.problems = append(v.problems, pos+": "+msg)
}

// value is the text the file gives at path, "" when absent.
func (v *validator) value(path ...any) string {
	if n := v.node(path...); n != nil {
		return n.Value
	}
	return ""
}

// node is the node at path, nil when the file does not set it.
func (v *validator) node(path ...any) *yaml.Node { return yamlpos.Lookup(v.root, path...) }

// positiveFinite accepts what a rate may be: more than zero, not NaN, not
// infinite.
func positiveFinite(f float64) bool { return f > 0 && !math.IsInf(f, 1) }

func (c *Config) validate(v *validator) {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		v.at(fmt.Sprintf("listen %q is not host:port", c.Listen), "listen")
	}
	if c.TLS != nil {
		for _, f := range []struct{ key, path string }{{"cert_file", c.TLS.CertFile}, {"key_file", c.TLS.KeyFile}} {
			if f.path == "" {
				v.at("tls."+f.key+" is required when tls is set", "tls")
			} else if _, err := os.Stat(f.path); err != nil {
				v.at("tls."+f.key+": "+err.Error(), "tls", f.key)
			}
		}
		if warn, err := checkSecretFile(c.TLS.KeyFile, "tls.key_file", c.SecretFiles); err != nil {
			v.at(err.Error(), "tls", "key_file")
		} else if warn != "" {
			c.warnings = append(c.warnings, warn)
		}
	}
	switch c.SecretFiles {
	case SecretFilesWarn, SecretFilesRefuse:
	default:
		v.at(fmt.Sprintf("secret_files %q: want warn or refuse", c.SecretFiles), "secret_files")
	}
	if w := cleartextWarning(c.Listen, c.TLS != nil); w != "" {
		c.warnings = append(c.warnings, w)
	}
	switch c.MetricsAuth {
	case "open", "token":
	default:
		v.at(fmt.Sprintf("metrics_auth %q: want open or token", c.MetricsAuth), "metrics_auth")
	}
	for i, h := range c.AllowedHosts {
		if h = normHost(h); h == "" || strings.ContainsAny(h, ":/*[] ") {
			v.at(fmt.Sprintf("allowed_hosts: %q: want a host name without port or wildcard", c.AllowedHosts[i]), "allowed_hosts", i)
		}
	}
	c.guard = newHostGuard(c.AllowedHosts, c.Listen, osHostname)
	if c.APITokensFile == "" {
		v.at("api_tokens_file is required: every /api/ path needs a bearer token", "api_tokens_file")
	} else if toks, warn, err := readTokenFile(c.APITokensFile, c.SecretFiles); err != nil {
		v.at(err.Error(), "api_tokens_file")
	} else {
		c.tokens = toks
		if warn != "" {
			c.warnings = append(c.warnings, warn)
		}
	}
	rl := c.RegistryLimits
	for _, l := range []struct {
		key string
		n   int64
	}{{"max_rows", int64(rl.MaxRows)}, {"max_bytes", rl.MaxBytes}, {"max_record_bytes", int64(rl.MaxRecordBytes)}, {"max_yaml_bytes", rl.MaxYAMLBytes}} {
		if l.n < 0 {
			v.at(fmt.Sprintf("registry_limits.%s %d: want a positive number (0 or left out for the default)", l.key, l.n), "registry_limits", l.key)
		}
	}
	if c.History.Retention < 0 {
		v.at("history.retention must not be negative", "history", "retention")
	}
	if m, err := strconv.ParseUint(cmp.Or(c.History.FileMode, "0600"), 8, 32); err != nil || m > 0o777 || m&0o002 != 0 || m&0o600 != 0o600 {
		v.at(fmt.Sprintf("history.file_mode %q: want octal permissions the owner can read and write and others cannot write, such as 0600 or 0640", c.History.FileMode), "history", "file_mode")
	} else {
		c.History.mode = fs.FileMode(m)
	}
	if c.ShutdownTimeout < 0 {
		v.at("shutdown_timeout must not be negative", "shutdown_timeout")
	}
	if len(c.Sites) == 0 {
		v.at("no sites configured", "sites")
	}
	if c.Flows != nil {
		c.Flows.validate(v)
	}
	seen := map[string]bool{}
	for i := range c.Sites {
		c.Sites[i].validate(v, i, seen)
	}
	// Each site sweeps under its own rate limit and per-host connection
	// cap, so a host in two sites' scopes could get two connections at
	// once and twice the packets the configuration promises.
	for i := range c.Sites {
		for j := range i {
			a, b := &c.Sites[i], &c.Sites[j]
			if a.scope == nil || b.scope == nil {
				continue
			}
			if r, ok := a.scope.Overlap(b.scope); ok {
				v.at(fmt.Sprintf("site %q: scope overlaps site %q at %s: give each address to one site (or exclude it from the other)", a.Name, b.Name, r), "sites", i, "scope")
			}
		}
	}
}

var siteNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (s *Site) validate(v *validator, i int, seen map[string]bool) {
	at := func(msg string, path ...any) {
		v.at(fmt.Sprintf("site %q: %s", s.Name, msg), append([]any{"sites", i}, path...)...)
	}
	switch {
	case !siteNameRE.MatchString(s.Name):
		at("name must be 1-64 letters, digits, '.', '_' or '-' (it appears in URLs and metric labels)", "name")
	case seen[strings.ToLower(s.Name)]:
		at("site named twice", "name")
	}
	seen[strings.ToLower(s.Name)] = true

	sc, err := scanner.NewScope(s.Scope.Targets, s.Scope.Exclude, s.Scope.AllowPublic)
	if err != nil {
		at(err.Error(), "scope")
	}
	s.scope = sc
	for j, o := range s.Scope.ExcludeOUIs {
		norm, ok := normOUI(o)
		if !ok {
			at(fmt.Sprintf("exclude_ouis %q: want 3 to 5 hex octets, e.g. 00:1a:2b", o), "scope", "exclude_ouis", j)
			continue
		}
		s.Scope.ExcludeOUIs[j] = norm
	}

	sch := s.Schedule
	if sch.Interval < time.Minute {
		at(fmt.Sprintf("schedule.interval %s: want at least 1m", sch.Interval), "schedule", "interval")
	}
	if sch.Jitter < 0 || (sch.Interval > 0 && sch.Jitter >= sch.Interval) {
		at(fmt.Sprintf("schedule.jitter %s: want 0 or more and less than the interval", sch.Jitter), "schedule", "jitter")
	}
	if q := sch.QuietHours; q != nil {
		q.validate(func(msg string, key string) { at("schedule.quiet_hours: "+msg, "schedule", "quiet_hours", key) })
	}

	if _, err := scanner.ParsePorts(s.Ports); err != nil {
		at(err.Error(), "ports")
	}
	if !contains(Profiles, s.Profile) {
		at(fmt.Sprintf("profile %q: want one of %s", s.Profile, strings.Join(Profiles, ", ")), "profile")
	}
	// 0 is the default only when rate is left out: "rate: 0" is a typo
	// for something, and .inf or .nan would sweep unthrottled.
	rate := s.Rate
	if n := v.node("sites", i, "rate"); n != nil {
		_ = n.Decode(&rate) // as written, before the default
	}
	if !positiveFinite(rate) {
		at(fmt.Sprintf("rate %s: want a positive, finite number of packets per second", cmp.Or(v.value("sites", i, "rate"), fmt.Sprint(rate))), "rate")
	}
	if len(s.Interface) > 15 || strings.ContainsAny(s.Interface, "/ \t") {
		at(fmt.Sprintf("interface %q is not an interface name", s.Interface), "interface")
	}
	for j, m := range s.RouterMACs {
		hw, err := net.ParseMAC(m)
		if err != nil || len(hw) != 6 {
			at(fmt.Sprintf("router_macs %q: want six octets, e.g. 00:1a:2b:3c:4d:5e", m), "router_macs", j)
			continue
		}
		s.RouterMACs[j] = hw.String()
	}
	if s.TriggeredProbesPerMinute < 0 {
		at("triggered_probes_per_minute must not be negative", "triggered_probes_per_minute")
	}
	if s.CredentialsFile != "" {
		if _, err := os.Stat(s.CredentialsFile); err != nil {
			at("credentials_file: "+err.Error(), "credentials_file")
		}
	}
	s.validateInfrastructure(at)
	// The registry and policy must exist at load, but their contents are
	// checked at each scan: they change on their own schedule, and a bad
	// edit should fail a run loudly, not stop the daemon from starting.
	if s.RegistryColumnsFile != "" {
		if len(s.RegistryColumns.Columns) > 0 || len(s.RegistryColumns.Ignore) > 0 || s.RegistryColumns.Sheet != "" {
			at("give registry_columns or registry_columns_file, not both", "registry_columns_file")
		} else if cm, err := inventory.LoadColumnMap(s.RegistryColumnsFile); err != nil {
			at(err.Error(), "registry_columns_file")
		} else {
			s.RegistryColumns = cm
		}
	}
	if s.VMS != nil {
		s.VMS.validate(at)
	}
	for _, f := range []struct{ key, path string }{{"registry", s.Registry}, {"policy", s.Policy}} {
		if f.path == "" {
			at(f.key+" is required: findings need a registry and a policy", f.key)
		} else if _, err := os.Stat(f.path); err != nil {
			at(f.key+": "+err.Error(), f.key)
		}
	}
}

func (q *QuietHours) validate(at func(msg, key string)) {
	var err error
	if q.start, err = clockMinutes(q.Start); err != nil {
		at(err.Error(), "start")
	}
	if q.end, err = clockMinutes(q.End); err != nil {
		at(err.Error(), "end")
	}
	if q.Start != "" && q.Start == q.End {
		at("start equals end: the window would be empty or all day", "end")
	}
	q.loc = time.Local
	if q.Timezone != "" {
		if q.loc, err = time.LoadLocation(q.Timezone); err != nil {
			at(fmt.Sprintf("timezone %q: %v", q.Timezone, err), "timezone")
			q.loc = time.Local
		}
	}
}

func clockMinutes(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return hh*60 + mm, nil
}

var ouiRE = regexp.MustCompile(`^[0-9a-f]{2}([:-][0-9a-f]{2}){2,4}$`)

func normOUI(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !ouiRE.MatchString(s) {
		return "", false
	}
	return strings.ReplaceAll(s, "-", ":"), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validateInfrastructure checks the site's routers and switches, inline or
// in their own file, and that every credential profile they use can be
// read now (a missing variable or secret file fails the start, not the
// first scan). The secrets themselves are read again before each sweep.
func (s *Site) validateInfrastructure(at func(msg string, path ...any)) {
	switch {
	case s.Infrastructure != nil && s.InfrastructureFile != "":
		at("give infrastructure or infrastructure_file, not both", "infrastructure_file")
		return
	case s.InfrastructureFile != "":
		ic, err := snmp.LoadConfig(s.InfrastructureFile)
		if err != nil {
			at(err.Error(), "infrastructure_file")
			return
		}
		s.Infrastructure = ic
	case s.Infrastructure != nil:
		if probs := s.Infrastructure.Validate(); len(probs) > 0 {
			for _, p := range probs {
				at("infrastructure: "+p.Error(), append([]any{"infrastructure"}, p.Path...)...)
			}
			return
		}
	default:
		return
	}
	if _, err := snmp.ResolveCredentials(s.Infrastructure, os.Getenv); err != nil {
		key := "infrastructure"
		if s.InfrastructureFile != "" {
			key = "infrastructure_file"
		}
		at(err.Error(), key)
	}
}
