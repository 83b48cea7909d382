package probe

import "testing"

func FuzzParseUPnPDescription(f *testing.F) {
	f.Add([]byte(`<root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>Dahua</manufacturer><modelName>IPC</modelName><UDN>uuid:1</UDN></device></root>`))
	f.Add([]byte("HTTP/1.1 200 OK\r\nLOCATION: http://10.0.0.1/d.xml\r\nSERVER: x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseUPnPDescription(b)
		_, _ = parseSSDP(b)
	})
}
