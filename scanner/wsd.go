package scanner

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/rs/zerolog"
)

// WS-Discovery as ONVIF uses it (the 2005/04 draft namespace): a SOAP-over-
// UDP Probe to 239.255.255.250:3702, answered by a unicast ProbeMatches.
const (
	wsdPort    = 3702
	wsdMaxAddr = 64 // XAddrs, types or scopes kept per match
)

var wsdGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 250}), wsdPort)

// wsdProbeTypes are the only probes ever sent, in order. An untyped Probe
// would be answered by everything that speaks WS-Discovery, including IEEE
// 11073 SDC medical devices, which must not be touched; so each probe names
// an ONVIF type.
var wsdProbeTypes = []struct{ prefix, ns, local string }{
	{"dn", "http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter"},
	{"tds", "http://www.onvif.org/ver10/device/wsdl", "Device"},
}

// newWSDProbe builds one typed Probe. It is a single line: some cameras
// (observed with several white-label firmwares) ignore a probe that carries
// line breaks, and every device parses the one-line form.
func newWSDProbe(msgID, prefix, ns, local string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"` +
		` xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"` +
		` xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"` +
		` xmlns:` + prefix + `="` + ns + `">` +
		`<s:Header>` +
		`<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>` +
		`<a:MessageID>` + msgID + `</a:MessageID>` +
		`<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
		`<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
		`</s:Header>` +
		`<s:Body><d:Probe><d:Types>` + prefix + ":" + local + `</d:Types></d:Probe></s:Body>` +
		`</s:Envelope>`)
}

// wsdProbes returns the typed probes and their message ids.
func wsdProbes() (msgs [][]byte, ids map[string]bool) {
	ids = map[string]bool{}
	for _, t := range wsdProbeTypes {
		id := "urn:uuid:" + newUUID()
		ids[id] = true
		msgs = append(msgs, newWSDProbe(id, t.prefix, t.ns, t.local))
	}
	return msgs, ids
}

// newUUID is a random (version 4) UUID in its text form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// WSDOptions tunes WS-Discovery.
type WSDOptions struct {
	// Wait is how long answers are collected after the probes (default 2s;
	// ONVIF devices answer within the 0-500 ms APP_MAX_DELAY).
	Wait time.Duration
	// TTL of multicast probes (default 1: the link only).
	TTL int
}

// wsdEvidence turns one datagram into evidence, or nothing when it is not a
// ProbeMatches for one of ids about an ONVIF device.
func wsdEvidence(b []byte, ids map[string]bool, log zerolog.Logger) []evidence.Evidence {
	pm, err := parseProbeMatches(b)
	if err != nil {
		log.Debug().Err(err).Msg("wsd: unparsable answer")
		return nil
	}
	if pm.RelatesTo != "" && !ids[pm.RelatesTo] {
		log.Debug().Msg("wsd: answer to a probe that is not ours")
		return nil
	}
	var out []evidence.Evidence
	for _, m := range pm.Matches {
		if !m.IsONVIF() {
			// A DPWS/SDC device (or anything else) that answered a typed
			// probe anyway: note it in the debug log, never follow it up.
			log.Debug().Msg("wsd: ignoring non-ONVIF match")
			continue
		}
		out = append(out, m.evidence()...)
	}
	return out
}

// WSDProber sends the typed probes to port 3702 of one host: multicast does
// not cross the routers between VLANs, unicast does.
type WSDProber struct {
	opts WSDOptions
	log  zerolog.Logger
}

// NewWSDProber returns the "wsd" prober.
func NewWSDProber(opts WSDOptions, log zerolog.Logger) *WSDProber {
	return &WSDProber{opts: opts, log: log.With().Str("probe", "wsd").Logger()}
}

func (p *WSDProber) Name() string { return "wsd" }

func (p *WSDProber) Probe(ctx context.Context, t Target, emit Emit) error {
	msgs, ids := wsdProbes()
	sink := newEvidenceSink("wsd", emit)
	log := p.log.With().Str("host", t.Addr.String()).Logger()
	err := udpExchange(ctx, t.Dialer, netip.AddrPortFrom(t.Addr, wsdPort), msgs, p.opts.Wait, func(b []byte) bool {
		ev := wsdEvidence(b, ids, log)
		for _, e := range ev {
			sink.addN(e.Field, e.Value, len(e.Value))
		}
		return len(ev) > 0
	})
	return err
}

// WSDDiscoverer multicasts the typed probes on each interface and reports
// every ONVIF device that answers, by the address it answered from.
type WSDDiscoverer struct {
	ifaces []net.Interface
	opts   WSDOptions
	log    zerolog.Logger
}

// NewWSDDiscoverer returns the "wsd" discoverer. With no interfaces it uses
// every up, multicast-capable, non-loopback interface with an IPv4 address.
func NewWSDDiscoverer(ifaces []net.Interface, opts WSDOptions, log zerolog.Logger) *WSDDiscoverer {
	return &WSDDiscoverer{ifaces: ifaces, opts: opts, log: log.With().Str("probe", "wsd").Logger()}
}

func (d *WSDDiscoverer) Name() string { return "wsd" }

func (d *WSDDiscoverer) Discover(ctx context.Context, found func(Sighting)) error {
	return multicastDiscover(ctx, d.ifaces, d.log, found, func(ifi net.Interface) (mcastRound, func(netip.Addr, []byte) []evidence.Evidence) {
		msgs, ids := wsdProbes()
		round := mcastRound{Iface: ifi, Group: wsdGroup, Msgs: msgs, Wait: d.opts.Wait, TTL: d.opts.TTL}
		return round, func(_ netip.Addr, b []byte) []evidence.Evidence { return wsdEvidence(b, ids, d.log) }
	})
}

// multicastDiscover runs one round per interface, in parallel, and reports
// each answering host once per interface, with its evidence merged. An
// interface that fails is logged and skipped; the error is returned only
// when every interface failed.
func multicastDiscover(ctx context.Context, given []net.Interface, log zerolog.Logger, found func(Sighting),
	setup func(net.Interface) (mcastRound, func(netip.Addr, []byte) []evidence.Evidence)) error {
	ifaces, err := multicastInterfaces(given)
	if err != nil {
		return err
	}
	if len(ifaces) == 0 {
		return fmt.Errorf("scanner: multicast discovery: no usable interface")
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures int
		lastErr  error
	)
	fail := func(ifi net.Interface, err error) {
		failures++
		lastErr = err
		log.Warn().Err(err).Str("iface", ifi.Name).Msg("multicast round failed")
	}
	for _, ifi := range ifaces {
		round, parse := setup(ifi)
		// Sockets are opened here, on the caller's thread (see open).
		o, err := round.open(ctx)
		if err != nil {
			mu.Lock()
			fail(ifi, err)
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			s := newSightings()
			err := o.serve(ctx, func(src netip.Addr, b []byte) { s.add(src, parse(src, b)) })
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fail(ifi, err)
			}
			s.each(found)
		})
	}
	wg.Wait()
	if failures == len(ifaces) {
		return lastErr
	}
	return nil
}
