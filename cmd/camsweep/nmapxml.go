package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// nmap's -oX output read as evidence: a team with months of nmap results
// gets verdicts (and findings) without sweeping again. The file is read one
// <host> element at a time, so its size does not matter; each host element
// and each value is bounded, because the values came from devices.
const (
	maxNmapHostBytes     = 8 << 20 // one <host> element
	maxNmapHostEvidence  = 2000    // evidence items kept per host
	maxNmapValue         = 4096    // bytes of one value
	nmapProbe            = "nmap"
	nmapNoTitlePrefix    = "Site doesn't have a title"
	nmapUnknownFavicon   = "Unknown favicon MD5: "
	nmapFaviconMD5Digits = 32
)

type nmapXMLHost struct {
	Status struct {
		State string `xml:"state,attr"`
	} `xml:"status"`
	Addresses []struct {
		Addr string `xml:"addr,attr"`
		Type string `xml:"addrtype,attr"`
	} `xml:"address"`
	Hostnames []struct {
		Name string `xml:"name,attr"`
	} `xml:"hostnames>hostname"`
	Ports []nmapPort `xml:"ports>port"`
}

type nmapPort struct {
	Protocol string `xml:"protocol,attr"`
	PortID   string `xml:"portid,attr"`
	State    struct {
		State string `xml:"state,attr"`
	} `xml:"state"`
	Service *struct {
		Name       string   `xml:"name,attr"`
		Product    string   `xml:"product,attr"`
		Version    string   `xml:"version,attr"`
		ExtraInfo  string   `xml:"extrainfo,attr"`
		DeviceType string   `xml:"devicetype,attr"`
		CPE        []string `xml:"cpe"`
	} `xml:"service"`
	Scripts []nmapScript `xml:"script"`
}

type nmapScript struct {
	ID     string      `xml:"id,attr"`
	Output string      `xml:"output,attr"`
	Elems  []nmapElem  `xml:"elem"`
	Tables []nmapTable `xml:"table"`
}

type nmapElem struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

type nmapTable struct {
	Key    string      `xml:"key,attr"`
	Elems  []nmapElem  `xml:"elem"`
	Tables []nmapTable `xml:"table"`
}

