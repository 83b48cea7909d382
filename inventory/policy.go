package inventory

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	// Expiry dates are judged in the policy's zone (Europe/Copenhagen by
	// default) even on a distroless image that has no zoneinfo files.
	_ "time/tzdata"

	"github.com/camsweep/camsweep/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// DefaultExpiryWarningDays is the warning window when the policy names none.
const DefaultExpiryWarningDays = 30

// Policy is the camera policy (docs/registry.md, "Policy"): which manufacturers
// are banned, which dispensations exist, where a site's cameras may sit, and
// which findings are accepted for a while.
type Policy struct {
	// BannedManufacturers is judged on the real manufacturer, so a
	// white-label Hikvision counts as Hikvision.
	BannedManufacturers []string
	// ExpiryWarningDays: a dispensation expiring within this many days
	// gives dispensation_expiring.
	ExpiryWarningDays int
	Dispensations     []Dispensation
	// Sites maps a site (as in the registry's site column) to its rules.
	Sites        map[string]SitePolicy
	Suppressions []Suppression
	// Recording is the region-wide recording policy; each site's adds to it.
	Recording RecordingPolicy
	// Location is the time zone whose calendar days the expiry dates
	// mean (key timezone, default DefaultPolicyTimezone). A sensor or
	// container running in UTC must still let a dispensation lapse at
	// Danish midnight, not an hour or two later.
	Location *time.Location
}

// DefaultPolicyTimezone is the zone of a policy that names none: the
// region's own.
const DefaultPolicyTimezone = "Europe/Copenhagen"

// Today is now's calendar date in the policy's time zone, the day expiry
// dates are compared with.
func (p *Policy) Today(now time.Time) Date {
	if p != nil && p.Location != nil {
		now = now.In(p.Location)
	}
	return DateOf(now)
}

// ExpiryInstant is the first instant at which a date-valued expiry has
// passed: midnight after d in the policy's time zone.
func (p *Policy) ExpiryInstant(d Date) time.Time {
	var loc *time.Location
	if p != nil {
		loc = p.Location
	}
	return d.Time(loc).AddDate(0, 0, 1)
}

// Dispensation is a formal, time-limited exception after a risk
// assessment. Registry rows join it through their dispensation_id.
type Dispensation struct {
	ID           string `json:"id"`
	Manufacturer string `json:"manufacturer"`
	Owner        string `json:"owner"`
	Reason       string `json:"reason"`
	Expires      Date   `json:"expires"`
	MaxCameras   int    `json:"max_cameras"`
	Line         int    `json:"-"`
}

// SitePolicy holds one site's rules.
type SitePolicy struct {
	// CameraSegments are the site's approved (closed) camera networks. When
	// empty, outside_camera_segment is not judged for the site.
	CameraSegments []netip.Prefix
	// Recording adds the site's own recorders, viewers and internal
	// networks to the region's.
	Recording RecordingPolicy
}

// RecordingPolicy says who may receive a camera's video and where the
// region's networks end.
type RecordingPolicy struct {
	// ApprovedRecorders are the recording servers allowed to pull video
	// (the central VMS's recording servers, a closed network's NVR).
	ApprovedRecorders []netip.Prefix
	// ApprovedViewers may view video too (a VMS mobile server, a guard
	// station) without being recorders.
	ApprovedViewers []netip.Prefix
	// InternalPrefixes are the region's own networks; traffic to any
	// other address is egress. When no level names any, the private
	// ranges are internal (DefaultInternalPrefixes); the site's scanned
	// scope and camera segments always are.
	InternalPrefixes []netip.Prefix
}

// Suppression hides the finding with Key until Expires (inclusive). An
// expired suppression hides nothing, so an accepted risk comes back on its
// own instead of being forgotten.
type Suppression struct {
	Key     string
	Reason  string
	Expires Date
	Line    int
}

