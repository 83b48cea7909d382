package fingerprint

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Verdict is what the evidence says a device is.
type Verdict struct {
	Class        evidence.Class
	Brand        string // what the device calls itself / what is on the box
	Manufacturer string // who really made it (policy is judged on this)
	Model        string
	Firmware     string
	Serial       string
	// Confidence is in [0, 1]: how strongly and how consistently the
	// evidence supports Class and Manufacturer.
	Confidence float64
	// Why names each piece of evidence used and what it contributed.
	Why []string
	// Conflicts lists evidence that disagreed with the verdict.
	Conflicts []string
}

// Evidence tiers: what a device states about itself in its own management
// and discovery protocols outranks the banners of its servers, which outrank
// the registry owner of its MAC block.
const (
	tierOUI    = 1
	tierBanner = 2
	tierSelf   = 3
)

var tierScale = [...]float64{tierOUI: 0.4, tierBanner: 0.8, tierSelf: 1}

var selfPrefixes = []string{"onvif.", "sadp.", "dhip.", "upnp.", "isapi.", "wsd.", "reolink.", "dahua.rpc2."}

func tierOf(field string) int {
	if field == ouiField {
		return tierOUI
	}
	for _, p := range selfPrefixes {
		if strings.HasPrefix(field, p) {
			return tierSelf
		}
	}
	return tierBanner
}

// ouiField is the evidence field Identify derives from MAC addresses.
const ouiField = "mac.oui"

type claim struct {
	attr   string
	value  string
	weight float64
	tier   int
	source string
}

type item struct{ field, value string }

// Identify turns a host's evidence into a verdict. The result depends only
// on the set of (field, value) pairs, not on their order or repetition.
func (e *Engine) Identify(ev []evidence.Evidence) Verdict {
	items, notes := collect(ev)
	v := Verdict{Why: notes}
	var claims []claim
	for _, it := range items {
		claims = append(claims, e.itemClaims(it, &v)...)
	}
	claims = append(claims, e.oemClaims(claims, &v)...)
	claims = settleHints(claims, &v)

	class := resolve(claims, "class")
	manu := resolve(claims, "manufacturer")
	brand := resolve(claims, "brand")
	v.Class = videoClass(class, &v)
	if len(manu) > 0 {
		v.Manufacturer = manu[0].value
	}
	if len(brand) > 0 {
		v.Brand = brand[0].value
	}
	for attr, dst := range map[string]*string{"model": &v.Model, "firmware": &v.Firmware, "serial": &v.Serial} {
		if c := resolve(claims, attr); len(c) > 0 {
			*dst = c[0].value
		}
	}
	if v.Brand == "" && v.Manufacturer != "" {
		v.Brand = v.Manufacturer
		v.Why = append(v.Why, "no brand stated -> brand taken as manufacturer "+v.Manufacturer)
	}
	v.Conflicts = append(conflicts("manufacturer", manu), classConflicts(class)...)
	v.Confidence = confidence(v.Class, class, manu)
	return v
}

// itemClaims applies the rules of every file for the item's field: the
// first match in a file wins, as in recog. camsweep's own rule files go
// first; a recog fingerprint then adds only what they did not say about
// this item (they are more specific where both speak: a maker's firmware
// banner, the OEM map's view of a brand), and Why notes what it was
// overruled on.
func (e *Engine) itemClaims(it item, v *Verdict) []claim {
	var claims []claim
	said := map[string]bool{}
	src := fmt.Sprintf("%s=%s", it.field, quoteShort(it.value))
	for _, recogPass := range []bool{false, true} {
		for _, group := range e.byField[it.field] {
			if (group[0].Recog != nil) != recogPass {
				continue
			}
			for _, r := range group {
				out, ok := r.Apply(it.value)
				if !ok {
					continue
				}
				var took, overruled []string
				for _, name := range outputNames {
					val := out.get(name)
					if val == "" {
						continue
					}
					if recogPass && said[name] {
						overruled = append(overruled, name+" "+val)
						continue
					}
					took = append(took, name+" "+val)
					claims = append(claims, claim{attr: name, value: val, weight: r.Weight, tier: tierOf(it.field), source: src + " (rule " + r.ID + ")"})
				}
				// Only a rule that names the device (its maker, brand or
				// model) is more specific than recog's fingerprint; the
				// generic vocabulary ("Video Web Server") is not, and
				// leaves recog's class standing beside its own.
				if !recogPass && (out.Brand != "" || out.Manufacturer != "" || out.Model != "") {
					for _, name := range outputNames {
						if out.get(name) != "" {
							said[name] = true
						}
					}
				}
				what := "rule " + r.ID
				if r.Recog != nil {
					what = fmt.Sprintf("recog %s: %s", r.ID, r.Recog.Description)
				}
				if len(took) > 0 {
					v.Why = append(v.Why, fmt.Sprintf("%s -> %s (%s)", src, strings.Join(took, ", "), what))
				}
				if len(overruled) > 0 {
					v.Why = append(v.Why, fmt.Sprintf("%s: %s not taken, camsweep's own rules said otherwise (%s)", src, strings.Join(overruled, ", "), what))
				}
				break // first match in a file wins
			}
		}
	}
	return claims
}

