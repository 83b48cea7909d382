package fingerprint

import (
	"fmt"
	"regexp"
	"strings"
)

// recog writes its patterns for Ruby's regular expressions (Onigmo) and
// names the flags after POSIX's. camsweep compiles them with Go's RE2, which
// has no backtracking: a hostile banner cannot make a match take long. This
// file carries the translation, and says no where RE2 cannot follow
// (look-around, back-references, possessive and atomic groups): such a
// fingerprint is skipped with that reason rather than matched wrongly.
//
// Ruby's semantics that differ from Go's, and how each is kept:
//   - ^ and $ match at every line start and end in Ruby, always: the pattern
//     runs in Go's (?m) mode.
//   - Ruby's "m" option (Regexp::MULTILINE) lets "." match a newline, which is
//     Go's (?s); recog's REG_DOT_NEWLINE and REG_MULTILINE both map to it, as
//     recog's Ruby RegexpFactory maps both to Regexp::MULTILINE. Inline (?m)
//     groups in a pattern are rewritten to (?s) for the same reason.
//   - REG_ICASE is (?i); REG_LINE_ANY_CRLF changes nothing in Ruby either.
//   - \h and \H (hex digit) become classes; \Z (end, or before a final
//     newline) becomes (?:\n?\z); \uXXXX becomes \x{XXXX}; \e becomes \x1b.

// maxRecogPattern bounds a pattern read from a user's file.
const maxRecogPattern = 16 << 10

// recogFlags turns a flags attribute ("REG_ICASE,REG_DOT_NEWLINE") into Go
// inline flags.
func recogFlags(attr string) (string, error) {
	var icase, dotNL bool
	for _, f := range strings.FieldsFunc(attr, func(r rune) bool { return r == ',' || r == '|' || r == ' ' }) {
		switch f {
		case "REG_ICASE", "IGNORECASE":
			icase = true
		case "REG_DOT_NEWLINE", "REG_MULTILINE":
			dotNL = true
		case "REG_LINE_ANY_CRLF", "REG_EXTENDED", "REG_NOSUB", "REG_NEWLINE":
		default:
			return "", fmt.Errorf("unknown flag %q (recog knows REG_ICASE, REG_DOT_NEWLINE, REG_MULTILINE, REG_LINE_ANY_CRLF)", f)
		}
	}
	flags := "m"
	if icase {
		flags += "i"
	}
	if dotNL {
		flags += "s"
	}
	return "(?" + flags + ")", nil
}

// compileRecog compiles a recog pattern with its flags under Ruby's
// semantics, or says why RE2 cannot.
func compileRecog(pattern, flags string) (*regexp.Regexp, error) {
	if len(pattern) > maxRecogPattern {
		return nil, fmt.Errorf("pattern is %d bytes, more than %d", len(pattern), maxRecogPattern)
	}
	prefix, err := recogFlags(flags)
	if err != nil {
		return nil, err
	}
	body, err := rubyToRE2(pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(prefix + body)
	if err != nil {
		return nil, fmt.Errorf("RE2 cannot compile it: %w", err)
	}
	return re, nil
}

// rubyToRE2 rewrites the Ruby constructs that have an RE2 equivalent and
// refuses those that have none, naming them.
func rubyToRE2(p string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return "", fmt.Errorf("pattern ends in a lone backslash")
			}
			i++
			e := p[i]
			switch {
			case e == 'h':
				b.WriteString(classOrSet(inClass, "0-9a-fA-F"))
			case e == 'H':
				if inClass {
					return "", fmt.Errorf("\\H inside a character class has no RE2 form")
				}
				b.WriteString("[^0-9a-fA-F]")
			case e == 'Z':
				b.WriteString(`(?:\n?\z)`)
			case e == 'e':
				b.WriteString(`\x1b`)
			case e == 'u' && i+4 < len(p) && isHex4(p[i+1:i+5]):
				b.WriteString(`\x{` + p[i+1:i+5] + `}`)
				i += 4
			case e >= '1' && e <= '9' && !inClass:
				return "", fmt.Errorf("back-reference \\%c (RE2 has none)", e)
			case e == 'G' || e == 'K' || e == 'R' || e == 'X':
				return "", fmt.Errorf("\\%c (Ruby only)", e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case inClass:
			if c == ']' {
				inClass = false
			} else if c == '&' && i+1 < len(p) && p[i+1] == '&' {
				return "", fmt.Errorf("character class intersection && (Ruby only)")
			} else if c == '[' && i+1 < len(p) && p[i+1] == ':' {
				// A POSIX class such as [:alpha:]: copy it whole so that its
				// closing bracket does not end the outer class.
				if j := strings.Index(p[i:], ":]"); j > 0 {
					b.WriteString(p[i : i+j+2])
					i += j + 1
					continue
				}
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ] right after [ or [^ is a literal in both dialects.
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == '(' && i+1 < len(p) && p[i+1] == '?':
			n, err := rubyGroup(&b, p[i:])
			if err != nil {
				return "", err
			}
			i += n - 1
		case (c == '+' || c == '?') && i > 0 && isQuantifierEnd(p, i):
			// "a++" or "a?+" is possessive in Ruby; "a+?" is lazy in both.
			if c == '+' {
				return "", fmt.Errorf("possessive quantifier at offset %d (RE2 has none)", i)
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// rubyGroup handles a "(?" group opener at the start of s, writes its RE2
// form and returns how many bytes of s it consumed.
func rubyGroup(b *strings.Builder, s string) (int, error) {
	rest := s[2:]
	switch {
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"),
		strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
		return 0, fmt.Errorf("look-around group %q (RE2 has none)", s[:min(len(s), 4)])
	case strings.HasPrefix(rest, ">"):
		return 0, fmt.Errorf("atomic group (?> (RE2 has none)")
	case strings.HasPrefix(rest, "#"):
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return 0, fmt.Errorf("unterminated comment group")
		}
		return end + 1, nil // comments are dropped
	case strings.HasPrefix(rest, "'"):
		end := strings.IndexByte(rest[1:], '\'')
		if end < 0 {
			return 0, fmt.Errorf("unterminated group name")
		}
		b.WriteString("(?P<" + rest[1:1+end] + ">")
		return 2 + end + 2, nil
	case strings.HasPrefix(rest, "<"):
		b.WriteString("(?P<")
		return 3, nil
	}
	// Option groups: (?imx-imx) or (?imx-imx: ...). Ruby's m is Go's s.
	j := 0
	for j < len(rest) && strings.IndexByte("imx-", rest[j]) >= 0 {
		j++
	}
	if j == len(rest) || (rest[j] != ')' && rest[j] != ':') {
		b.WriteString("(?")
		return 2, nil // let RE2 judge what follows
	}
	opts := rest[:j]
	if strings.ContainsRune(opts, 'x') {
		return 0, fmt.Errorf("extended-mode option x (RE2 has none)")
	}
	b.WriteString("(?" + strings.ReplaceAll(opts, "m", "s") + string(rest[j]))
	return 2 + j + 1, nil
}

// isQuantifierEnd reports whether p[i] ('+' or '?') directly follows a
// quantifier, making it a possessive (+) or lazy (?) modifier.
func isQuantifierEnd(p string, i int) bool {
	prev := p[i-1]
	if i >= 2 && p[i-2] == '\\' {
		return false // an escaped \* \+ \? \} is a literal
	}
	return prev == '*' || prev == '+' || prev == '?' || prev == '}'
}

func classOrSet(inClass bool, ranges string) string {
	if inClass {
		return ranges
	}
	return "[" + ranges + "]"
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s) == 4
}