// Banned reports whether manufacturer is on the ban list.
func (p *Policy) Banned(manufacturer string) bool {
	if p == nil {
		return false
	}
	for _, b := range p.BannedManufacturers {
		if sameVendor(b, manufacturer) {
			return true
		}
	}
	return false
}

// Dispensation returns the dispensation with the given id.
func (p *Policy) Dispensation(id string) (Dispensation, bool) {
	if p == nil {
		return Dispensation{}, false
	}
	for _, d := range p.Dispensations {
		if d.ID == id {
			return d, true
		}
	}
	return Dispensation{}, false
}

// LoadPolicy reads a policy file; see ParsePolicy.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: load policy: %w", err)
	}
	return ParsePolicy(path, data)
}

// ParsePolicy parses and validates a policy document. Unknown keys are
// errors (a misspelt "suppresions:" must not silently accept nothing). The
// error, when not nil, is an *Errors naming every problem as file:line:col.
func ParsePolicy(name string, data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, joinErrors("parse policy", []error{yamlSyntaxError(name, err)})
	}
	pe := &posErrors{file: name}
	p := &Policy{ExpiryWarningDays: DefaultExpiryWarningDays, Sites: map[string]SitePolicy{}}
	loc, err := time.LoadLocation(DefaultPolicyTimezone)
	if err != nil {
		return nil, fmt.Errorf("inventory: parse policy: default time zone: %w", err)
	}
	p.Location = loc
	root := yamlpos.Root(&doc)
	if root == nil {
		pe.add(1, 1, "", "empty policy")
		return nil, joinErrors("parse policy", pe.errs)
	}
	if root.Kind != yaml.MappingNode {
		pe.add(root.Line, root.Column, "", "want a mapping with banned_manufacturers, dispensations, sites, ...")
		return nil, joinErrors("parse policy", pe.errs)
	}
	seenKey := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seenKey[k.Value] {
			pe.add(k.Line, k.Column, k.Value, "%s given twice", k.Value)
			continue
		}
		seenKey[k.Value] = true
		switch k.Value {
		case "banned_manufacturers":
			p.BannedManufacturers = parseBanned(pe, v)
		case "expiry_warning_days":
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || n < 0 || n > 3650 {
				pe.add(v.Line, v.Column, k.Value, "expiry_warning_days: want a whole number of days, 0 to 3650")
				continue
			}
			p.ExpiryWarningDays = n
		case "dispensations":
			p.Dispensations = parseDispensations(pe, v)
		case "sites":
			p.Sites = parseSites(pe, v)
		case "suppressions":
			p.Suppressions = parseSuppressions(pe, v)
		case "approved_recorders", "approved_viewers", "internal_prefixes":
			setRecording(&p.Recording, k.Value, parsePrefixes(pe, "policy", k.Value, v, true))
		case "timezone":
			loc, err := time.LoadLocation(strings.TrimSpace(v.Value))
			if v.Kind != yaml.ScalarNode || v.Value == "" || err != nil {
				pe.add(v.Line, v.Column, k.Value, "timezone %q: want an IANA time zone name such as Europe/Copenhagen", v.Value)
				continue
			}
			p.Location = loc
		default:
			pe.add(k.Line, k.Column, k.Value, "unknown key %q (want banned_manufacturers, expiry_warning_days, dispensations, sites, suppressions, timezone, approved_recorders, approved_viewers or internal_prefixes)", k.Value)
		}
	}
	if len(pe.errs) > 0 {
		return nil, joinErrors("parse policy", pe.errs)
	}
	return p, nil
}

func parseBanned(pe *posErrors, v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		pe.add(v.Line, v.Column, "banned_manufacturers", "banned_manufacturers: want a list of manufacturer names")
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range v.Content {
		norm := NormalizeVendor(n.Value)
		switch {
		case n.Kind != yaml.ScalarNode || norm == "":
			pe.add(n.Line, n.Column, "banned_manufacturers", "banned_manufacturers: want a manufacturer name")
		case seen[norm]:
			pe.add(n.Line, n.Column, "banned_manufacturers", "manufacturer %q listed twice", n.Value)
		default:
			seen[norm] = true
			out = append(out, n.Value)
		}
	}
	return out
}

