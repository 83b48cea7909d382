// Package flow is camsweep's flow evidence: who pulls video from which
// camera, and which cameras talk to the outside world. Three sources feed
// one bounded Table of flows keyed by (server, client, server port):
//
//   - Mirror reads the frames of a mirror (SPAN) port: TCP and UDP
//     headers, the start line and a few headers of RTSP and HTTP messages
//     (PLAY, a SETUP's client ports, RTSP tunnelled in HTTP, motion JPEG),
//     the RTP flows a SETUP negotiated, and DNS queries for camera makers'
//     cloud names (DNSTable, CloudDomains). No payload is kept.
//   - Collector decodes NetFlow v5/v9, IPFIX and sFlow v5 datagrams with
//     goflow2's decoders, scaling sampled counts by the sampling rate.
//
// The table and every map beside it have a cap, so a flood of short
// flows or a hostile exporter costs a bounded amount of memory; the
// table's segmented LRU keeps long video streams when it must evict.
// What the flows mean (a recorder, a camera reaching the internet) is
// decided by inventory, which holds them against the devices a sweep
// found. See docs/flows.md.
package flow
