// Package probe holds camsweep's probers and multicast discoverers, one
// protocol per file, each with its tests, in the way blackbox_exporter's
// prober package is laid out: tcp connect lives in the engine, and here
// are HTTP(S) with TLS and favicon, RTSP, ONVIF (with the site's
// credentials), the read-only vendor web APIs (Hikvision ISAPI, Dahua RPC2,
// Reolink CGI), and the UDP discovery protocols (WS-Discovery, SADP, DHIP,
// SSDP, mDNS), each as a unicast Prober and a multicast Discoverer.
//
// Every prober dials only through the scanner.Dialer of its target, reads
// at most a fixed number of bytes within its context's deadline, and
// reports what the device said as evidence; "closed", "401" and silence are
// evidence or nothing, never errors. Field names are listed in
// docs/evidence.md. The explicit catalogue of probes is
// cmd/camsweep/internal/sweep/probes.go.
package probe
