package snmp

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosnmp/gosnmp"
	"golang.org/x/time/rate"
)

// session is what the harvest needs of a connection to one agent;
// *gosnmp.GoSNMP is one, and tests use it against scantest.SNMPAgent.
type session interface {
	Get(oids []string) (*gosnmp.SnmpPacket, error)
	GetBulk(oids []string, nonRepeaters uint8, maxRepetitions uint32) (*gosnmp.SnmpPacket, error)
}

// Errors a walk ends with. The rows read before them are kept.
var (
	errOutOfOrder = errors.New("snmp: the agent returned OIDs out of order (a broken agent would loop forever)")
	errTruncated  = errors.New("snmp: table larger than max_entries; the rest was not read")
	errNoProgress = errors.New("snmp: the agent's answer moved no column forward")
)

// walker reads columns from one agent, each request passing the device's
// rate limit, each column capped at maxRows.
type walker struct {
	ctx     context.Context
	s       session
	limit   *rate.Limiter
	maxRep  uint32
	maxRows int
}

func (w *walker) wait() error {
	if err := w.limit.Wait(w.ctx); err != nil {
		// rate.Limiter says "would exceed context deadline" before the
		// deadline passes; it is the deadline all the same.
		if w.ctx.Err() == nil {
			return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		return w.ctx.Err()
	}
	return nil
}

// get fetches scalars; a missing object yields no entry.
func (w *walker) get(oids ...string) (map[string]gosnmp.SnmpPDU, error) {
	if err := w.wait(); err != nil {
		return nil, err
	}
	pkt, err := w.s.Get(oids)
	if err != nil {
		return nil, err
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("%w: %s", errAgent, pkt.Error)
	}
	out := make(map[string]gosnmp.SnmpPDU, len(pkt.Variables))
	for _, v := range pkt.Variables {
		switch v.Type {
		case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView, gosnmp.Null:
			continue
		}
		if o, err := parseOID(v.Name); err == nil {
			out[o.String()] = v
		}
	}
	return out, nil
}

// walkColumns reads the columns under roots side by side, as a table walk
// does: one GETBULK asks for the next rows of every column still open, and
// fn gets each cell with its column's position in roots and its index
// below the column. A column ends where the agent leaves it; a column that
// goes backwards (OIDs must increase) ends the walk with errOutOfOrder, and
// one longer than maxRows with errTruncated. It returns the rows read.
func (w *walker) walkColumns(roots []oid, fn func(col int, idx oid, v gosnmp.SnmpPDU)) (int, error) {
	type column struct {
		root, next oid
		rows       int
		done       bool
	}
	cols := make([]column, len(roots))
	for i, r := range roots {
		cols[i] = column{root: r, next: r}
	}
	maxRep := w.maxRep
	total := 0
	for {
		var active []int
		for i := range cols {
			if !cols[i].done {
				active = append(active, i)
			}
		}
		if len(active) == 0 {
			return total, nil
		}
		if err := w.wait(); err != nil {
			return total, err
		}
		names := make([]string, len(active))
		for i, c := range active {
			names[i] = cols[c].next.String()
		}
		// Keep an answer near maxRep cells whatever the column count.
		rep := max(1, maxRep/uint32(len(active)))
		pkt, err := w.s.GetBulk(names, 0, rep)
		if err != nil {
			return total, err
		}
		if pkt.Error == gosnmp.TooBig && maxRep > 1 {
			maxRep /= 2
			continue
		}
		if pkt.Error != gosnmp.NoError {
			return total, fmt.Errorf("%w: %s", errAgent, pkt.Error)
		}
		progressed := false
		for i, v := range pkt.Variables {
			c := &cols[active[i%len(active)]]
			if c.done {
				continue
			}
			switch v.Type {
			case gosnmp.EndOfMibView, gosnmp.NoSuchObject, gosnmp.NoSuchInstance:
				c.done = true
				continue
			}
			o, err := parseOID(v.Name)
			if err != nil {
				return total, fmt.Errorf("snmp: the agent answered with %w", err)
			}
			if !o.hasPrefix(c.root) || len(o) == len(c.root) {
				c.done = true
				continue
			}
			if compareOID(o, c.next) <= 0 {
				return total, errOutOfOrder
			}
			c.next, progressed = o, true
			c.rows++
			if c.rows > w.maxRows {
				return total, errTruncated
			}
			total++
			fn(active[i%len(active)], o[len(c.root):], v)
		}
		if !progressed {
			stillOpen := false
			for _, c := range active {
				stillOpen = stillOpen || !cols[c].done
			}
			if stillOpen {
				return total, errNoProgress
			}
		}
	}
}
