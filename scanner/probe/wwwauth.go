package probe

import "strings"

// Bounds on one WWW-Authenticate header: a device may send anything.
const (
	maxChallenges      = 8
	maxChallengeParams = 16
)

// authChallenge is one challenge of a WWW-Authenticate header (RFC 9110
// section 11.6.1), e.g. Digest with realm, nonce, qop.
type authChallenge struct {
	Scheme string
	Params map[string]string // lower-case names, first occurrence wins
}

// parseChallenges splits a WWW-Authenticate value into its challenges.
// Several may share one header ("Digest realm=\"a\", nonce=\"b\", Basic
// realm=\"c\""), values are tokens or quoted-strings with backslash
// escapes. Embedded servers bend the grammar, so it never fails: it keeps
// what it can read and skips bytes it cannot.
func parseChallenges(h string) []authChallenge {
	var out []authChallenge
	s := h
	for len(out) < maxChallenges {
		s = skipSepSpace(s)
		if s == "" {
			break
		}
		scheme, rest := authToken(s)
		if scheme == "" {
			s = s[1:] // a stray '=' or quote: skip it
			continue
		}
		c := authChallenge{Scheme: scheme, Params: map[string]string{}}
		s = rest
		for {
			at := skipSepSpace(s)
			name, r := authToken(at)
			if name == "" {
				s = at
				break
			}
			r = skipSpace(r)
			if !strings.HasPrefix(r, "=") {
				// A token not followed by '=' starts the next challenge.
				s = at
				break
			}
			r = skipSpace(r[1:])
			var val string
			if strings.HasPrefix(r, `"`) {
				val, r = quotedString(r)
			} else {
				val, r = authToken(r)
			}
			key := strings.ToLower(name)
			if _, dup := c.Params[key]; !dup && len(c.Params) < maxChallengeParams {
				c.Params[key] = val
			}
			s = r
		}
		out = append(out, c)
	}
	return out
}

// realms returns the realm of every challenge in a WWW-Authenticate value.
func realms(h string) []string {
	var out []string
	for _, c := range parseChallenges(h) {
		if r, ok := c.Params["realm"]; ok {
			out = append(out, r)
		}
	}
	return out
}

// authToken reads a token. It is looser than RFC 9110's tchar (it also takes
// '/', ':', '(' and the like) because devices send unquoted realms such as
// realm=DS-2CD/IPC.
func authToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c <= ' ' || c == ',' || c == '=' || c == '"' || c == 0x7f {
			break
		}
		i++
	}
	return s[:i], s[i:]
}

// quotedString reads a quoted-string starting at s[0] == '"', undoing
// backslash escapes; an unterminated one runs to the end of s.
func quotedString(s string) (val, rest string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

func skipSpace(s string) string { return strings.TrimLeft(s, " \t") }

func skipSepSpace(s string) string { return strings.TrimLeft(s, " \t,") }
