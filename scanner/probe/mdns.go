package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/bounded"
	"github.com/camsweep/camsweep/scanner/internal/datagram"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// mDNS / DNS-SD (RFC 6762, RFC 6763). Queries go out from an ephemeral port,
// which makes them "legacy unicast" queries (RFC 6762 section 6.7): responders
// answer straight to our socket, so every answer is attributed to the
// address it came from, and we never bind 5353 next to the host's own
// responder.
//
// hashicorp/mdns is not used for the querying: its client drops a service
// whose answer lacks a TXT record, drops entries when its result channel is
// full, aborts the whole query when the IPv6 send fails on an IPv4-only
// interface, and reports the addresses a record names rather than the
// address that answered. This querier (miekg/dns for the wire format) has
// none of those limits: each test in mdns_test.go pins one of them.
// hashicorp/mdns still plays the other side in tests: scantest serves the
// personas' mDNS sections from its zones (scantest/mdns_server.go), so
// TestMDNSProberHashicorpResponder checks this querier against records an
// independent implementation writes.
const (
	mdnsPort       = 5353
	maxMDNSRecords = 256 // records read from one answer
	// maxMDNSFollowUps bounds the instances asked for their SRV and TXT
	// after a PTR-only answer, and so the instances kept awaiting that
	// follow-up: the first ones announced, each once.
	maxMDNSFollowUps = 32
)

var mdnsGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{224, 0, 0, 251}), mdnsPort)

// DefaultMDNSServices are the DNS-SD service types cameras and recorders
// advertise: generic web and RTSP, ONVIF, Axis (_axis-video), Hikvision's
// older PSIA and CGI announcements, HomeKit cameras (_hap) and the
// model-bearing _device-info records.
var DefaultMDNSServices = []string{
	"_http._tcp", "_https._tcp", "_rtsp._tcp", "_onvif._tcp", "_axis-video._tcp",
	"_psia._tcp", "_CGI._tcp", "_hap._tcp", "_device-info._tcp",
}

// MDNSOptions tunes mDNS.
type MDNSOptions struct {
	// Port is the unicast prober's destination port (default 5353).
	Port     uint16
	Services []string      // service types to ask for; DefaultMDNSServices when empty
	Wait     time.Duration // answers are collected this long (default 2s)
}

func (o MDNSOptions) services() []string {
	if len(o.Services) == 0 {
		return DefaultMDNSServices
	}
	return o.Services
}

// mdnsQueries builds one PTR query per service type (one question each:
// some responders answer only the first question of a message).
func mdnsQueries(services []string) ([][]byte, error) {
	var out [][]byte
	for _, s := range services {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(s+".local"), dns.TypePTR)
		m.RecursionDesired = false
		b, err := m.Pack()
		if err != nil {
			return nil, fmt.Errorf("scanner: mdns query %s: %w", s, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// parseMDNS turns one answer into evidence: for each PTR of an asked-for
// service, the instance, and the SRV target and TXT strings that came with
// it, when they did. A service with no TXT record is still reported.
func parseMDNS(b []byte, services []string) ([]evidence.Evidence, error) {
	ev, _, err := parseMDNSFollow(b, services, nil)
	return ev, err
}

// parseMDNSFollow is parseMDNS that also reads SRV and TXT records of the
// instances in known (answers to a follow-up query, which carry no PTR), and
// returns the instances whose SRV did not come with their PTR: avahi, for
// one, answers a legacy-unicast PTR query with the PTR alone.
func parseMDNSFollow(b []byte, services []string, known map[string]bool) ([]evidence.Evidence, []string, error) {
	var m dns.Msg
	if err := m.Unpack(b); err != nil {
		return nil, nil, fmt.Errorf("scanner: parse mdns: %w", err)
	}
	if !m.Response {
		return nil, nil, errors.New("scanner: parse mdns: not a response")
	}
	wanted := map[string]string{}
	for _, s := range services {
		wanted[strings.ToLower(dns.Fqdn(s+".local"))] = s
	}
	rrs := append(append(m.Answer, m.Ns...), m.Extra...)
	if len(rrs) > maxMDNSRecords {
		rrs = rrs[:maxMDNSRecords]
	}
	srv := map[string]*dns.SRV{}
	txt := map[string][]string{}
	for _, rr := range rrs {
		name := strings.ToLower(rr.Header().Name)
		switch r := rr.(type) {
		case *dns.SRV:
			srv[name] = r
		case *dns.TXT:
			txt[name] = append(txt[name], r.Txt...)
		}
	}
	l := value.List{Probe: "mdns"}
	var missing []string
	describe := func(inst string) {
		if s := srv[inst]; s != nil {
			host := strings.TrimSuffix(s.Target, ".")
			l.Add("mdns.host", host)
			l.Add("hostname", host)
		} else {
			missing = append(missing, inst)
		}
		for i, t := range txt[inst] {
			if i >= 64 {
				break
			}
			if t != "" {
				l.Add("mdns.txt", t)
			}
		}
	}
	for _, rr := range rrs {
		ptr, ok := rr.(*dns.PTR)
		if !ok {
			continue
		}
		svc, ok := wanted[strings.ToLower(ptr.Hdr.Name)]
		if !ok {
			continue
		}
		l.Add("mdns.service", svc)
		l.Add("mdns.instance", instanceLabel(ptr.Ptr, ptr.Hdr.Name))
		describe(strings.ToLower(ptr.Ptr))
	}
	for inst := range known {
		if srv[inst] != nil || txt[inst] != nil {
			describe(inst)
		}
	}
	return l.Out, missing, nil
}

// mdnsFollowUps asks for the SRV and TXT records of instances (at most
// maxMDNSFollowUps of them, one question per message).
func mdnsFollowUps(instances []string) [][]byte {
	var out [][]byte
	for i, inst := range instances {
		if i >= maxMDNSFollowUps {
			break
		}
		for _, t := range []uint16{dns.TypeSRV, dns.TypeTXT} {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(inst), t)
			m.RecursionDesired = false
			if b, err := m.Pack(); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// instanceLabel is the user-visible instance name ("AXIS M3046-V -
// ACCC8E000001") from its full name, with DNS escapes undone.
func instanceLabel(full, service string) string {
	label := strings.TrimSuffix(strings.TrimSuffix(full, "."), "."+strings.TrimSuffix(service, "."))
	var b strings.Builder
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c != '\\' || i+1 >= len(label) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(label) && isDigit(label[i+1]) && isDigit(label[i+2]) && isDigit(label[i+3]) {
			v := int(label[i+1]-'0')*100 + int(label[i+2]-'0')*10 + int(label[i+3]-'0')
			if v < 256 {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(label[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// MDNSDiscoverer multicasts the DNS-SD queries on each interface (IPv4).
type MDNSDiscoverer struct {
	ifaces []net.Interface
	opts   MDNSOptions
	log    zerolog.Logger
}

// NewMDNSDiscoverer returns the "mdns" discoverer (interfaces as for
// NewWSDDiscoverer). It is not a DatagramDiscoverer: a PTR-only answer
// earns a second round that asks for the instances' SRV and TXT.
func NewMDNSDiscoverer(ifaces []net.Interface, opts MDNSOptions, log zerolog.Logger) *MDNSDiscoverer {
	return &MDNSDiscoverer{ifaces: ifaces, opts: opts, log: log.With().Str("probe", "mdns").Logger()}
}

func (d *MDNSDiscoverer) Name() string { return "mdns" }

func (d *MDNSDiscoverer) Discover(ctx context.Context, found func(scanner.Sighting)) error {
	services := d.opts.services()
	msgs, err := mdnsQueries(services)
	if err != nil {
		return err
	}
	hosts := datagram.NewSightings()
	var mu sync.Mutex
	// Instances whose SRV did not come with their PTR, from every host:
	// only as many as one follow-up round asks for are kept.
	missing := bounded.NewFirstSeen(maxMDNSFollowUps)
	round := func(msgs [][]byte, known map[string]bool) error {
		return datagram.Discover(ctx, d.ifaces, d.log, func(s scanner.Sighting) { hosts.Add(s.Addr, s.Evidence) },
			func(ifi net.Interface) (datagram.Round, func(netip.Addr, []byte) []evidence.Evidence) {
				// TTL 255 as RFC 6762 section 11 requires; the group is
				// link-local and never routed whatever the TTL.
				r := datagram.Round{Iface: ifi, Group: mdnsGroup, Msgs: msgs, Wait: d.opts.Wait, TTL: 255}
				return r, func(_ netip.Addr, b []byte) []evidence.Evidence {
					ev, miss, err := parseMDNSFollow(b, services, known)
					if err != nil {
						return nil
					}
					mu.Lock()
					for _, m := range miss {
						missing.Add(m)
					}
					mu.Unlock()
					return ev
				}
			})
	}
	if err := round(msgs, nil); err != nil {
		return err
	}
	if missing.Len() > 0 {
		known, ask := missing.Set(), missing.List()
		missing = bounded.NewFirstSeen(maxMDNSFollowUps)
		if err := round(mdnsFollowUps(ask), known); err != nil {
			d.log.Debug().Err(err).Msg("mdns follow-up failed")
		}
	}
	hosts.Each(found)
	return nil
}

// MDNSProber sends the same queries unicast to a host's port 5353 (RFC 6762
// section 5.5), which reaches responders behind a router too.
type MDNSProber struct {
	opts MDNSOptions
	log  zerolog.Logger
}

// NewMDNSProber returns the "mdns" prober.
func NewMDNSProber(opts MDNSOptions, log zerolog.Logger) *MDNSProber {
	return &MDNSProber{opts: opts, log: log.With().Str("probe", "mdns").Logger()}
}

func (p *MDNSProber) Name() string { return "mdns" }

func (p *MDNSProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	services := p.opts.services()
	msgs, err := mdnsQueries(services)
	if err != nil {
		return err
	}
	port := p.opts.Port
	if port == 0 {
		port = mdnsPort
	}
	// Instances awaiting the follow-up: each once, the first ones
	// announced, however many answers the host sends (up to
	// maxRepliesRound of up to maxReplyBytes each).
	missing := bounded.NewFirstSeen(maxMDNSFollowUps)
	var known map[string]bool
	parse := func(b []byte) ([]evidence.Evidence, error) {
		ev, miss, err := parseMDNSFollow(b, services, known)
		for _, m := range miss {
			missing.Add(m)
		}
		return ev, err
	}
	if err := unicastDatagramProbe(ctx, t, port, "mdns", msgs, p.opts.Wait, emit, parse, p.log); err != nil {
		return err
	}
	if missing.Len() == 0 {
		return nil
	}
	known, ask := missing.Set(), missing.List()
	missing = bounded.NewFirstSeen(0) // the follow-up's answers start no further round
	return unicastDatagramProbe(ctx, t, port, "mdns", mdnsFollowUps(ask), p.opts.Wait, emit, parse, p.log)
}
