//go:build !linux

package link

// OpenFrameConn needs Linux's packet sockets; elsewhere it returns
// ErrNeedsLinux.
func OpenFrameConn(Interface, FrameOptions) (FrameConn, error) { return nil, ErrNeedsLinux }

// RawFramesSupported reports whether this system has the packet sockets
// raw frames need: only Linux does.
const RawFramesSupported = false
