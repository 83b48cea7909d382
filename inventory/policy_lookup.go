package inventory

import (
	"net/netip"
	"strings"
)

// site returns the rules for a site, matched without regard to case.
func (p *Policy) site(name string) SitePolicy {
	if p == nil || name == "" {
		return SitePolicy{}
	}
	if sp, ok := p.Sites[name]; ok {
		return sp
	}
	for k, sp := range p.Sites {
		if strings.EqualFold(k, name) {
			return sp
		}
	}
	return SitePolicy{}
}

func containsAddr(prefixes []netip.Prefix, d Device) bool {
	a := d.IP.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func prefixList(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
