// Package scantest runs fake network devices for tests and the demo, in the
// spirit of net/http/httptest: each persona (a Hikvision camera, a Dahua
// camera, a Reolink, an Axis, white-label rebrands, a printer, a PC, and
// hostile devices) is served on its own loopback address with the banners,
// realms and certificates the real device shows before anyone logs in.
//
// Personas are data, in personas/*.yaml, each string taken from a public
// capture of the real device and cited there. The same strings serve as
// fingerprint rule examples, which closes the loop persona -> scanner ->
// verdict. Truth (what the device really is) is for scoring only; nothing
// on the wire carries it.
//
//	ps, _ := scantest.NOH()
//	n, err := scantest.Start(ctx, ps, scantest.Options{Logger: log})
//	defer n.Close()
//	// scan n.Prefix() on n.PortSpec()
//
// Safety: by default every address is in 127.77.0.0/16 and every socket is
// bound to a loopback address; the fakes never send a packet elsewhere.
// The namespace lab passes Listen/ListenPacket hooks to serve inside a
// network namespace it created.
//
// Protocol seams: ONVIF, WS-Discovery, SADP, DHIP, SSDP and mDNS responders
// live in their own files and hook in through httpMounts (handlers on the
// per-host HTTP mux, e.g. /onvif/device_service) and udpServices (a UDP
// socket per host, started with it), both keyed by persona section.
package scantest
