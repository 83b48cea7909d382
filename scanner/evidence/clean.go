package evidence

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes text a device (or a file claiming to hold what devices said)
// supplied safe to show: invalid UTF-8 becomes U+FFFD, and control
// characters (terminal escapes such as a screen clear or an OSC 8 link),
// format characters (bidi overrides, zero-width spaces) and runs of white
// space become one space, trimmed at both ends. With max > 0 the result is
// cut to at most max bytes on a character boundary. Every human-readable
// output and every metric label passes device text through it; the JSON
// report keeps the value as sent, since JSON escapes it.
func Clean(s string, max int) string {
	if isClean(s, max) {
		return s
	}
	var b strings.Builder
	if max > 0 {
		b.Grow(min(len(s), max))
	}
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unsafeRune(r) {
			space = b.Len() > 0
			continue
		}
		need := utf8.RuneLen(r)
		if space {
			need++
		}
		if max > 0 && b.Len()+need > max {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// isClean is the common case, checked without allocating: short enough,
// valid, printable, single spaces only, nothing to trim.
func isClean(s string, max int) bool {
	if max > 0 && len(s) > max || !utf8.ValidString(s) {
		return false
	}
	prevSpace := true // a leading space is not clean
	for _, r := range s {
		if r == ' ' {
			if prevSpace {
				return false
			}
			prevSpace = true
			continue
		}
		if unsafeRune(r) {
			return false
		}
		prevSpace = false
	}
	return !prevSpace || s == ""
}
