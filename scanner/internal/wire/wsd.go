package wire

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// WS-Discovery as ONVIF uses it (the 2005/04 draft namespace): a SOAP-over-
// UDP Probe to 239.255.255.250:3702, answered by a unicast ProbeMatches.
const (
	WSDPort    = 3702
	WSDMaxAddr = 64 // XAddrs, types or scopes kept per match
)

// WSDGroup is where multicast probes go.
var WSDGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 250}), WSDPort)

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

// WSDProbes returns the typed probes and their message ids.
func WSDProbes() (msgs [][]byte, ids map[string]bool) {
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

// WSDEvidence turns one datagram into evidence, or nothing when it is not a
// ProbeMatches for one of ids about an ONVIF device.
func WSDEvidence(b []byte, ids map[string]bool, log zerolog.Logger) []evidence.Evidence {
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
		out = append(out, m.Evidence()...)
	}
	return out
}

// probeMatches is a parsed WS-Discovery ProbeMatches message.
type probeMatches struct {
	RelatesTo string
	Matches   []ProbeMatch
}

// ProbeMatch is one ProbeMatch. Types are kept with their namespaces
// resolved, because the prefix alone cannot tell ONVIF's tds:Device from
// DPWS's dpws:Device.
type ProbeMatch struct {
	Endpoint string
	Types    []xml.Name
	RawTypes string
	Scopes   []string
	XAddrs   []string
}

const (
	// maxText bounds the text of one element: no more than one datagram
	// that a round parses.
	maxText        = 16 << 10
	nsONVIFNetwork = "http://www.onvif.org/ver10/network/wsdl"
	nsONVIFDevice  = "http://www.onvif.org/ver10/device/wsdl"
	onvifScopePfx  = "onvif://www.onvif.org/"
	wsdMaxMatches  = 16
	wsdMaxDepth    = 32
)

// IsONVIF reports whether the match is an ONVIF device: it names an ONVIF
// type, or (for firmwares that get the namespace of their own type wrong)
// carries onvif:// scopes.
func (m ProbeMatch) IsONVIF() bool {
	for _, t := range m.Types {
		if (t.Space == nsONVIFNetwork && t.Local == "NetworkVideoTransmitter") ||
			(t.Space == nsONVIFDevice && t.Local == "Device") {
			return true
		}
	}
	for _, s := range m.Scopes {
		if strings.HasPrefix(strings.ToLower(s), onvifScopePfx) {
			return true
		}
	}
	return false
}

// Evidence is the match as wsd.* evidence (docs/evidence.md).
func (m ProbeMatch) Evidence() []evidence.Evidence {
	var out []evidence.Evidence
	add := func(field, s string) {
		if v := value.Clean(s, value.MaxLen); v != "" {
			out = append(out, evidence.Evidence{Probe: "wsd", Field: field, Value: v})
		}
	}
	add("wsd.endpoint", m.Endpoint)
	add("wsd.types", m.RawTypes)
	for _, x := range m.XAddrs {
		add("wsd.xaddrs", x)
	}
	for _, s := range m.Scopes {
		add("wsd.scope", s)
		key, val, ok := onvifScope(s)
		if !ok {
			continue
		}
		switch key {
		case "name":
			add("wsd.name", val)
		case "hardware":
			add("wsd.hardware", val)
		case "location":
			add("wsd.location", val)
		case "mac":
			if mac := value.MAC(val); mac != "" {
				add("wsd.mac", mac)
				add("mac", mac)
			}
		}
	}
	return out
}

// onvifScope splits onvif://www.onvif.org/<key>/<value> into a lower-case
// key and its percent-decoded value ("location/city/Hillerod" gives
// "location", "city/Hillerod").
func onvifScope(s string) (key, val string, ok bool) {
	if len(s) < len(onvifScopePfx) || !strings.EqualFold(s[:len(onvifScopePfx)], onvifScopePfx) {
		return "", "", false
	}
	rest := s[len(onvifScopePfx):]
	key, val, ok = strings.Cut(rest, "/")
	if !ok || val == "" {
		return "", "", false
	}
	if dec, err := url.PathUnescape(val); err == nil {
		val = dec
	}
	return strings.ToLower(key), val, true
}

// parseProbeMatches reads a ProbeMatches message. It walks tokens rather
// than unmarshalling into structs so that it can resolve the QNames inside
// <Types> against the namespaces in scope, accept both the 2005/04 and the
// 1.1 discovery namespaces, and stop at fixed bounds on hostile input.
func parseProbeMatches(b []byte) (probeMatches, error) {
	var pm probeMatches
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.CharsetReader = value.PassCharset
	var (
		path    []string            // local names of open elements
		nsStack []map[string]string // prefix -> namespace declared per element
		text    strings.Builder
		cur     *ProbeMatch
		sawPM   bool
	)
	lookup := func(prefix string) string {
		for i := len(nsStack) - 1; i >= 0; i-- {
			if ns, ok := nsStack[i][prefix]; ok {
				return ns
			}
		}
		return ""
	}
	parent := func(n int) string {
		if len(path) > n {
			return path[len(path)-1-n]
		}
		return ""
	}
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pm, fmt.Errorf("scanner: parse ProbeMatches: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) >= wsdMaxDepth {
				return pm, errors.New("scanner: parse ProbeMatches: nested too deep")
			}
			decl := map[string]string{}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					decl[a.Name.Local] = a.Value
				} else if a.Name.Space == "" && a.Name.Local == "xmlns" {
					decl[""] = a.Value
				}
			}
			nsStack = append(nsStack, decl)
			path = append(path, t.Name.Local)
			text.Reset()
			if t.Name.Local == "ProbeMatches" {
				sawPM = true
			}
			if t.Name.Local == "ProbeMatch" && parent(1) == "ProbeMatches" {
				if len(pm.Matches) >= wsdMaxMatches {
					return pm, nil
				}
				pm.Matches = append(pm.Matches, ProbeMatch{})
				cur = &pm.Matches[len(pm.Matches)-1]
			}
		case xml.CharData:
			if text.Len() < maxText {
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) == 0 {
				return pm, errors.New("scanner: parse ProbeMatches: unbalanced end tag")
			}
			name := path[len(path)-1]
			s := strings.TrimSpace(text.String())
			switch {
			case name == "RelatesTo" && parent(1) == "Header":
				pm.RelatesTo = s
			case cur != nil && name == "Address" && parent(1) == "EndpointReference" && parent(2) == "ProbeMatch":
				cur.Endpoint = s
			case cur != nil && parent(1) == "ProbeMatch":
				switch name {
				case "Types":
					cur.RawTypes = s
					for _, q := range fieldsN(s, WSDMaxAddr) {
						prefix, local, ok := strings.Cut(q, ":")
						if !ok {
							prefix, local = "", q
						}
						cur.Types = append(cur.Types, xml.Name{Space: lookup(prefix), Local: local})
					}
				case "Scopes":
					cur.Scopes = fieldsN(s, WSDMaxAddr)
				case "XAddrs":
					cur.XAddrs = fieldsN(s, WSDMaxAddr)
				}
			case name == "ProbeMatch":
				cur = nil
			}
			path = path[:len(path)-1]
			nsStack = nsStack[:len(nsStack)-1]
			text.Reset()
		}
	}
	if !sawPM {
		return pm, errors.New("scanner: parse ProbeMatches: no ProbeMatches element")
	}
	return pm, nil
}

// fieldsN is strings.Fields keeping at most n items.
func fieldsN(s string, n int) []string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return f
}
