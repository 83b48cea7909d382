package wire

import (
	"bytes"
	"encoding/xml"
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/value"
)

// Bounds of the WS-Discovery Hello reader: a Hello fits in one datagram,
// and a hostile one must not make us walk or keep more than this.
const (
	helloMaxTokens = 4096
	helloMaxDepth  = 32
	helloMaxText   = 4096
)

// DecodeHello reads a WS-Discovery Hello, the announcement a device
// multicasts when it joins the network, and keeps what a ProbeMatch would
// carry: endpoint, Types, Scopes, XAddrs. Anything else (Bye, Probe,
// ProbeMatches sent to someone else) gives nothing.
func DecodeHello(payload []byte) []evidence.Evidence {
	dec := xml.NewDecoder(bytes.NewReader(payload))
	dec.Strict = false
	dec.CharsetReader = value.PassCharset
	var (
		path    []string
		inHello bool
		m       ProbeMatch
		text    strings.Builder
	)
	for n := 0; n < helloMaxTokens; n++ {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == helloMaxDepth {
				return nil
			}
			path = append(path, t.Name.Local)
			if t.Name.Local == "Hello" {
				inHello = true
			}
			text.Reset()
		case xml.CharData:
			if inHello && text.Len()+len(t) <= helloMaxText {
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) == 0 {
				return nil
			}
			local := path[len(path)-1]
			path = path[:len(path)-1]
			if !inHello {
				continue
			}
			v := strings.TrimSpace(text.String())
			switch local {
			case "Address":
				if m.Endpoint == "" {
					m.Endpoint = v
				}
			case "Types":
				m.RawTypes = strings.Join(strings.Fields(v), " ")
			case "Scopes":
				m.Scopes = fieldsN(v, wsdMaxMatches*4)
			case "XAddrs":
				m.XAddrs = fieldsN(v, wsdMaxMatches)
			case "Hello":
				return m.Evidence()
			}
			text.Reset()
		}
	}
	return nil
}
