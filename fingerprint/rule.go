package fingerprint

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// ClassVideo is the one class a rule may claim that is never a verdict's
// (rules otherwise claim evidence.Camera, Recorder or Other). It is for evidence that a device serves video but cannot
// tell a camera from a recorder (an ONVIF device service, the
// NetworkVideoTransmitter type, which NVRs advertise as well). It is
// never a verdict: it counts as camera-like against "other", and the
// verdict is the best camera or recorder claim, camera when there is
// none.
const ClassVideo = "video"

// ClassHint is for evidence that cameras share with much else: an embedded
// web server (Boa, GoAhead "Webs", thttpd) or RTSP stack (LIVE555) that
// cameras use as often as routers and media boxes do. A hint never makes a
// verdict on its own: it counts as "video" only when some other evidence
// of the host already says camera, recorder or video, and is dropped
// otherwise.
const ClassHint = "hint"

// Outputs is what a rule says about a device. Values are constants or
// templates with capture references ("{1}", "{model}") into the pattern.
type Outputs struct {
	Class        string
	Brand        string
	Manufacturer string
	Model        string
	Firmware     string
	Serial       string
}

// outputNames lists the output keys in the order Why lines print them.
var outputNames = [...]string{"class", "brand", "manufacturer", "model", "firmware", "serial"}

func (o *Outputs) ptr(name string) *string {
	switch name {
	case "class":
		return &o.Class
	case "brand":
		return &o.Brand
	case "manufacturer":
		return &o.Manufacturer
	case "model":
		return &o.Model
	case "firmware":
		return &o.Firmware
	case "serial":
		return &o.Serial
	}
	return nil
}

func (o Outputs) get(name string) string {
	p := (&o).ptr(name)
	if p == nil {
		return ""
	}
	return *p
}

// Rule is one fingerprint, compiled.
type Rule struct {
	ID          string
	Fields      []string
	Pattern     string
	Description string
	Weight      float64
	Outputs     Outputs
	Examples    []Example
	// Sources names the public records the rule was written from (tags
	// such as nmap, whatweb, vendor), for the evaluation by source.
	Sources []string

	// Recog is set for a rule made from a recog fingerprint; camsweep's own
	// rules take precedence over it on the same evidence item.
	Recog *RecogInfo

	File   string // file the rule came from, for messages
	Line   int    // position of the rule in File
	Column int

	// re is the compiled pattern. A recog rule gives it up once its
	// examples have passed and compiles it again from reSource on first use
	// (regexp): compiled, the ~2,900 shipped fingerprints hold about 12 MB,
	// which the garbage collector's headroom doubles in a sweep's peak
	// memory, and most runs never see the evidence most of them are for.
	re        *regexp.Regexp
	reSource  string
	reOnce    sync.Once
	templates map[string]template
}

// regexp returns the compiled pattern, compiling it on first use for a rule
// that gave it up after loading.
func (r *Rule) regexp() *regexp.Regexp {
	r.reOnce.Do(func() {
		if r.re == nil {
			// It compiled when the rule was loaded, so it compiles again.
			r.re = regexp.MustCompile(r.reSource)
		}
	})
	return r.re
}

// releaseRegexp drops the compiled pattern until the rule is next used.
// Only while loading, before the rule is shared.
func (r *Rule) releaseRegexp() {
	r.reSource = r.re.String()
	r.re = nil
}

// Example is a value the rule must match and what it must yield from it.
type Example struct {
	Value  string
	Want   Outputs
	Line   int
	Column int
}

// template is an output value split into literal text and capture
// references.
type template []templatePart

type templatePart struct {
	lit   string
	group int // -1 for a literal part
}

// parseTemplate splits s on {N} and {name} references. A brace that does not
// open a valid reference is literal text.
func parseTemplate(s string, re *regexp.Regexp) (template, []string) {
	var t template
	var bad []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		ref := s[i+1 : i+j]
		g := groupIndex(re, ref)
		if g < 0 {
			if isRefName(ref) {
				bad = append(bad, ref)
			}
			t = append(t, templatePart{lit: s[:i+j+1], group: -1})
			s = s[i+j+1:]
			continue
		}
		if i > 0 {
			t = append(t, templatePart{lit: s[:i], group: -1})
		}
		t = append(t, templatePart{group: g})
		s = s[i+j+1:]
	}
	if s != "" {
		t = append(t, templatePart{lit: s, group: -1})
	}
	return t, bad
}

// isRefName reports whether ref looks like a capture reference, so that a
// reference to a group the pattern lacks is an error, not literal text.
func isRefName(ref string) bool {
	if ref == "" {
		return false
	}
	for _, c := range ref {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func groupIndex(re *regexp.Regexp, ref string) int {
	if n, err := strconv.Atoi(ref); err == nil {
		if n >= 0 && n <= re.NumSubexp() {
			return n
		}
		return -1
	}
	if ref == "" {
		return -1
	}
	return re.SubexpIndex(ref)
}

func (t template) expand(value string, m []int) string {
	var b strings.Builder
	for _, p := range t {
		if p.group < 0 {
			b.WriteString(p.lit)
			continue
		}
		if lo, hi := m[2*p.group], m[2*p.group+1]; lo >= 0 {
			b.WriteString(value[lo:hi])
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// maxValueLen bounds what a rule looks at: evidence comes from hostile
// devices, and no fingerprint needs more than the start of a value.
const maxValueLen = 1024

// Apply matches value against the rule and returns its outputs, with brand
// and manufacturer names normalised through the OEM map.
func (r *Rule) Apply(value string) (Outputs, bool) {
	value = clip(value)
	m := r.regexp().FindStringSubmatchIndex(value)
	if m == nil {
		return Outputs{}, false
	}
	var out Outputs
	for _, name := range outputNames {
		t, ok := r.templates[name]
		if !ok {
			continue
		}
		*out.ptr(name) = t.expand(value, m)
	}
	out.Brand = oemMap().normalize(out.Brand)
	out.Manufacturer = oemMap().normalize(out.Manufacturer)
	return out, true
}

func clip(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > maxValueLen {
		v = v[:maxValueLen]
	}
	return v
}

func (r *Rule) hasField(f string) bool {
	for _, x := range r.Fields {
		if x == f {
			return true
		}
	}
	return false
}