// fields walks a mapping of scalar fields, calling set for each known key,
// and reports unknown, repeated, non-scalar and missing required keys.
func fields(pe *posErrors, what string, n *yaml.Node, known, required []string, set func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		pe.add(n.Line, n.Column, "", "%s: want a mapping", what)
		return
	}
	got := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(known, k.Value):
			pe.add(k.Line, k.Column, k.Value, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(known, ", "))
		case got[k.Value]:
			pe.add(k.Line, k.Column, k.Value, "%s: %s given twice", what, k.Value)
		case v.Kind != yaml.ScalarNode && !listKeys[k.Value]:
			got[k.Value] = true
			pe.add(v.Line, v.Column, k.Value, "%s: %s: want a single value", what, k.Value)
		default:
			got[k.Value] = true
			set(k.Value, v)
		}
	}
	for _, r := range required {
		if !got[r] {
			pe.add(n.Line, n.Column, r, "%s: %s is required", what, r)
		}
	}
}

func parseDispensations(pe *posErrors, v *yaml.Node) []Dispensation {
	if v.Kind != yaml.SequenceNode {
		pe.add(v.Line, v.Column, "dispensations", "dispensations: want a list")
		return nil
	}
	var out []Dispensation
	seen := map[string]int{}
	keys := []string{"id", "manufacturer", "owner", "reason", "expires", "max_cameras"}
	for _, n := range v.Content {
		d := Dispensation{Line: n.Line}
		what := "dispensation"
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" {
				what = "dispensation " + n.Content[i+1].Value
			}
		}
		before := len(pe.errs)
		fields(pe, what, n, keys, keys, func(key string, f *yaml.Node) {
			val := strings.TrimSpace(f.Value)
			switch key {
			case "id":
				if !isIdent(val) {
					pe.add(f.Line, f.Column, key, "%s: id %q: use letters, digits and . _ - / only", what, val)
				} else if line, dup := seen[val]; dup {
					pe.add(f.Line, f.Column, key, "%s: duplicate id (first at line %d)", what, line)
				} else {
					seen[val] = n.Line
				}
				d.ID = val
			case "manufacturer":
				if NormalizeVendor(val) == "" {
					pe.add(f.Line, f.Column, key, "%s: manufacturer: want a name", what)
				}
				d.Manufacturer = val
			case "owner":
				d.Owner = strings.ToUpper(val)
				if d.Owner != OwnerCEJ && d.Owner != OwnerCIMT {
					pe.add(f.Line, f.Column, key, "%s: owner %q: want CEJ or CIMT", what, val)
				}
			case "reason":
				if val == "" {
					pe.add(f.Line, f.Column, key, "%s: reason: a dispensation must say why", what)
				}
				d.Reason = val
			case "expires":
				date, err := ParseDate(val)
				if err != nil {
					pe.add(f.Line, f.Column, key, "%s: expires %q: want YYYY-MM-DD", what, val)
				}
				d.Expires = date
			case "max_cameras":
				m, err := strconv.Atoi(val)
				if err != nil || m < 1 {
					pe.add(f.Line, f.Column, key, "%s: max_cameras %q: want a whole number, at least 1", what, val)
				}
				d.MaxCameras = m
			}
		})
		if len(pe.errs) == before {
			out = append(out, d)
		}
	}
	return out
}

