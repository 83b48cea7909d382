package scanner

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"net/netip"
	"slices"
	"strings"
)

// AddrRange is an inclusive range of addresses of one family.
type AddrRange struct {
	From, To netip.Addr
}

func (r AddrRange) String() string {
	if r.From == r.To {
		return r.From.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// Contains reports whether a lies inside the range.
func (r AddrRange) Contains(a netip.Addr) bool {
	return a.BitLen() == r.From.BitLen() && r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// Scope is what a sweep may touch: target ranges minus exclusions. It is
// kept as a short list of disjoint ranges and expanded lazily, so a /8 costs
// a few bytes, not sixteen million addresses.
type Scope struct {
	ranges   []AddrRange // disjoint, sorted, exclusions already removed
	targets  []string
	excludes []string
}

// ScopeError explains why a target or exclusion was refused.
type ScopeError struct {
	Spec string
	Msg  string
}

func (e *ScopeError) Error() string { return fmt.Sprintf("scanner: scope %q: %s", e.Spec, e.Msg) }

// maxIPv6Expansion bounds IPv6 targets: a /64 cannot be swept by connect
// scanning, so we refuse rather than pretend.
const maxIPv6Expansion = 1 << 16

// NewScope parses targets and exclusions (CIDR prefixes, ranges "a-b" or
// "10.0.0.1-50", and single addresses). Targets outside private, loopback
// and link-local space are refused unless allowPublic is set, because a
// mistyped prefix must never turn into a scan of someone else's network.
func NewScope(targets, excludes []string, allowPublic bool) (*Scope, error) {
	if len(targets) == 0 {
		return nil, errors.New("scanner: scope: no targets given")
	}
	var inc, exc []AddrRange
	for _, spec := range targets {
		r, err := ParseRange(spec)
		if err != nil {
			return nil, err
		}
		if !allowPublic && !rangeIsNonPublic(r) {
			return nil, &ScopeError{Spec: spec, Msg: "holds public addresses; pass --allow-public if this is really intended"}
		}
		if r.From.Is6() && rangeSize(r).Cmp(big.NewInt(maxIPv6Expansion)) > 0 {
			return nil, &ScopeError{Spec: spec, Msg: fmt.Sprintf("IPv6 range larger than %d addresses cannot be swept address by address", maxIPv6Expansion)}
		}
		inc = append(inc, r)
	}
	for _, spec := range excludes {
		r, err := ParseRange(spec)
		if err != nil {
			return nil, err
		}
		exc = append(exc, r)
	}
	return &Scope{
		ranges:   subtract(merge(inc), merge(exc)),
		targets:  slices.Clone(targets),
		excludes: slices.Clone(excludes),
	}, nil
}

// ParseRange parses one target: "10.1.2.0/24", "10.1.2.10-10.1.2.20",
// "10.1.2.10-20" or "10.1.2.7".
func ParseRange(spec string) (AddrRange, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return AddrRange{}, &ScopeError{Spec: spec, Msg: "empty target"}
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return AddrRange{}, &ScopeError{Spec: spec, Msg: "not a valid CIDR prefix"}
		}
		p = p.Masked()
		return AddrRange{From: p.Addr(), To: lastAddr(p)}, nil
	}
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return AddrRange{}, &ScopeError{Spec: spec, Msg: "range start is not an IP address"}
		}
		a = a.Unmap()
		to = strings.TrimSpace(to)
		b, err := netip.ParseAddr(to)
		if err != nil && a.Is4() {
			// Short form "10.0.0.1-50": the end replaces the last octet.
			var last uint8
			if _, scanErr := fmt.Sscanf(to, "%d", &last); scanErr != nil || fmt.Sprint(last) != to {
				return AddrRange{}, &ScopeError{Spec: spec, Msg: "range end is neither an address nor a last octet (0-255)"}
			}
			o := a.As4()
			o[3] = last
			b, err = netip.AddrFrom4(o), nil
		}
		if err != nil {
			return AddrRange{}, &ScopeError{Spec: spec, Msg: "range end is not an IP address"}
		}
		b = b.Unmap()
		if a.BitLen() != b.BitLen() {
			return AddrRange{}, &ScopeError{Spec: spec, Msg: "range mixes IPv4 and IPv6"}
		}
		if b.Less(a) {
			return AddrRange{}, &ScopeError{Spec: spec, Msg: "range end is before its start"}
		}
		return AddrRange{From: a, To: b}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return AddrRange{}, &ScopeError{Spec: spec, Msg: "not an IP address, range or CIDR prefix"}
	}
	if a.Zone() != "" {
		return AddrRange{}, &ScopeError{Spec: spec, Msg: "zoned addresses are not supported"}
	}
	a = a.Unmap()
	return AddrRange{From: a, To: a}, nil
}

// Addrs yields every address in scope, in order, without materialising them.
func (s *Scope) Addrs() iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for _, r := range s.ranges {
			for a := r.From; ; a = a.Next() {
				if !yield(a) {
					return
				}
				if a == r.To {
					break
				}
			}
		}
	}
}

