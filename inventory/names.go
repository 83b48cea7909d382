package inventory

import (
	"encoding/hex"
	"errors"
	"strings"
	"unicode"
)

// NormalizeMAC accepts the forms registries and devices write a 48-bit MAC
// in: colon (3c:ef:8c:12:34:56), dash (3C-EF-8C-12-34-56), Cisco dot
// (3cef.8c12.3456) and bare (3CEF8C123456), and returns the lower-case colon
// form used everywhere else in camsweep.
func NormalizeMAC(s string) (string, error) {
	s = strings.TrimSpace(s)
	var digits string
	switch {
	case len(s) == 17 && (allSep(s, ':', 3) || allSep(s, '-', 3)):
		digits = s[0:2] + s[3:5] + s[6:8] + s[9:11] + s[12:14] + s[15:17]
	case len(s) == 14 && s[4] == '.' && s[9] == '.':
		digits = s[0:4] + s[5:9] + s[10:14]
	case len(s) == 12:
		digits = s
	default:
		return "", errors.New("not a MAC address (want aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff)")
	}
	b, err := hex.DecodeString(digits)
	if err != nil {
		return "", errors.New("not a MAC address: non-hex digit")
	}
	var out [17]byte
	const hexdig = "0123456789abcdef"
	for i, v := range b {
		if i > 0 {
			out[i*3-1] = ':'
		}
		out[i*3] = hexdig[v>>4]
		out[i*3+1] = hexdig[v&0xf]
	}
	return string(out[:]), nil
}

// allSep reports whether every stride-th character of s is sep and no other
// one is, so "3c:ef-8c:..." (mixed separators) is refused.
func allSep(s string, sep byte, stride int) bool {
	for i := range len(s) {
		isSepPos := i%stride == stride-1
		if isSepPos != (s[i] == sep) {
			return false
		}
	}
	return true
}

// vendorNoise are words that name a company's legal form, home city or line
// of business rather than the company: "Hangzhou Hikvision Digital Technology
// Co.,Ltd." (the OUI registry's name), "HIKVISION" (ONVIF) and "Hikvision"
// (a registry row) must compare equal.
var vendorNoise = map[string]bool{
	"co": true, "ltd": true, "inc": true, "corp": true, "corporation": true,
	"company": true, "limited": true, "llc": true, "gmbh": true, "ab": true,
	"as": true, "aps": true, "sa": true, "bv": true, "plc": true, "group": true,
	"technology": true, "technologies": true, "tech": true, "digital": true,
	"communications": true, "communication": true, "international": true,
	"innovation": true, "innovations": true, "electronics": true,
	"hangzhou": true, "zhejiang": true, "shenzhen": true, "the": true,
}

// NormalizeVendor reduces a manufacturer or brand name to the words that
// identify the company, lower-cased, so names from the OUI registry, ONVIF,
// banners and hand-typed registries compare equal. It returns "" for a name
// made only of noise.
func NormalizeVendor(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	kept := words[:0]
	for _, w := range words {
		if !vendorNoise[w] {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// sameVendor reports whether two non-empty vendor names denote one company.
func sameVendor(a, b string) bool {
	na, nb := NormalizeVendor(a), NormalizeVendor(b)
	return na != "" && na == nb
}

// normalizeModel folds case, spaces and dashes, which registries and devices
// write inconsistently ("DS-2CD2143G2-I" vs "ds 2cd2143g2i").
func normalizeModel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func trimSpace(s string) string { return strings.TrimSpace(s) }

// normCache memoises NormalizeVendor for one Reconcile call: a sweep has
// 100,000 devices but a handful of vendor names.
type normCache map[string]string

func (c normCache) norm(s string) string {
	n, ok := c[s]
	if !ok {
		n = NormalizeVendor(s)
		c[s] = n
	}
	return n
}

func (c normCache) same(a, b string) bool {
	na := c.norm(a)
	return na != "" && na == c.norm(b)
}

func (c normCache) banned(p *Policy, manufacturer string) bool {
	for _, b := range p.BannedManufacturers {
		if c.same(b, manufacturer) {
			return true
		}
	}
	return false
}
