// Package link is camsweep's layer-2 work: choosing the interface, reading
// and writing raw Ethernet frames (FrameConn, with a pcap Replay for tests
// and a Tee that records a scan), the ARP sweep that finds hosts and
// cameras left on factory-default addresses, the passive listener that
// reports hosts from what they announce (ARP, DHCP, mDNS, SSDP,
// WS-Discovery Hello, SADP, DHIP), and the kernel neighbour table.
//
// Raw frames need Linux's AF_PACKET sockets: the Linux-only code is in
// _linux.go files, and elsewhere OpenFrameConn returns ErrNeedsLinux,
// CanRawSocket reports false and NeighbourMAC knows nothing, so the rest
// of camsweep builds and scans over TCP and UDP on every system.
package link
