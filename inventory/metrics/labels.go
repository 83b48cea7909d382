package metrics

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLabelBytes bounds a label value taken from what a device said (model,
// manufacturer, brand, a serial inside a key). Real models and makers are a
// few dozen characters; a longer one is a device filling a field, and every
// byte of it would be kept by Prometheus for the series and refused whole by
// remote-write receivers that limit label length.
const maxLabelBytes = 128

// labelValue makes a device-supplied string safe as a label value: invalid
// UTF-8 (which the client library refuses, failing the whole scrape)
// replaced, control and format characters (terminal escapes, bidi
// overrides, which would reach whoever reads the alert) and runs of white
// space folded into one space, and the result cut to maxLabelBytes on a
// character boundary, with an ellipsis saying it was cut. The snapshot is
// encoded once per change, not per scrape, so this costs nothing that
// matters.
func labelValue(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), maxLabelBytes))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if b.Len() > maxLabelBytes {
			break
		}
	}
	out := b.String()
	if len(out) <= maxLabelBytes {
		return out
	}
	const ellipsis = "…"
	cut := maxLabelBytes - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + ellipsis
}
