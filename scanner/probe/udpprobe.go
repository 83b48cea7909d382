package probe

import (
	"context"
	"net/netip"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/datagram"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// unicastDatagramProbe is the shared body of the vendor UDP probers: send,
// parse every answer from the target, emit.
func unicastDatagramProbe(ctx context.Context, t scanner.Target, port uint16, probe string, msgs [][]byte, wait time.Duration,
	emit scanner.Emit, parse func([]byte) ([]evidence.Evidence, error), log zerolog.Logger) error {
	sink := value.NewSink(probe, emit)
	return datagram.Exchange(ctx, t.Dialer, netip.AddrPortFrom(t.Addr, port), msgs, wait, func(b []byte) bool {
		ev, err := parse(b)
		if err != nil {
			log.Debug().Err(err).Str("host", t.Addr.String()).Msg("unusable answer")
			return false
		}
		for _, e := range ev {
			sink.AddN(e.Field, e.Value, len(e.Value))
		}
		return len(ev) > 0
	})
}

// quietParse adapts a parser for a multicast round, where foreign traffic on
// the group (other tools' inquiries) is normal and simply ignored.
func quietParse(parse func([]byte) ([]evidence.Evidence, error)) func(netip.Addr, []byte) []evidence.Evidence {
	return func(_ netip.Addr, b []byte) []evidence.Evidence {
		ev, err := parse(b)
		if err != nil {
			return nil
		}
		return ev
	}
}
