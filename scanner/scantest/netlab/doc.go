// Package netlab builds throw-away network namespaces for tests that need a
// real layer 2: a scanner namespace and a device namespace joined by a veth
// link, with emulated hosts in the device namespace, each a macvlan
// sub-interface with its own vendor MAC and IPv4 address, some of them on a
// foreign subnet the scanner has no route to.
//
// Everything a lab creates lives inside namespaces it created; nothing is
// added to the host's own namespace, and raw sockets are refused anywhere
// else (Guard). Labs are torn down by t.Cleanup, on SIGINT/SIGTERM, and,
// after a crash, by SweepStale at the start of the next run.
//
// Labs need root (CAP_SYS_ADMIN and CAP_NET_ADMIN); without it New skips
// the test and says why. See docs/lab.md.
package netlab
