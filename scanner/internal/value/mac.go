package value

import "strings"

// MAC normalises a MAC as devices and the kernel write it
// (44-19-B6-0A-0B-0C, 4419b60a0b0c, 3cef.8c11.2233, 44:19:b6:0a:0b:0c) to
// the lower-case colon form evidence carries, or "" when it is not a 48-bit
// MAC. It is the scanner's one MAC parser, so every probe's "mac" evidence
// for the same device is the same string.
func MAC(s string) string {
	s = strings.TrimSpace(s)
	var hex []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			hex = append(hex, c)
		case c >= 'A' && c <= 'F':
			hex = append(hex, c+('a'-'A'))
		case c == ':' || c == '-' || c == '.':
		default:
			return ""
		}
		if len(hex) > 12 {
			return ""
		}
	}
	if len(hex) != 12 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.Write(hex[i : i+2])
	}
	return b.String()
}
