package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

type globalFlags struct {
	logLevel     string
	logFormat    string
	cpuProfile   string
	memProfile   string
	stopProfiles func()
}

// logger builds the zerolog logger for stderr; logs never go to stdout,
// where the report is written.
func (g *globalFlags) logger(w io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(g.logLevel)
	if err != nil || g.logLevel == "" {
		return zerolog.Nop(), withCode(exitError, fmt.Errorf("unknown --log-level %q (want debug, info, warn or error)", g.logLevel))
	}
	terminal := writerIsTerminal(w)
	// Probes and the SNMP harvest log from many goroutines at once: one
	// event at a time reaches a writer that is not itself safe for that
	// (a buffer, a pipe wrapper).
	w = zerolog.SyncWriter(w)
	switch g.logFormat {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !terminal}
	default:
		return zerolog.Nop(), withCode(exitError, fmt.Errorf("unknown --log-format %q (want console or json)", g.logFormat))
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

func writerIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