func parseSites(pe *posErrors, v *yaml.Node) map[string]SitePolicy {
	out := map[string]SitePolicy{}
	if v.Kind != yaml.MappingNode {
		pe.add(v.Line, v.Column, "sites", "sites: want a mapping from site to its rules")
		return out
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, n := v.Content[i], v.Content[i+1]
		site := k.Value
		if !isIdent(site) {
			pe.add(k.Line, k.Column, "sites", "site %q: use letters, digits and . _ - only", site)
			continue
		}
		if _, dup := out[site]; dup {
			pe.add(k.Line, k.Column, "sites", "site %s given twice", site)
			continue
		}
		var sp SitePolicy
		fields(pe, "site "+site, n, []string{"camera_segments", "approved_recorders", "approved_viewers", "internal_prefixes"}, nil, func(key string, f *yaml.Node) {
			what := "site " + site
			switch key {
			case "camera_segments":
				sp.CameraSegments = parsePrefixes(pe, what, key, f, false)
			default:
				setRecording(&sp.Recording, key, parsePrefixes(pe, what, key, f, true))
			}
		})
		out[site] = sp
	}
	return out
}

func parseSuppressions(pe *posErrors, v *yaml.Node) []Suppression {
	if v.Kind != yaml.SequenceNode {
		pe.add(v.Line, v.Column, "suppressions", "suppressions: want a list")
		return nil
	}
	var out []Suppression
	seen := map[string]int{}
	keys := []string{"key", "reason", "expires"}
	for _, n := range v.Content {
		s := Suppression{Line: n.Line}
		fields(pe, "suppression", n, keys, keys, func(key string, f *yaml.Node) {
			val := strings.TrimSpace(f.Value)
			switch key {
			case "key":
				if val == "" {
					pe.add(f.Line, f.Column, key, "suppression: key: want a finding key")
				} else if line, dup := seen[val]; dup {
					pe.add(f.Line, f.Column, key, "suppression: key %q already suppressed at line %d", val, line)
				} else {
					seen[val] = n.Line
				}
				s.Key = val
			case "reason":
				if val == "" {
					pe.add(f.Line, f.Column, key, "suppression: reason: say why the finding is accepted")
				}
				s.Reason = val
			case "expires":
				date, err := ParseDate(val)
				if err != nil {
					pe.add(f.Line, f.Column, key, "suppression: expires %q: want YYYY-MM-DD", val)
				}
				s.Expires = date
			}
		})
		out = append(out, s)
	}
	return out
}

// listKeys are the policy keys whose value is a list, not a single value.
var listKeys = map[string]bool{"camera_segments": true, "approved_recorders": true, "approved_viewers": true, "internal_prefixes": true}

func setRecording(r *RecordingPolicy, key string, ps []netip.Prefix) {
	switch key {
	case "approved_recorders":
		r.ApprovedRecorders = ps
	case "approved_viewers":
		r.ApprovedViewers = ps
	case "internal_prefixes":
		r.InternalPrefixes = ps
	}
}

// parsePrefixes reads a list of prefixes (10.20.8.0/22) and, when
// addresses is true, single addresses (10.20.1.10, taken as a /32 or
// /128). A prefix with host bits set is an error that names the prefix
// meant.
func parsePrefixes(pe *posErrors, what, key string, f *yaml.Node, addresses bool) []netip.Prefix {
	want := "prefixes"
	if addresses {
		want = "addresses or prefixes"
	}
	if f.Kind != yaml.SequenceNode {
		pe.add(f.Line, f.Column, key, "%s: %s: want a list of %s", what, key, want)
		return nil
	}
	var out []netip.Prefix
	for _, s := range f.Content {
		v := strings.TrimSpace(s.Value)
		pfx, err := netip.ParsePrefix(v)
		if err != nil && addresses {
			if a, aerr := netip.ParseAddr(v); aerr == nil && a.Zone() == "" {
				pfx, err = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
			}
		}
		switch {
		case s.Kind != yaml.ScalarNode || err != nil:
			example := "a prefix such as 10.20.8.0/22"
			if addresses {
				example = "an address such as 10.20.1.10 or a prefix such as 10.20.8.0/22"
			}
			pe.add(s.Line, s.Column, key, "%s: %q is not %s", what, s.Value, example)
		case pfx != pfx.Masked():
			pe.add(s.Line, s.Column, key, "%s: %s has host bits set; did you mean %s?", what, pfx, pfx.Masked())
		default:
			out = append(out, pfx)
		}
	}
	return out
}
