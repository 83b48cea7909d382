package snmp

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/gosnmp/gosnmp"
)

// errAgent wraps an error-status the agent answered with (genErr,
// noAccess...): that table is lost, the device may still serve others.
var errAgent = errors.New("snmp: the agent answered with an error")

// Error kinds, as reports and the camsweep_infrastructure_errors_total
// metric sort failures.
const (
	ErrorTimeout   = "timeout"   // no answer: unreachable, filtered, or (v2c) a wrong community, which agents ignore
	ErrorAuth      = "auth"      // SNMPv3 user, password or security level refused
	ErrorRefused   = "refused"   // nothing listens on the agent's port (ICMP port unreachable)
	ErrorDeadline  = "deadline"  // the device's or the harvest's time ran out
	ErrorTruncated = "truncated" // a table was longer than max_entries
	ErrorProtocol  = "protocol"  // the agent answered with nonsense (OIDs out of order, malformed) or an error status
	ErrorOther     = "error"
)

// ErrorKinds lists every kind, for metrics that export zeros.
var ErrorKinds = []string{ErrorAuth, ErrorDeadline, ErrorOther, ErrorProtocol, ErrorRefused, ErrorTimeout, ErrorTruncated}

// classify sorts an error for reports and metrics; the first fatal cause
// wins over a table cut short.
func classify(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, gosnmp.ErrUnknownUsername), errors.Is(err, gosnmp.ErrWrongDigest),
		errors.Is(err, gosnmp.ErrDecryption), errors.Is(err, gosnmp.ErrUnknownSecurityLevel),
		errors.Is(err, gosnmp.ErrUnknownSecurityModels), strings.Contains(err.Error(), "not authentic"),
		// A report the library has no name for: on a request for a context,
		// RFC 3413's snmpUnknownContexts (the user is not granted it).
		errors.Is(err, gosnmp.ErrUnknownReportPDU):
		return ErrorAuth
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ErrorDeadline
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrorRefused
	case errors.Is(err, gosnmp.ErrMaxRetriesExceeded), isTimeout(err):
		return ErrorTimeout
	case errors.Is(err, errOutOfOrder), errors.Is(err, errNoProgress), errors.Is(err, errAgent), errors.Is(err, errBadOID):
		return ErrorProtocol
	case errors.Is(err, errTruncated):
		return ErrorTruncated
	}
	return ErrorOther
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// describe gives an error's text for a report: ours as written, the
// library's checked against the credential's secrets first, so that no
// password or community can reach a report, a log or a metric through an
// error message.
func describe(err error, secrets []string) string {
	msg := err.Error()
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			return classify(err) + " (message withheld: it quoted a credential)"
		}
	}
	return msg
}
