package evidence

import (
	"net/netip"
	"time"
)

// Flow is what a flow source saw between two hosts over a window: one
// service on Server (a camera's RTSP port, a cloud's 443) and the Client
// that used it. The flow sources (mirror-port capture, NetFlow v9, IPFIX,
// sFlow) all produce it, and inventory holds it against the devices a
// sweep found; neither side needs the other's code.
type Flow struct {
	Server netip.Addr `json:"server"`
	Client netip.Addr `json:"client"`
	// Port is the server's port: the service the client used.
	Port uint16 `json:"port"`
	// Proto is the IP protocol number (6 TCP, 17 UDP).
	Proto uint8 `json:"proto"`
	// ServerBytes and ClientBytes count what each side sent, estimated
	// from sampled sources (Sampled).
	ServerBytes   uint64    `json:"server_bytes"`
	ClientBytes   uint64    `json:"client_bytes"`
	ServerPackets uint64    `json:"server_packets"`
	ClientPackets uint64    `json:"client_packets"`
	First         time.Time `json:"first_seen"`
	Last          time.Time `json:"last_seen"`
	// Video says how the source knows the flow carries video, when it
	// does: the strongest sign it saw (see the Video* constants). Empty
	// means only volume and port can tell.
	Video string `json:"video,omitempty"`
	// Sources names every source that saw the flow (SourceMirror, ...).
	Sources []string `json:"sources"`
	// Sampled is true when a count was scaled from sampled data.
	Sampled bool `json:"sampled,omitempty"`
}

// Flow sources.
const (
	SourceMirror   = "mirror"
	SourceNetFlow  = "netflow_v9"
	SourceIPFIX    = "ipfix"
	SourceSFlow    = "sflow"
	SourceNetFlow5 = "netflow_v5"
)

// Signs that a flow carries video, strongest first. Only a mirror port
// sees them; NetFlow and sFlow records carry no payload.
const (
	// VideoRTSPPlay: the client sent an RTSP PLAY on the connection.
	VideoRTSPPlay = "rtsp_play"
	// VideoRTSPHTTP: RTSP tunnelled in HTTP (Apple's x-sessioncookie
	// tunnel, which ONVIF streaming names RTP/RTSP/HTTP/TCP).
	VideoRTSPHTTP = "rtsp_over_http"
	// VideoRTP: UDP to the client port a SETUP negotiated.
	VideoRTP = "rtp"
	// VideoMJPEG: an HTTP answer of multipart/x-mixed-replace, the
	// motion-JPEG stream cameras serve over plain HTTP.
	VideoMJPEG = "http_mjpeg"
)

// DNSLookup is a host asking a resolver for a name, seen on a mirror port.
type DNSLookup struct {
	Client netip.Addr `json:"client"`
	Name   string     `json:"name"`
	// Maker is the camera maker whose cloud the name belongs to.
	Maker string    `json:"maker,omitempty"`
	Count uint64    `json:"count"`
	First time.Time `json:"first_seen"`
	Last  time.Time `json:"last_seen"`
}
