package scanner

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

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
			ev := wsdEvidence([]byte(tc.msg), tc.ids, zerolog.Nop())
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
	msgs, ids := wsdProbes()
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

func TestProtoMAC(t *testing.T) {
	for in, want := range map[string]string{
		"44-19-B6-0A-0B-0C": "44:19:b6:0a:0b:0c", "4419b60a0b0c": "44:19:b6:0a:0b:0c", "44:19:b6:0a:0b:0c": "44:19:b6:0a:0b:0c",
		"44:19:b6:0a:0b": "", "zz:19:b6:0a:0b:0c": "", "44:19:b6:0a:0b:0c:0d": "", "": "",
		"C0-56-E3-11-22-33": "c0:56:e3:11:22:33", "3cef.8c11.2233": "3c:ef:8c:11:22:33", " 3CEF8C112233 ": "3c:ef:8c:11:22:33",
		"00:11:22:33:44:55:66:77": "", "zz": "",
	} {
		if got := protoMAC(in); got != want {
			t.Errorf("protoMAC(%q) = %q, want %q", in, got, want)
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
		"our own search":   newDHIPSearch(),
		"json not an info": dhipFrame([]byte(`[1,2,3]`)),
	}
	for name, b := range cases {
		if ev, err := parseDHIP(b); err == nil {
			t.Errorf("%s: accepted, gave %v", name, ev)
		}
	}
	if ev, err := parseDHIP(good); err != nil || len(ev) != 2 {
		t.Errorf("good frame: %v %v", ev, err)
	}
}

func TestParseSADPRejectsInquiry(t *testing.T) {
	if ev, err := parseSADP(newSADPInquiry()); err == nil {
		t.Fatalf("inquiry accepted as an answer: %v", ev)
	}
}

func TestMDNSInstanceLabel(t *testing.T) {
	if got := instanceLabel(`AXIS\032M3046-V\.1._axis-video._tcp.local.`, "_axis-video._tcp.local."); got != "AXIS M3046-V.1" {
		t.Errorf("instanceLabel = %q", got)
	}
}

func FuzzParseProbeMatches(f *testing.F) {
	f.Add([]byte(onvifMatch))
	f.Add([]byte(dpwsMatch))
	f.Add([]byte(strings.Repeat("<a>", 100)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev := wsdEvidence(b, map[string]bool{"ID": true}, zerolog.Nop())
		for _, e := range ev {
			if len(e.Value) > maxValueLen {
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
	f.Add(newSADPInquiry())
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := parseSADP(b)
		if err != nil && len(ev) != 0 {
			t.Fatal("evidence with an error")
		}
	})
}

func FuzzParseDHIP(f *testing.F) {
	f.Add(dhipFrame([]byte(`{"mac":"e0:50:8b:00:00:01","method":"client.notifyDevInfo","params":{"deviceInfo":{"DeviceType":"IPC","SerialNo":"S","Vendor":"Dahua"}}}`)))
	f.Add(newDHIPSearch())
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := parseDHIP(b)
		if err != nil && len(ev) != 0 {
			t.Fatal("evidence with an error")
		}
	})
}

func FuzzParseUPnPDescription(f *testing.F) {
	f.Add([]byte(`<root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>Dahua</manufacturer><modelName>IPC</modelName><UDN>uuid:1</UDN></device></root>`))
	f.Add([]byte("HTTP/1.1 200 OK\r\nLOCATION: http://10.0.0.1/d.xml\r\nSERVER: x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseUPnPDescription(b)
		_, _ = parseSSDP(b)
	})
}

func FuzzParseMDNS(f *testing.F) {
	f.Add([]byte{0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, _ := parseMDNS(b, DefaultMDNSServices)
		if len(ev) > 4*maxMDNSRecords+64*maxMDNSRecords {
			t.Fatalf("%d evidence items", len(ev))
		}
	})
}
