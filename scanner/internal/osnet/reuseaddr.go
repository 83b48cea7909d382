package osnet

import "syscall"

// ReuseAddr is a net.ListenConfig Control function that sets SO_REUSEADDR,
// so that several multicast rounds (one per interface) and other listeners
// on the host can share a protocol port such as 37020.
func ReuseAddr(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) { serr = setReuseAddr(fd) })
	if err != nil {
		return err
	}
	return serr
}