// collect normalises the evidence: trims and bounds values, derives mac.oui
// from every MAC field (noting the registry owner), and sorts and
// de-duplicates, which makes the verdict independent of the order the probes
// reported in.
func collect(ev []evidence.Evidence) ([]item, []string) {
	seen := map[item]bool{}
	var items []item
	var notes []string
	add := func(it item) {
		if it.value == "" || seen[it] {
			return
		}
		seen[it] = true
		items = append(items, it)
	}
	for _, x := range ev {
		f, val := strings.TrimSpace(x.Field), clip(x.Value)
		add(item{f, val})
		if isMACField(f) {
			if org, ok := LookupOUI(val); ok {
				add(item{ouiField, org})
				notes = append(notes, fmt.Sprintf("%s=%s -> mac.oui=%s (IEEE registry)", f, strings.ToLower(val), org))
			}
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].field != items[j].field {
			return items[i].field < items[j].field
		}
		return items[i].value < items[j].value
	})
	sort.Strings(notes)
	return items, dedupe(notes)
}

// isMACField reports whether a field carries a MAC address: mac, any
// *.mac, and the LLDP chassis ID (most devices send their MAC there,
// subtype 4; a name there is refused by LookupOUI).
func isMACField(f string) bool {
	return f == "mac" || strings.HasSuffix(f, ".mac") || f == "lldp.chassis_id"
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// settleHints turns "hint" class claims into "video" ones when other
// evidence already claims a video device, and drops them otherwise: a
// banner that cameras share with routers and media boxes supports a camera
// verdict but never makes one.
func settleHints(claims []claim, v *Verdict) []claim {
	video := false
	for _, c := range claims {
		if c.attr == "class" && cameraLike(c.value) {
			video = true
			break
		}
	}
	out := claims[:0]
	for _, c := range claims {
		if c.attr == "class" && c.value == ClassHint {
			if !video {
				v.Why = append(v.Why, c.source+": hint of a video device not used, no other evidence says video")
				continue
			}
			c.value = ClassVideo
		}
		out = append(out, c)
	}
	return out
}

// oemClaims turns brand claims into manufacturer claims through the OEM
// map. A maker's own brand keeps its tier; a white-label brand drops one
// tier, so that firmware evidence of the real maker outweighs it.
func (e *Engine) oemClaims(claims []claim, v *Verdict) []claim {
	var out []claim
	noted := map[string]bool{}
	for _, c := range claims {
		if c.attr != "brand" {
			continue
		}
		o, ok := LookupOEM(c.value)
		if !ok {
			continue
		}
		m := o.Manufacturer()
		w := c.weight * o.shareWeight()
		if m == "" || w == 0 {
			if !noted[c.value] && o.Share == "some" {
				noted[c.value] = true
				v.Why = append(v.Why, fmt.Sprintf("brand %s -> maker not implied (oem map: %s)", c.value, o.Note))
			}
			continue
		}
		tier := c.tier
		if m != o.Brand && tier > tierOUI {
			tier--
		}
		out = append(out, claim{attr: "manufacturer", value: m, weight: w, tier: tier, source: "brand " + c.value + " (oem map)"})
		if !noted[c.value] && m != o.Brand {
			noted[c.value] = true
			v.Why = append(v.Why, fmt.Sprintf("brand %s -> manufacturer %s (oem map, share %s)", c.value, m, shareName(o.Share)))
		}
	}
	return out
}

func shareName(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

type candidate struct {
	value   string
	tier    int
	score   float64
	sources []string
}

// resolve ranks the values claimed for attr: highest tier first, then the
// combined weight 1-Π(1-w·scale(tier)) of every claim for the value.
func resolve(claims []claim, attr string) []*candidate {
	byValue := map[string]*candidate{}
	miss := map[string]float64{}
	for _, c := range claims {
		if c.attr != attr {
			continue
		}
		k := strings.ToLower(c.value)
		cand, ok := byValue[k]
		if !ok {
			cand = &candidate{value: c.value}
			byValue[k] = cand
			miss[k] = 1
		}
		if c.tier > cand.tier {
			cand.tier = c.tier
		}
		miss[k] *= 1 - c.weight*tierScale[c.tier]
		cand.sources = append(cand.sources, c.source)
	}
	out := make([]*candidate, 0, len(byValue))
	for k, c := range byValue {
		c.score = 1 - miss[k]
		sort.Strings(c.sources)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.tier != b.tier {
			return a.tier > b.tier
		}
		if a.score != b.score {
			return a.score > b.score
		}
		return a.value < b.value
	})
	return out
}

func conflicts(attr string, cands []*candidate) []string {
	var out []string
	for _, c := range cands[min(1, len(cands)):] {
		out = append(out, fmt.Sprintf("%s %s (from %s) disagrees with %s", attr, c.value, strings.Join(c.sources, "; "), cands[0].value))
	}
	return out
}

func cameraLike(class string) bool {
	return evidence.Class(class).IsVideo() || class == ClassVideo
}

// videoClass settles the verdict class from the ranked class candidates.
// When the winner is camera-like, the evidence has already said "video
// device"; which kind is then up to the claims that tell a camera from a
// recorder (a model naming scheme, a recorder's web server, ONVIF storage
// types), ranked by tier and weight as usual but without the generic
// "video" claims, which every NVR makes too (it re-streams its channels as
// a NetworkVideoTransmitter). With no such claim the device is a camera,
// the far commoner kind.
func videoClass(cands []*candidate, v *Verdict) evidence.Class {
	if len(cands) == 0 {
		return evidence.Unknown
	}
	if !cameraLike(cands[0].value) {
		return evidence.Class(cands[0].value)
	}
	for _, c := range cands {
		if evidence.Class(c.value).IsVideo() {
			return evidence.Class(c.value)
		}
	}
	v.Why = append(v.Why, "video device, nothing tells camera from recorder -> class camera")
	return evidence.Camera
}

// classConflicts reports evidence for "other" against a camera or recorder
// verdict and the reverse; camera against recorder is not a conflict, both
// are video devices and the model usually settles it.
func classConflicts(cands []*candidate) []string {
	if len(cands) < 2 {
		return nil
	}
	win := cameraLike(cands[0].value)
	var out []string
	for _, c := range cands[1:] {
		if cameraLike(c.value) != win {
			out = append(out, fmt.Sprintf("class %s (from %s) disagrees with %s", c.value, strings.Join(c.sources, "; "), cands[0].value))
		}
	}
	return out
}

// agreement is the winner's share of all the support for attr, times the
// combined strength of the values on its side: strong agreeing evidence
// gives near 1, weak or contradicted evidence less.
func agreement(cands []*candidate, same func(a, b string) bool) float64 {
	if len(cands) == 0 {
		return 0
	}
	var total, win float64
	miss := 1.0
	for _, c := range cands {
		total += c.score
		if same(c.value, cands[0].value) {
			win += c.score
			miss *= 1 - c.score
		}
	}
	// The winner's strength is that of all the evidence on its side:
	// a camera claim, a recorder claim and a hint all say "video device".
	return (1 - miss) * win / total
}

func confidence(class evidence.Class, classes, makers []*candidate) float64 {
	exact := func(a, b string) bool { return strings.EqualFold(a, b) }
	sameKind := func(a, b string) bool { return cameraLike(a) == cameraLike(b) }
	cc := agreement(classes, sameKind)
	mc := agreement(makers, exact)
	var c float64
	switch {
	case class.IsVideo() && len(makers) > 0:
		c = math.Sqrt(cc * mc)
	case class.IsVideo():
		c = cc / 2
	case class == evidence.Other:
		c = cc
	case len(makers) > 0:
		c = mc / 2
	}
	return math.Round(c*100) / 100
}

func quoteShort(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
