package scanner

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// probeMatches is a parsed WS-Discovery ProbeMatches message.
type probeMatches struct {
	RelatesTo string
	Matches   []probeMatch
}

// probeMatch is one ProbeMatch. Types are kept with their namespaces
// resolved, because the prefix alone cannot tell ONVIF's tds:Device from
// DPWS's dpws:Device.
type probeMatch struct {
	Endpoint string
	Types    []xml.Name
	RawTypes string
	Scopes   []string
	XAddrs   []string
}

const (
	nsONVIFNetwork = "http://www.onvif.org/ver10/network/wsdl"
	nsONVIFDevice  = "http://www.onvif.org/ver10/device/wsdl"
	onvifScopePfx  = "onvif://www.onvif.org/"
	wsdMaxMatches  = 16
	wsdMaxDepth    = 32
)

// IsONVIF reports whether the match is an ONVIF device: it names an ONVIF
// type, or (for firmwares that get the namespace of their own type wrong)
// carries onvif:// scopes.
func (m probeMatch) IsONVIF() bool {
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

// evidence is the match as wsd.* evidence (docs/evidence.md).
func (m probeMatch) evidence() []evidence.Evidence {
	var out []evidence.Evidence
	add := func(field, value string) {
		if v := cleanValue(value, maxValueLen); v != "" {
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
			if mac := protoMAC(val); mac != "" {
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
	dec.CharsetReader = passCharset
	var (
		path    []string            // local names of open elements
		nsStack []map[string]string // prefix -> namespace declared per element
		text    strings.Builder
		cur     *probeMatch
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
				pm.Matches = append(pm.Matches, probeMatch{})
				cur = &pm.Matches[len(pm.Matches)-1]
			}
		case xml.CharData:
			if text.Len() < maxReplyBytes {
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
					for _, q := range fieldsN(s, wsdMaxAddr) {
						prefix, local, ok := strings.Cut(q, ":")
						if !ok {
							prefix, local = "", q
						}
						cur.Types = append(cur.Types, xml.Name{Space: lookup(prefix), Local: local})
					}
				case "Scopes":
					cur.Scopes = fieldsN(s, wsdMaxAddr)
				case "XAddrs":
					cur.XAddrs = fieldsN(s, wsdMaxAddr)
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

// protoMAC normalises a MAC as devices and the kernel write it
// (44-19-B6-0A-0B-0C, 4419b60a0b0c, 3cef.8c11.2233, 44:19:b6:0a:0b:0c) to
// the lower-case colon form evidence carries, or "" when it is not a 48-bit
// MAC. It is the scanner's one MAC parser, so every probe's "mac" evidence
// for the same device is the same string.
func protoMAC(s string) string {
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

// passCharset lets the XML decoder read documents that declare a charset
// other than UTF-8 (cameras say "GB2312" or "ISO-8859-1" for ASCII text);
// cleanValue later replaces any invalid byte.
func passCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }
