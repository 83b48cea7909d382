// Package datagram sends the UDP discovery protocols' queries and reads
// their answers: unicast to one target through the engine's Dialer
// (Exchange), and multicast on each interface under the sweep's send gate
// (Discover). Every read is bounded in size, count and time, and every
// answer is attributed to the address it came from.
package datagram
