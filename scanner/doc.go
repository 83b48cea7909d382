// Package scanner is the sweep engine: it expands a scope lazily, discovers
// live hosts, runs probes against them under a global rate limit and a
// per-host connection limit, and streams what each host said as Evidence.
//
// The scanner knows nothing of vendors. It only records what devices say on
// the wire; turning that into a verdict is the fingerprint package's job.
package scanner
