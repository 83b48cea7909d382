package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/camsweep/camsweep/internal/safefile"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/report"
	"github.com/camsweep/camsweep/scanner"
)

// reconcileInputs are the loaded registry and policy and the date they are
// judged on. With neither a registry nor a policy, nothing is reconciled.
type reconcileInputs struct {
	registry *inventory.Registry
	policy   *inventory.Policy
	now      time.Time
	failOn   inventory.Severity
	noFail   bool
	enabled  bool
	// observations are flows and a VMS list to judge beside the sweep
	// (the demo earns them on loopback); nil judges the registry alone.
	observations *inventory.Observations
}

// load reads the registry and policy; every registry problem is reported
// at once, with file, line and column, before anything is scanned.
func (f *reconcileFlags) load() (*reconcileInputs, error) {
	in := &reconcileInputs{now: time.Now()}
	if f.now != "" {
		t, err := time.Parse(time.DateOnly, f.now)
		if err != nil {
			return nil, withCode(exitError, fmt.Errorf("--now %q: want a date as YYYY-MM-DD", f.now))
		}
		// Noon UTC falls on the same calendar day in every zone a policy
		// may name (UTC-11 to UTC+12), so --now means that day there.
		in.now = t.Add(12 * time.Hour)
	}
	switch f.failOn {
	case "none":
		in.noFail = true
	default:
		s, ok := inventory.ParseSeverity(f.failOn)
		if !ok {
			return nil, withCode(exitError, fmt.Errorf("--fail-on %q: want info, warning, medium, high, critical or none", f.failOn))
		}
		in.failOn = s
	}
	if len(f.registries) > 0 {
		reg, errs, err := loadRegistries(f.ctx, f.registries, f.mapping, f.sheet, f.limits)
		if err != nil {
			return nil, withCode(exitError, err)
		}
		if len(errs) > 0 {
			return nil, withCode(exitError, joinErrors("registry", errs))
		}
		in.registry = reg
		in.enabled = true
	}
	if f.policy != "" {
		pol, err := inventory.LoadPolicy(f.policy)
		if err != nil {
			return nil, withCode(exitError, err)
		}
		in.policy = pol
		in.enabled = true
	}
	return in, nil
}

// joinErrors lists every error, one per line, under a count.
func joinErrors(what string, errs []error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s problem(s):", len(errs), what)
	for _, e := range errs {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return errors.New(b.String())
}

// apply reconciles the report's devices and fills its findings.
func (in *reconcileInputs) apply(rep *inventory.Report) error {
	if !in.enabled {
		return nil
	}
	scope, err := reconcileScope(rep)
	if err != nil {
		return err
	}
	scope.Partial = rep.Incomplete
	var obs inventory.Observations
	if in.observations != nil {
		obs = *in.observations
	}
	res := inventory.ReconcileObserved(rep.Devices, in.registry, in.policy, scope, obs, in.now)
	rep.Observations = obs.Summary()
	rep.Devices = res.Devices
	rep.Findings = res.Findings
	if rep.Findings == nil {
		rep.Findings = []inventory.Finding{}
	}
	return nil
}

// reconcileScope rebuilds what the sweep covered from the report, so a
// saved report is judged exactly as it was when it was made.
func reconcileScope(rep *inventory.Report) (inventory.Scope, error) {
	s, err := scanner.NewScope(rep.Scope.Targets, rep.Scope.Exclude, true)
	if err != nil {
		return inventory.Scope{}, fmt.Errorf("report scope: %w", err)
	}
	return inventory.Scope{Site: rep.Site, Prefixes: s.Prefixes()}, nil
}

// exitFor turns the findings into exit code 1 when one reaches --fail-on.
func (in *reconcileInputs) exitFor(findings []inventory.Finding) error {
	return in.exitForSeverity(report.MaxSeverity(findings))
}

// exitForSeverity is exitFor given the worst severity found, if any.
func (in *reconcileInputs) exitForSeverity(worst inventory.Severity, ok bool) error {
	if in.noFail {
		return nil
	}
	if ok && worst >= in.failOn {
		return withCode(exitFindings, fmt.Errorf("findings at or above %s", in.failOn))
	}
	return nil
}

// outputFormats are the report formats; checked before a scan starts so a
// typo does not cost a sweep.
var outputFormats = []string{"table", "json", "csv", "html"}

func (f *outputFlags) validate() error {
	if f.format != "" && !slices.Contains(outputFormats, f.format) {
		return withCode(exitError, fmt.Errorf("unknown output format %q (want %s)", f.format, strings.Join(outputFormats, ", ")))
	}
	if _, err := f.fileMode(); err != nil {
		return withCode(exitError, err)
	}
	if _, err := f.options(); err != nil {
		return withCode(exitError, err)
	}
	return nil
}

// fileMode parses --output-mode: octal permission bits only, so a typo
// cannot make a report setuid or world-writable by accident.
func (f *outputFlags) fileMode() (fs.FileMode, error) {
	m, err := strconv.ParseUint(cmp.Or(f.mode, "0600"), 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("--output-mode %q: want octal permissions such as 0600 or 0640", f.mode)
	}
	if m&0o002 != 0 {
		return 0, fmt.Errorf("--output-mode %q: a report must not be writable by everyone", f.mode)
	}
	return fs.FileMode(m), nil
}

func (f *outputFlags) options() (report.Options, error) {
	var o report.Options
	switch f.csvSeparator {
	case "", ",":
		o.CSVSeparator = ','
	case ";":
		o.CSVSeparator = ';'
	case "tab", `\t`, "\t":
		o.CSVSeparator = '\t'
	default:
		return o, fmt.Errorf("--csv-separator %q: want \",\", \";\" or \"tab\"", f.csvSeparator)
	}
	return o, nil
}

// write renders the report to stdout or, with --output, to a file that is
// replaced whole only once the report was written (never left empty or
// half-written, never written through a link).
func (f *outputFlags) write(stdout io.Writer, rep *inventory.Report) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	if f.file == "" {
		format := f.format
		if format == "" {
			format = "json"
			if out, ok := stdout.(*os.File); ok && isTerminal(out) {
				format = "table"
			}
		}
		return report.WriteWith(stdout, format, rep, opts)
	}
	mode, err := f.fileMode()
	if err != nil {
		return err
	}
	return safefile.Write(f.file, mode, func(w io.Writer) error {
		return report.WriteWith(w, cmp.Or(f.format, "json"), rep, opts)
	})
}
