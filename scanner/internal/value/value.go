// Package value makes what a device said safe to carry as evidence: text
// cleaned and bounded, MAC addresses in one form, and collectors that drop
// empty values and repeats. Every probe and the passive listener go through
// it, so the same fact reads the same whichever way it was learnt.
package value

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// MaxLen bounds one evidence value unless its field says otherwise
// (docs/evidence.md).
const MaxLen = 256

// Clean makes device text safe to carry as evidence: valid UTF-8,
// control characters and runs of white space folded to one space, trimmed,
// and at most max bytes (cut on a rune boundary).
func Clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(min(len(s), max))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		need := utf8.RuneLen(r)
		if space {
			need++
		}
		if b.Len()+need > max {
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

// Sink emits one probe's evidence, dropping empty values and exact
// repeats (the same Server header on port 80 and 443 is one fact).
type Sink struct {
	probe string
	emit  func(evidence.Evidence)
	seen  map[[2]string]struct{}
}

// NewSink returns a sink that emits under the probe's name.
func NewSink(probe string, emit func(evidence.Evidence)) *Sink {
	return &Sink{probe: probe, emit: emit, seen: make(map[[2]string]struct{})}
}

// Add emits field=value with the value cleaned to MaxLen.
func (s *Sink) Add(field, value string) { s.AddN(field, value, MaxLen) }

// AddN emits field=value with the value cleaned to max bytes.
func (s *Sink) AddN(field, value string, max int) {
	value = Clean(value, max)
	if value == "" {
		return
	}
	k := [2]string{field, value}
	if _, dup := s.seen[k]; dup {
		return
	}
	s.seen[k] = struct{}{}
	s.emit(evidence.Evidence{Probe: s.probe, Field: field, Value: value})
}

// List collects one message's evidence under a probe name, values cleaned
// to MaxLen and empty ones dropped; what a parser returns.
type List struct {
	Probe string
	Out   []evidence.Evidence
}

// Add appends field=value unless the cleaned value is empty.
func (l *List) Add(field, value string) {
	if v := Clean(value, MaxLen); v != "" {
		l.Out = append(l.Out, evidence.Evidence{Probe: l.Probe, Field: field, Value: v})
	}
}

// PassCharset lets an XML decoder read documents that declare a charset
// other than UTF-8 (cameras say "GB2312" or "ISO-8859-1" for ASCII text);
// Clean later replaces any invalid byte.
func PassCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }
