package scantest

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/hashicorp/mdns"
	"github.com/miekg/dns"
)

// The mDNS responder is built on github.com/hashicorp/mdns rather than on
// the miekg/dns code the scanner's querier uses, so the scanner's tests
// check it against records an independent implementation writes: each
// persona service becomes an mdns.MDNSService, and each question is
// answered with what that zone's Records gives. Only hashicorp/mdns's
// server loop is left out: it binds 5353 on the multicast group, answers
// unicast only to questions with the QU bit, leaves the question out of
// its unicast answers and keeps 120 s TTLs. This one answers every query on
// the host's own socket unicast to the sender, as RFC 6762 section 6.7
// asks of answers to legacy-unicast queries (which the scanner sends from
// an ephemeral port): the query's ID and questions echoed, TTLs of at most
// ten seconds, no cache-flush bit (hashicorp/mdns sets none).
const (
	mdnsMaxMessage   = 9000 // RFC 6762 section 17; longer datagrams are dropped
	mdnsMaxQuestions = 32   // questions answered from one query
	mdnsLegacyTTL    = 10   // seconds; RFC 6762 section 6.7
	mdnsDomain       = "local."
)

// mdnsZone is a host's DNS-SD services as hashicorp/mdns zones.
type mdnsZone []mdnsEntry

type mdnsEntry struct {
	svc *mdns.MDNSService
	// names maps the names the zone answers for, in the lower-case
	// presentation form a parsed question carries ("axis\ p3245-lve\ -\
	// accc8e..."), to the spelling svc.Records compares with. Its match is
	// exact, while mDNS names are case-insensitive (RFC 6762 section 16) and
	// miekg/dns escapes the spaces of an instance label when it parses one:
	// without this map a follow-up SRV or TXT question for "AXIS P3245-LVE -
	// ..." would go unanswered.
	names map[string]string
}

// newMDNSZone builds the zone of a host at addr from its persona's mDNS
// services; a service hashicorp/mdns refuses (Validate rules those out) is
// left out.
func newMDNSZone(services []MDNSService, addr netip.Addr, mac string) mdnsZone {
	var z mdnsZone
	for _, s := range services {
		host := mdnsHostName(s, mac)
		svc, err := mdns.NewMDNSService(s.Instance, s.Service, mdnsDomain, host, int(s.Port), []net.IP{addr.AsSlice()}, s.TXT)
		if err != nil {
			continue
		}
		service := strings.Trim(s.Service, ".") + "." + mdnsDomain
		e := mdnsEntry{svc: svc, names: map[string]string{}}
		// The names hashicorp/mdns's zone answers for (see its NewMDNSService).
		for _, n := range []string{"_services._dns-sd._udp." + mdnsDomain, service, s.Instance + "." + service, host} {
			if k, ok := mdnsKey(n); ok {
				e.names[k] = n
			}
		}
		z = append(z, e)
	}
	return z
}

// mdnsHostName is the host name (FQDN) a service's SRV record points to:
// the persona's, or one made of the MAC.
func mdnsHostName(s MDNSService, mac string) string {
	h := strings.TrimSuffix(strings.TrimSuffix(s.Host, "."), ".local")
	if h == "" {
		h = "device-" + strings.ToLower(strings.ReplaceAll(mac, ":", ""))
	}
	return h + "." + mdnsDomain
}

// mdnsKey is name in the lower-case presentation form miekg/dns gives a
// name it parses off the wire.
func mdnsKey(name string) (string, bool) {
	buf := make([]byte, 256)
	off, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return "", false
	}
	s, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return "", false
	}
	return strings.ToLower(s), true
}

// answer is the reply to one datagram, or nil: for a garbage, oversized or
// non-query message, and for a query the zone has nothing for.
func (z mdnsZone) answer(b []byte) []byte {
	if len(b) > mdnsMaxMessage {
		return nil
	}
	var q dns.Msg
	if q.Unpack(b) != nil || q.Response || q.Opcode != dns.OpcodeQuery || q.Rcode != dns.RcodeSuccess {
		return nil
	}
	questions := q.Question
	if len(questions) > mdnsMaxQuestions {
		questions = questions[:mdnsMaxQuestions]
	}
	r := &dns.Msg{
		MsgHdr:   dns.MsgHdr{Id: q.Id, Response: true, Opcode: dns.OpcodeQuery, Authoritative: true},
		Compress: true,
		Question: questions,
	}
	seen := map[string]bool{}
	for _, qq := range questions {
		key := strings.ToLower(qq.Name)
		for _, e := range z {
			name, ok := e.names[key]
			if !ok {
				continue
			}
			for _, rr := range e.svc.Records(dns.Question{Name: name, Qtype: qq.Qtype, Qclass: qq.Qclass}) {
				h := rr.Header()
				h.Class &^= 1 << 15 // the cache-flush bit, must be clear (section 6.7)
				h.Ttl = min(h.Ttl, mdnsLegacyTTL)
				// Two services of one type give the enumeration PTR twice.
				if s := rr.String(); !seen[s] {
					seen[s] = true
					r.Answer = append(r.Answer, rr)
				}
			}
		}
	}
	if len(r.Answer) == 0 {
		return nil
	}
	out, err := r.Pack()
	if err != nil || len(out) > mdnsMaxMessage {
		return nil
	}
	return out
}

// ServeMDNS answers DNS-SD queries on conn for the services of a host at
// addr (mac names it when a service has no host), unicast to the sender.
func ServeMDNS(ctx context.Context, conn net.PacketConn, services []MDNSService, addr netip.Addr, mac string) {
	serveDatagrams(ctx, conn, newMDNSZone(services, addr, mac).answer)
}

// serveMDNSHost is the Network seam for a host's mDNS service.
func serveMDNSHost(ctx context.Context, conn net.PacketConn, h *Host) {
	ServeMDNS(ctx, conn, h.Persona.MDNS, h.Addr, h.MAC())
}
