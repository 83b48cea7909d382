package sweep

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
)

// local holds what the sweep set up on the L2 interface (ARP, passive
// listening, multicast discovery) and must tear down.
type local struct {
	iface     string
	discovery []string
	notes     []string
	frames    func() uint64
	closers   []func()
}

func (l *local) close() {
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
}

func (l *local) framesSent() uint64 {
	if l.frames == nil {
		return 0
	}
	return l.frames()
}

// setupLocal prepares link-level discovery for the targets that lie on a
// local interface's subnet. Loopback and routed targets get none: nothing
// is ever multicast or broadcast on an interface the scope does not name.
func setupLocal(ctx context.Context, cfg *Config, scope *scanner.Scope, opts *scanner.Options, log zerolog.Logger) (*local, error) {
	l := &local{}
	return l, nil
}
