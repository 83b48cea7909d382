package inventory

import (
	"fmt"
	"strings"
)

// Errors is every problem found in one input, in file order, so a registry
// keeper fixes them all in one round instead of one per run. Each element is
// usually a *RowError; errors.As reaches them through Unwrap.
type Errors struct {
	Op   string // "parse policy", "parse column map", ...
	Errs []error
}

func (e *Errors) Error() string {
	var b strings.Builder
	if len(e.Errs) == 1 {
		fmt.Fprintf(&b, "inventory: %s: %v", e.Op, e.Errs[0])
		return b.String()
	}
	fmt.Fprintf(&b, "inventory: %s: %d problems:", e.Op, len(e.Errs))
	for _, err := range e.Errs {
		b.WriteString("\n\t")
		b.WriteString(err.Error())
	}
	return b.String()
}

func (e *Errors) Unwrap() []error { return e.Errs }

func joinErrors(op string, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return &Errors{Op: op, Errs: errs}
}
