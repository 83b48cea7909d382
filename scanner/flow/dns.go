package flow

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// DefaultMaxLookups bounds a DNSTable.
const DefaultMaxLookups = 4096

// DNSTable holds who looked up which camera-cloud name. Only names under a
// CloudDomain are kept: a mirror port sees every lookup on the segment,
// and the rest are none of camsweep's business. Safe for concurrent use.
type DNSTable struct {
	mu      sync.Mutex
	max     int
	domains []CloudDomain
	watch   []netip.Prefix
	byKey   map[dnsKey]*evidence.DNSLookup
	dropped uint64
}

type dnsKey struct {
	client netip.Addr
	name   string
}

// NewDNSTable makes a table for the names under domains (CloudDomains when
// nil), from clients in watch (any when empty), holding at most max
// lookups (DefaultMaxLookups when 0).
func NewDNSTable(domains []CloudDomain, watch []netip.Prefix, max int) *DNSTable {
	if domains == nil {
		domains = CloudDomains
	}
	if max <= 0 {
		max = DefaultMaxLookups
	}
	return &DNSTable{max: max, domains: domains, watch: slices.Clone(watch), byKey: map[dnsKey]*evidence.DNSLookup{}}
}

// Add records that client asked for name at at, if name is a cloud name.
func (d *DNSTable) Add(client netip.Addr, name string, at time.Time) {
	c, ok := matchCloud(d.domains, name)
	if !ok {
		return
	}
	client = client.Unmap()
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.watch) > 0 && !slices.ContainsFunc(d.watch, func(p netip.Prefix) bool { return p.Contains(client) }) {
		return
	}
	k := dnsKey{client, name}
	l := d.byKey[k]
	if l == nil {
		if len(d.byKey) >= d.max {
			d.dropped++
			return
		}
		l = &evidence.DNSLookup{Client: client, Name: name, Maker: c.Maker, First: at.UTC()}
		d.byKey[k] = l
	}
	l.Count++
	l.Last = at.UTC()
}

// Lookups returns the lookups last seen at or after since (all when zero),
// ordered by client and name.
func (d *DNSTable) Lookups(since time.Time) []evidence.DNSLookup {
	d.mu.Lock()
	out := make([]evidence.DNSLookup, 0, len(d.byKey))
	for _, l := range d.byKey {
		if l.Last.Before(since) {
			continue
		}
		out = append(out, *l)
	}
	d.mu.Unlock()
	slices.SortFunc(out, func(a, b evidence.DNSLookup) int {
		if c := a.Client.Compare(b.Client); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Expire drops lookups last seen before cutoff.
func (d *DNSTable) Expire(cutoff time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, l := range d.byKey {
		if l.Last.Before(cutoff) {
			delete(d.byKey, k)
		}
	}
}

// Dropped counts lookups not kept because the table was full.
func (d *DNSTable) Dropped() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}
