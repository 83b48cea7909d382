package link

import (
	"errors"
	"runtime"
)

// ErrNeedsLinux is what link-layer work returns where it cannot run: raw
// Ethernet frames (the ARP sweep, passive listening, --pcap capture) are
// read and written through Linux's AF_PACKET sockets. Everything that goes
// over TCP and UDP (the sweep, HTTP, RTSP, ONVIF, the discovery protocols)
// runs on every system.
var ErrNeedsLinux = errors.New("scanner: link-layer discovery (ARP sweep, passive listening, pcap capture) needs Linux; this build runs on " + runtime.GOOS)
