package probe

import "time"

// DatagramOptions tune the UDP discovery protocols that need nothing else
// (WS-Discovery, SADP, DHIP), as a unicast prober and as a multicast
// discoverer alike. The zero value is the default.
type DatagramOptions struct {
	// Wait is how long answers are collected after the queries (default
	// 2s; ONVIF devices answer within WS-Discovery's 0-500 ms
	// APP_MAX_DELAY).
	Wait time.Duration
	// TTL of multicast queries (default 1: the link only).
	TTL int
}
