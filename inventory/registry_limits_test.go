package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

const csvHead = "id,site,ip,category,owner,vms\n"

func csvRowsText(n int) string {
	var b strings.Builder
	b.WriteString(csvHead)
	for i := range n {
		fmt.Fprintf(&b, "R%d,NOH,10.0.%d.%d,facility,CEJ,milestone\n", i, i/250, i%250+1)
	}
	return b.String()
}

// TestRegistryLimits: what a registry may hold is capped, and going over a
// cap is an error that names the setting and how to raise it; the load is
// marked stopped, since a partial registry would make registered cameras
// look unregistered.
func TestRegistryLimits(t *testing.T) {
	tests := []struct {
		name, file, data string
		lim              Limits
		limit, flag      string
	}{
		{"rows", "r.csv", csvRowsText(10), Limits{MaxRows: 5}, "max_rows", "--registry-max-rows"},
		{"rows, JSON", "r.json", `[{"id":"A","site":"NOH","ip":"10.0.0.1","category":"facility","owner":"CEJ","vms":"milestone"},` +
			`{"id":"B","site":"NOH","ip":"10.0.0.2","category":"facility","owner":"CEJ","vms":"milestone"}]`, Limits{MaxRows: 1}, "max_rows", "--registry-max-rows"},
		{"bytes", "r.csv", csvRowsText(1000), Limits{MaxBytes: 4096}, "max_bytes", "--registry-max-bytes"},
		{"a 2 MB header line", "r.csv", "id," + strings.Repeat("x", 2<<20) + "\n", Limits{}, "max_record_bytes", "--registry-max-record-bytes"},
		{"a JSON row", "r.json", `[{"id":"` + strings.Repeat("x", 5000) + `"}]`, Limits{MaxRecordBytes: 1000}, "max_record_bytes", "--registry-max-record-bytes"},
		{"YAML", "r.yaml", "- {id: A}\n" + strings.Repeat("# padding\n", 200), Limits{MaxYAMLBytes: 1000}, "max_yaml_bytes", "--registry-max-yaml-bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewRegistryLoader(ColumnMap{})
			l.SetLimits(tt.lim)
			l.Read(tt.file, strings.NewReader(tt.data))
			_, errs := l.Result()
			var le *LimitError
			if !errors.As(l.Stopped(), &le) || le.Limit != tt.limit {
				t.Fatalf("Stopped() = %v, want a LimitError on %s (errors %v)", l.Stopped(), tt.limit, errs)
			}
			msg := errs[len(errs)-1].Error()
			if !strings.Contains(msg, tt.file) || !strings.Contains(msg, "the limit is "+tt.limit) || !strings.Contains(msg, tt.flag) {
				t.Errorf("last error %q: want the file, the limit %s and the flag %s", msg, tt.limit, tt.flag)
			}
		})
	}
	// Under the limits nothing is stopped.
	l := NewRegistryLoader(ColumnMap{})
	l.SetLimits(Limits{MaxRows: 10})
	l.Read("r.csv", strings.NewReader(csvRowsText(10)))
	if reg, errs := l.Result(); l.Stopped() != nil || len(errs) != 0 || len(reg.Rows) != 10 {
		t.Errorf("10 rows under a limit of 10: stopped %v, errors %v, %d rows", l.Stopped(), errs, len(reg.Rows))
	}
}

// endless is a registry export that never ends, and cancels the load once
// it has served after bytes: a stuck NFS mount, a pipe from a runaway
// export, a 17 MB header. Cancellation must end the read.
type endless struct {
	head          string
	served, after int
	cancel        func()
}

func (e *endless) Read(p []byte) (int, error) {
	if e.head != "" {
		n := copy(p, e.head)
		e.head = e.head[n:]
		return n, nil
	}
	if e.served >= e.after {
		e.cancel()
	}
	n := copy(p, strings.Repeat("x", len(p)))
	e.served += n
	return n, nil
}

func TestRegistryLoadCancellable(t *testing.T) {
	for file, head := range map[string]string{"endless.csv": csvHead, "endless.json": `[{"id": "`} {
		ctx, cancel := context.WithCancel(context.Background())
		l := NewRegistryLoader(ColumnMap{})
		l.SetContext(ctx)
		l.SetLimits(Limits{MaxBytes: -1, MaxRecordBytes: -1})
		l.Read(file, &endless{head: head, after: 1 << 20, cancel: cancel})
		if !errors.Is(l.Stopped(), context.Canceled) {
			t.Errorf("%s: Stopped() = %v, want context.Canceled", file, l.Stopped())
		}
		cancel()
	}
}

// TestCSVPositionsLinear: computing the character column of every field
// reads each byte of a record a bounded number of times. It was counted from
// the start of the line for every field: 40,000 columns took 3.1 s, a 17 MB
// header hours.
func TestCSVPositionsLinear(t *testing.T) {
	line := strings.Repeat("kolonne-ø,", 40000) + "slut\n"
	c := newCSVRecords(context.Background(), "wide.csv", strings.NewReader(line+line), ',', Limits{MaxRecordBytes: -1})
	for {
		if _, err := c.next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if limit := 2 * 2 * len(line); c.walked > limit {
		t.Errorf("positions of two %d-byte records read %d bytes, more than %d", len(line), c.walked, limit)
	}
}

// TestRegistryErrorsBounded: a file of bad rows lists the first problems
// and counts the rest, instead of holding an error per row.
func TestRegistryErrorsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(csvHead)
	for i := range 5000 {
		fmt.Fprintf(&b, "R%d,NOH,not-an-ip,facility,CEJ,milestone\n", i)
	}
	_, errs := ParseRegistry("bad.csv", []byte(b.String()), ColumnMap{})
	if len(errs) != maxErrorsPerInput+1 {
		t.Fatalf("%d errors, want %d and a summary", len(errs), maxErrorsPerInput)
	}
	if got := errs[len(errs)-1].Error(); got != "bad.csv: 4000 more problems not listed (only the first 1000 of a file are)" {
		t.Errorf("summary %q", got)
	}
}
