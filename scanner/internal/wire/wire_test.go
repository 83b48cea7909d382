package wire

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

const dpwsMatch = `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:tds="http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01"><s:Header><a:RelatesTo>ID</a:RelatesTo></s:Header>
<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:sdc-1</a:Address></a:EndpointReference>
<d:Types>tds:Device</d:Types><d:Scopes>sdc.mds.pkp:1.2.840.10004.20701.1.1</d:Scopes><d:XAddrs>http://10.0.0.9/sdc</d:XAddrs>
</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`

const onvifMatch = `<?xml version="1.0"?><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"
 xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:x="http://www.onvif.org/ver10/network/wsdl"><e:Header><w:RelatesTo>ID</w:RelatesTo></e:Header>
<e:Body><d:ProbeMatches><d:ProbeMatch><w:EndpointReference><w:Address>urn:uuid:cam-1</w:Address></w:EndpointReference>
<d:Types>x:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/name/IPC%20Front onvif://www.onvif.org/mac/e0508b010203</d:Scopes>
<d:XAddrs>http://10.0.0.8/onvif/device_service http://[fe80::1]/onvif/device_service</d:XAddrs></d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>`

func TestWSDEvidence(t *testing.T) {
	ids := map[string]bool{"ID": true}
	cases := []struct {
		name string
		msg  string
		ids  map[string]bool
		want []string // field=value that must be present; nil: no evidence at all
	}{
		{"onvif type by namespace, other prefix", onvifMatch, ids, []string{
			"wsd.endpoint=urn:uuid:cam-1", "wsd.types=x:NetworkVideoTransmitter", "wsd.name=IPC Front",
			"wsd.mac=e0:50:8b:01:02:03", "mac=e0:50:8b:01:02:03", "wsd.xaddrs=http://10.0.0.8/onvif/device_service",
		}},
		// tds: bound to the DPWS namespace: a medical device, not ONVIF.
		{"dpws device with a tds prefix", dpwsMatch, ids, nil},
		{"answer to someone else's probe", onvifMatch, map[string]bool{"OTHER": true}, nil},
		{"not xml", "\x00\x01garbage", ids, nil},
		{"a probe, not a match", string(newWSDProbe("urn:uuid:x", "dn", nsONVIFNetwork, "NetworkVideoTransmitter")), ids, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := WSDEvidence([]byte(tc.msg), tc.ids, zerolog.Nop())
			var got []string
			for _, e := range ev {
				got = append(got, e.Field+"="+e.Value)
			}
			if tc.want == nil && len(got) != 0 {
				t.Fatalf("got %q, want nothing", got)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q in %q", w, got)
				}
			}
		})
	}
}

// TestWSDProbesAreTypedOneLine: every probe names an ONVIF type and has no
// line break; no untyped probe exists.
func TestWSDProbesAreTypedOneLine(t *testing.T) {
	msgs, ids := WSDProbes()
	if len(msgs) != 2 || len(ids) != 2 {
		t.Fatalf("got %d probes, %d ids", len(msgs), len(ids))
	}
	for i, want := range []string{"<d:Types>dn:NetworkVideoTransmitter</d:Types>", "<d:Types>tds:Device</d:Types>"} {
		if !bytes.Contains(msgs[i], []byte(want)) {
			t.Errorf("probe %d lacks %s", i, want)
		}
		if bytes.ContainsAny(msgs[i], "\r\n") {
			t.Errorf("probe %d has a line break", i)
		}
	}
}

func TestParseDHIPRejects(t *testing.T) {
	good := dhipFrame([]byte(`{"method":"client.notifyDevInfo","params":{"deviceInfo":{"DeviceType":"IPC-X","SerialNo":"S"}}}`))
	lying := slices.Clone(good)
	binary.LittleEndian.PutUint32(lying[16:], 1<<31)
	cases := map[string][]byte{
		"short":            good[:20],
		"bad magic":        append([]byte("xxxxNOPE"), good[8:]...),
		"length past end":  lying,
		"our own search":   NewDHIPSearch(),
		"json not an info": dhipFrame([]byte(`[1,2,3]`)),
	}
	for name, b := range cases {
		if ev, err := ParseDHIP(b); err == nil {
			t.Errorf("%s: accepted, gave %v", name, ev)
		}
	}
	if ev, err := ParseDHIP(good); err != nil || len(ev) != 2 {
		t.Errorf("good frame: %v %v", ev, err)
	}
}

func TestParseSADPRejectsInquiry(t *testing.T) {
	if ev, err := ParseSADP(NewSADPInquiry()); err == nil {
		t.Fatalf("inquiry accepted as an answer: %v", ev)
	}
}

func FuzzParseProbeMatches(f *testing.F) {
	f.Add([]byte(onvifMatch))
	f.Add([]byte(dpwsMatch))
	f.Add([]byte(strings.Repeat("<a>", 100)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev := WSDEvidence(b, map[string]bool{"ID": true}, zerolog.Nop())
		for _, e := range ev {
			if len(e.Value) > value.MaxLen {
				t.Fatalf("value longer than bound: %d", len(e.Value))
			}
		}
		pm, _ := parseProbeMatches(b)
		if len(pm.Matches) > wsdMaxMatches {
			t.Fatalf("%d matches kept", len(pm.Matches))
		}
	})
}

func FuzzParseSADP(f *testing.F) {
	f.Add([]byte(`<ProbeMatch><DeviceDescription>DS-2CD</DeviceDescription><DeviceSN>X</DeviceSN><MAC>44-19-b6-00-00-01</MAC></ProbeMatch>`))
	f.Add(NewSADPInquiry())
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseSADP(b)
		if err != nil && len(ev) != 0 {
			t.Fatal("evidence with an error")
		}
	})
}

func FuzzParseDHIP(f *testing.F) {
	f.Add(dhipFrame([]byte(`{"mac":"e0:50:8b:00:00:01","method":"client.notifyDevInfo","params":{"deviceInfo":{"DeviceType":"IPC","SerialNo":"S","Vendor":"Dahua"}}}`)))
	f.Add(NewDHIPSearch())
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseDHIP(b)
		if err != nil && len(ev) != 0 {
			t.Fatal("evidence with an error")
		}
	})
}

const helloXML = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</a:Action></s:Header>
<s:Body><d:Hello><a:EndpointReference><a:Address>urn:uuid:11223344-5566-7788-99aa-44a642000001</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G2-I onvif://www.onvif.org/hardware/DS-2CD2143G2-I</d:Scopes>
<d:XAddrs>http://10.9.0.64/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:Hello></s:Body></s:Envelope>`

func FuzzDecodeHello(f *testing.F) {
	f.Add([]byte(helloXML))
	f.Add([]byte(strings.Repeat("<a>", 100)))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range DecodeHello(b) {
			if e.Value == "" {
				t.Fatalf("empty %s", e.Field)
			}
		}
	})
}
