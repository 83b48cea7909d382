package serve

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
)

// SweepFunc scans one site and returns the report with Devices filled in
// (Findings are the daemon's job). When ctx is cancelled it returns promptly
// with what it has, Incomplete set, and ctx's error or nil. An error means
// the sweep could not be done (the report, if any, is kept as partial).
type SweepFunc func(ctx context.Context, site Site, log zerolog.Logger) (*inventory.Report, error)
