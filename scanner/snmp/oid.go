package snmp

import (
	"errors"
	"strconv"
	"strings"
)

// oid is an object identifier as sub-identifiers. Agents name every
// variable with one; the walk compares them to stay inside a column and to
// catch an agent that goes backwards, and the decoders read table indexes
// out of them.
type oid []uint32

// maxOIDLen bounds an OID from the network (RFC 2578 allows 128
// sub-identifiers).
const maxOIDLen = 128

var errBadOID = errors.New("snmp: malformed OID")

// parseOID reads the dotted form gosnmp gives (".1.3.6.1..."; the leading
// dot is optional).
func parseOID(s string) (oid, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, errBadOID
	}
	out := make(oid, 0, 24)
	for len(s) > 0 {
		part := s
		if i := strings.IndexByte(s, '.'); i >= 0 {
			part, s = s[:i], s[i+1:]
			if s == "" {
				return nil, errBadOID // trailing dot
			}
		} else {
			s = ""
		}
		n, err := strconv.ParseUint(part, 10, 32)
		if err != nil {
			return nil, errBadOID
		}
		if len(out) == maxOIDLen {
			return nil, errBadOID
		}
		out = append(out, uint32(n))
	}
	return out, nil
}

// mustOID is for the package's own constants.
func mustOID(s string) oid {
	o, err := parseOID(s)
	if err != nil {
		panic("snmp: bad OID constant " + s)
	}
	return o
}

func (o oid) String() string {
	var b strings.Builder
	for _, n := range o {
		b.WriteByte('.')
		b.WriteString(strconv.FormatUint(uint64(n), 10))
	}
	return b.String()
}

// hasPrefix reports whether o lies under p (p itself included).
func (o oid) hasPrefix(p oid) bool {
	if len(o) < len(p) {
		return false
	}
	for i := range p {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// compareOID orders OIDs lexicographically, as GETNEXT walks them.
func compareOID(a, b oid) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