// nmapLimitReader fails once more than limit bytes were read since the last
// reset, so that one oversized <host> cannot balloon the decoder.
type nmapLimitReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (l *nmapLimitReader) Read(p []byte) (int, error) {
	if l.n > l.limit {
		return 0, fmt.Errorf("nmap xml: a <host> element is larger than %d bytes", l.limit)
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// readNmapEvidence turns nmap's XML into evidence per host, hosts in file order.
// Hosts nmap saw down, and ports not open, give nothing.
func readNmapEvidence(r io.Reader) ([]string, map[string][]evidence.Evidence, error) {
	lr := &nmapLimitReader{r: r, limit: maxNmapHostBytes}
	dec := xml.NewDecoder(lr)
	dec.Strict = false // nmap writes DOCTYPE and stylesheet lines; be lenient on entities
	var hosts []string
	byHost := map[string][]evidence.Evidence{}
	sawRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, nil, fmt.Errorf("nmap xml: line %d: %w", line, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			lr.n = 0
			continue
		}
		switch start.Name.Local {
		case "nmaprun":
			sawRoot = true
			lr.n = 0
			continue
		case "host":
		default:
			continue
		}
		var h nmapXMLHost
		line, _ := dec.InputPos()
		if err := dec.DecodeElement(&h, &start); err != nil {
			return nil, nil, fmt.Errorf("nmap xml: host at line %d: %w", line, err)
		}
		lr.n = 0
		addr, ev := nmapEvidence(&h)
		if addr == "" {
			continue
		}
		if _, seen := byHost[addr]; !seen {
			hosts = append(hosts, addr)
		}
		byHost[addr] = evidence.AppendNew(byHost[addr], ev...)
		if len(byHost[addr]) > maxNmapHostEvidence {
			byHost[addr] = byHost[addr][:maxNmapHostEvidence]
		}
	}
	if !sawRoot {
		return nil, nil, errors.New("nmap xml: no <nmaprun> element (want nmap's -oX output)")
	}
	return hosts, byHost, nil
}

// nmapEvidence maps one host to camsweep's evidence fields (docs/evidence.md
// and docs/fingerprint.md say which nmap output feeds which field).
func nmapEvidence(h *nmapXMLHost) (string, []evidence.Evidence) {
	if h.Status.State != "" && h.Status.State != "up" {
		return "", nil
	}
	var addr string
	var ev []evidence.Evidence
	add := func(field, value string) {
		value = strings.TrimSpace(value)
		if value == "" || len(ev) >= maxNmapHostEvidence {
			return
		}
		if len(value) > maxNmapValue {
			value = value[:maxNmapValue]
		}
		ev = append(ev, evidence.Evidence{Probe: nmapProbe, Field: field, Value: value})
	}
	for _, a := range h.Addresses {
		switch a.Type {
		case "ipv4", "ipv6":
			if ip, err := netip.ParseAddr(a.Addr); err == nil && addr == "" {
				addr = ip.String()
			}
		case "mac":
			add("mac", strings.ToLower(a.Addr))
		}
	}
	for _, hn := range h.Hostnames {
		add("hostname", hn.Name)
	}
	for _, p := range h.Ports {
		if p.State.State != "open" {
			continue
		}
		if n, err := strconv.ParseUint(p.PortID, 10, 16); err == nil && p.Protocol == "tcp" {
			add("tcp.open", strconv.FormatUint(n, 10))
		}
		if s := p.Service; s != nil {
			add("nmap.product", strings.Join(strings.Fields(s.Product+" "+s.Version+" "+s.ExtraInfo), " "))
			add("nmap.devicetype", s.DeviceType)
			for _, c := range s.CPE {
				add("nmap.cpe", c)
			}
		}
		for _, sc := range p.Scripts {
			nmapScriptEvidence(sc, add)
		}
	}
	return addr, ev
}

// nmapScriptEvidence reads the scripts a security team runs with -sV:
// http-server-header, http-title, http-auth, ssl-cert, rtsp-methods and
// http-favicon.
func nmapScriptEvidence(sc nmapScript, add func(field, value string)) {
	switch sc.ID {
	case "http-server-header":
		for _, e := range sc.Elems {
			add("http.server", e.Value)
		}
		if len(sc.Elems) == 0 {
			add("http.server", sc.Output)
		}
	case "http-title":
		title := ""
		for _, e := range sc.Elems {
			if e.Key == "title" {
				title = e.Value
			}
		}
		if title == "" && !strings.HasPrefix(sc.Output, nmapNoTitlePrefix) {
			title = sc.Output
		}
		add("http.title", title)
	case "http-auth":
		// One table per scheme, its parameters as elems; the header is
		// written back as the device sent its start ("Basic realm=...").
		for _, t := range sc.Tables {
			for _, e := range t.Elems {
				if e.Key == "realm" {
					add("http.realm", e.Value)
					add("http.www_authenticate", fmt.Sprintf("%s realm=%q", t.Key, e.Value))
				}
			}
		}
	case "ssl-cert":
		for _, t := range sc.Tables {
			switch t.Key {
			case "subject":
				add("tls.subject", nmapDN(t))
			case "issuer":
				add("tls.issuer", nmapDN(t))
			}
		}
	case "rtsp-methods":
		if !strings.HasPrefix(sc.Output, "ERROR") {
			add("rtsp.public", sc.Output)
		}
	case "http-favicon":
		if md5, ok := strings.CutPrefix(strings.TrimSpace(sc.Output), nmapUnknownFavicon); ok && len(md5) == nmapFaviconMD5Digits {
			add("http.favicon_md5", strings.ToLower(md5))
		}
	}
}

// nmapDNOrder is the order Go's pkix.Name.String (and so camsweep's HTTP
// prober and recog's x509 databases) write a name: most specific first.
var nmapDNOrder = []struct{ key, attr string }{
	{"commonName", "CN"}, {"organizationalUnitName", "OU"}, {"organizationName", "O"},
	{"localityName", "L"}, {"stateOrProvinceName", "ST"}, {"countryName", "C"},
}

// nmapDN rebuilds an RFC 2253 style name from ssl-cert's table.
func nmapDN(t nmapTable) string {
	vals := map[string]string{}
	for _, e := range t.Elems {
		vals[e.Key] = e.Value
	}
	var parts []string
	for _, k := range nmapDNOrder {
		if v := vals[k.key]; v != "" {
			v = strings.NewReplacer(",", `\,`, "+", `\+`).Replace(v)
			parts = append(parts, k.attr+"="+v)
		}
	}
	return strings.Join(parts, ",")
}