// Contains reports whether a is in scope (in a target, not excluded).
func (s *Scope) Contains(a netip.Addr) bool {
	a = a.Unmap()
	i, found := slices.BinarySearchFunc(s.ranges, a, func(r AddrRange, t netip.Addr) int {
		switch {
		case r.To.BitLen() != t.BitLen():
			return cmp.Compare(r.To.BitLen(), t.BitLen())
		case r.To.Less(t):
			return -1
		case t.Less(r.From):
			return 1
		}
		return 0
	})
	_ = i
	return found
}

// Overlap returns the first addresses both scopes contain, as a range,
// and whether there are any. Two sweeps over one host would each keep
// their own rate and connection limits, so callers refuse overlaps.
func (s *Scope) Overlap(o *Scope) (AddrRange, bool) {
	for _, a := range s.ranges {
		for _, b := range o.ranges {
			if a.From.BitLen() != b.From.BitLen() {
				continue
			}
			from, to := a.From, a.To
			if b.From.Compare(from) > 0 {
				from = b.From
			}
			if b.To.Compare(to) < 0 {
				to = b.To
			}
			if from.Compare(to) <= 0 {
				return AddrRange{From: from, To: to}, true
			}
		}
	}
	return AddrRange{}, false
}

// Size is the number of addresses in scope.
func (s *Scope) Size() uint64 {
	var n uint64
	for _, r := range s.ranges {
		n += rangeSize(r).Uint64()
	}
	return n
}

// Ranges returns the disjoint ranges the scope covers.
func (s *Scope) Ranges() []AddrRange { return slices.Clone(s.ranges) }

// Targets and Excludes return the specs the scope was built from.
func (s *Scope) Targets() []string  { return slices.Clone(s.targets) }
func (s *Scope) Excludes() []string { return slices.Clone(s.excludes) }

// Prefixes returns the smallest set of CIDR prefixes covering the scope.
func (s *Scope) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, r := range s.ranges {
		out = append(out, rangePrefixes(r)...)
	}
	return out
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT, used inside some regions' WANs
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("::1/128"),
}

func rangeIsNonPublic(r AddrRange) bool {
	for _, p := range nonPublic {
		if p.Contains(r.From) && p.Contains(r.To) {
			return true
		}
	}
	return false
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for bit := 0; bit < 8; bit++ {
			if i*8+bit >= bits {
				b[i] |= 0x80 >> bit
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func rangeSize(r AddrRange) *big.Int {
	from := new(big.Int).SetBytes(r.From.AsSlice())
	to := new(big.Int).SetBytes(r.To.AsSlice())
	return to.Sub(to, from).Add(to, big.NewInt(1))
}

func compareRanges(a, b AddrRange) int {
	if c := cmp.Compare(a.From.BitLen(), b.From.BitLen()); c != 0 {
		return c
	}
	return a.From.Compare(b.From)
}

// merge sorts ranges and joins overlapping or adjacent ones, so an address
// listed twice is scanned once.
func merge(rs []AddrRange) []AddrRange {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, compareRanges)
	var out []AddrRange
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.To.BitLen() == r.From.BitLen() && (last.To.Compare(r.From) >= 0 || (last.To.Next().IsValid() && last.To.Next() == r.From)) {
				if last.To.Less(r.To) {
					last.To = r.To
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// subtract removes the (merged) exclusions from the (merged) inclusions.
func subtract(inc, exc []AddrRange) []AddrRange {
	var out []AddrRange
	for _, r := range inc {
		pieces := []AddrRange{r}
		for _, x := range exc {
			var next []AddrRange
			for _, p := range pieces {
				next = append(next, cut(p, x)...)
			}
			pieces = next
		}
		out = append(out, pieces...)
	}
	return out
}

func cut(p, x AddrRange) []AddrRange {
	if p.From.BitLen() != x.From.BitLen() || x.To.Less(p.From) || p.To.Less(x.From) {
		return []AddrRange{p}
	}
	var out []AddrRange
	if p.From.Less(x.From) {
		out = append(out, AddrRange{From: p.From, To: x.From.Prev()})
	}
	if x.To.Less(p.To) {
		out = append(out, AddrRange{From: x.To.Next(), To: p.To})
	}
	return out
}

func rangePrefixes(r AddrRange) []netip.Prefix {
	var out []netip.Prefix
	a := r.From
	for {
		bits := a.BitLen()
		// Grow the prefix while it stays aligned and inside the range.
		best := netip.PrefixFrom(a, bits)
		for b := bits - 1; b >= 0; b-- {
			p := netip.PrefixFrom(a, b).Masked()
			if p.Addr() != a || r.To.Less(lastAddr(p)) {
				break
			}
			best = p
		}
		out = append(out, best)
		end := lastAddr(best)
		if end == r.To || !end.Next().IsValid() {
			return out
		}
		a = end.Next()
	}
}
