// Package serve is the camsweep daemon: `camsweep serve --config FILE`.
//
// It loads a strict YAML configuration (LoadConfig), runs a scheduler that
// sweeps each site on its interval (with jitter and quiet hours, at most one
// scan per site at a time), reconciles every sweep against the site's
// registry and policy (reloaded when the files change), writes the results
// to the history store (inventory/store) and serves them: a JSON API under
// /api/v1/ behind bearer tokens, Prometheus metrics (inventory/metrics), a
// status page at /, and /healthz and /readyz.
//
// The sweep itself is injected as a SweepFunc, so the daemon is tested with
// canned reports and the CLI supplies the real scanner and fingerprinter.
// Run takes its signals from the context and from options, so tests drive
// reloads and shutdowns without sending signals to the test process.
package serve
