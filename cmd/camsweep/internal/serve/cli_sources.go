package serve

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
)

// What `camsweep scan` and `camsweep diff` borrow from the daemon: the
// same VMS configuration and client, the same flow sources and table, so
// that a one-off sweep judges recorders, egress and not_on_central_vms
// exactly as a scheduled one does.

// vmsFile is the layout of a `--vms` file: a site's `vms:` block alone,
// under the same key.
type vmsFile struct {
	VMS *VMSConfig `yaml:"vms"`
}

// LoadVMSFile reads a `--vms` file: the keys of a site's `vms:` block
// (docs/flows.md), paths relative to the file, every problem at once with
// its line and column. The credentials file it names is read and checked
// now (and again at the fetch); its content is never quoted.
func LoadVMSFile(path string) (*VMSConfig, error) {
	var f vmsFile
	v, err := decodeFile(path, "vms file", &f)
	if err != nil {
		return nil, err
	}
	if f.VMS == nil {
		v.at("want a vms: block (type, url, credentials_file)", "vms")
		return nil, &ConfigError{Path: path, Problems: v.problems}
	}
	dir := filepath.Dir(path)
	f.VMS.applyDefaults(func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	})
	f.VMS.validate(v.at)
	if len(v.problems) > 0 {
		return nil, &ConfigError{Path: path, Problems: v.problems}
	}
	return f.VMS, nil
}

// Flows are the daemon's flow sources opened for one sweep: a collector,
// a mirror port, or both, feeding one bounded table that watches the
// sweep's scope.
type Flows struct {
	rt      *flowRuntime
	started time.Time
}

// OpenFlows checks cfg as the daemon's `flows:` block is checked and opens
// its sources. watch is the sweep's scope; services its ports (a port of
// a flow's server side marks the camera end).
func OpenFlows(ctx context.Context, cfg FlowsConfig, watch []netip.Prefix, services []uint16, log zerolog.Logger) (*Flows, error) {
	cfg.applyDefaults()
	v := &validator{path: "flows"}
	cfg.validate(v)
	if len(v.problems) > 0 {
		return nil, &ConfigError{Path: "flows", Problems: v.problems}
	}
	rt, err := openFlows(ctx, cfg, watch, services, realClock{}, log)
	if err != nil {
		return nil, err
	}
	return &Flows{rt: rt, started: time.Now()}, nil
}

// Observations are the flows (and, from a mirror port, DNS lookups) that
// touch the scope, of all the sources took in since they opened: a record
// an exporter sent during the sweep counts even when the flow it
// describes began, or ended, a little before (exporters report a flow
// when it ends or at their active timeout). FlowWindow is how long the
// sources listened.
func (f *Flows) Observations(scope inventory.Scope) inventory.Observations {
	obs := f.rt.observe(scope, time.Time{}, time.Now())
	obs.FlowWindow = time.Since(f.started)
	return obs
}

// Listening are the collector's bound UDP addresses.
func (f *Flows) Listening() []string { return slices.Clone(f.rt.bound) }

// Records counts the flow records decoded so far, by source.
func (f *Flows) Records() map[string]uint64 { return f.rt.stats().Records }

// Close stops the sources.
func (f *Flows) Close() { f.rt.close() }
