// Package sweep wires the flow of DESIGN.md for one site: scope -> scanner
// -> fingerprint -> devices, returning a report without findings (the
// caller reconciles). Both `camsweep scan` and the daemon use it.
package sweep
