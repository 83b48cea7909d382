package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// vendorAsk is one read-only vendor request against one web root. It
// reports whether the answer came from that vendor's API, so the remaining
// ports need not be asked the same question.
type vendorAsk func(ctx context.Context, f *httpFetcher, base *url.URL, sink *value.Sink) (answered bool)

// runVendorHTTP asks each http and https port of t in turn, one request at
// a time, until one answers as the vendor's API. A port that is silent,
// closed or not the vendor's gives no evidence and no error.
func runVendorHTTP(ctx context.Context, t scanner.Target, probe string, timeout time.Duration, emit scanner.Emit, ask vendorAsk) error {
	if err := checkTarget(ctx, t, probe); err != nil {
		return err
	}
	sink := value.NewSink(probe, emit)
	f := newHTTPFetcher(t, timeout)
	defer f.close()
	for _, base := range f.bases() {
		if ctx.Err() != nil || ask(ctx, f, base, sink) {
			break
		}
	}
	return nil
}

// logNoAnswer records at debug level why a port gave nothing.
func logNoAnswer(log zerolog.Logger, base *url.URL, err error) {
	log.Debug().Err(err).Str("url", base.String()).Msg("no answer")
}

// jsonScalar renders a JSON string, number or boolean as text; anything
// else (object, array, null, garbage) gives "".
func jsonScalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case float64, bool:
		return string(raw)
	}
	return ""
}
