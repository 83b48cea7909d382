package inventory

import (
	"fmt"
	"math"
)

// Limits bound what a registry may hold, so a wrong file (a database dump,
// a 17 MB header line, a runaway export) ends in an error naming the limit
// instead of filling the sensor's memory: the systemd unit caps the daemon
// at 1 GB, and a registry row costs about 300 bytes once loaded. The zero
// Limits are the defaults; a field set to a negative value means no limit.
type Limits struct {
	// MaxRows caps the rows of all files of one load together.
	MaxRows int
	// MaxBytes caps one registry file.
	MaxBytes int64
	// MaxRecordBytes caps one CSV record (a line, with the lines a quoted
	// cell spans) or one JSON row object.
	MaxRecordBytes int
	// MaxYAMLBytes caps a YAML registry, which is parsed as a whole
	// document (the YAML library has no streaming reader): YAML is for
	// registries kept by hand; export large ones as CSV.
	MaxYAMLBytes int64
}

// Default limits: a region's whole camera estate is tens of thousands of
// rows. 500,000 rows hold about 175 MB once loaded (BenchmarkRegistryLoad),
// inside the Kubernetes manifest's 512 MiB and the systemd unit's 1 GB.
const (
	DefaultMaxRows        = 500_000
	DefaultMaxBytes       = 256 << 20
	DefaultMaxRecordBytes = 1 << 20
	DefaultMaxYAMLBytes   = 16 << 20
)

func (l Limits) maxRows() int        { return intLimit(l.MaxRows, DefaultMaxRows) }
func (l Limits) maxRecordBytes() int { return intLimit(l.MaxRecordBytes, DefaultMaxRecordBytes) }
func (l Limits) maxBytes() int64     { return int64Limit(l.MaxBytes, DefaultMaxBytes) }
func (l Limits) maxYAMLBytes() int64 { return int64Limit(l.MaxYAMLBytes, DefaultMaxYAMLBytes) }

// MaxBytesOrDefault is MaxBytes with the default applied, for readers of
// other formats (a workbook) that hold the file whole.
func (l Limits) MaxBytesOrDefault() int64 { return l.maxBytes() }

func intLimit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return math.MaxInt
	}
	return v
}

func int64Limit(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return math.MaxInt64
	}
	return v
}

// LimitError says a registry went over one of its Limits, naming the
// setting that raises it.
type LimitError struct {
	File string
	// Limit is the setting's name: max_rows, max_bytes, max_record_bytes
	// or max_yaml_bytes.
	Limit string
	Value int64
	// What describes what was too large.
	What string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("inventory: %s: %s; the limit is %s = %d (raise it with --registry-%s, or registry_limits.%s in the daemon's configuration)",
		e.File, e.What, e.Limit, e.Value, dashed(e.Limit), e.Limit)
}

func dashed(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}
