// Package sweep wires the flow of the README ("How it works") for one site: scope -> scanner
// -> fingerprint -> devices, returning a report without findings (the
// caller reconciles). Both `camsweep scan` and the daemon use it.
package sweep
