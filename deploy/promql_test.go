package deploy_test

import (
	"slices"
	"strings"
	"testing"
)

// promqlKeywords are identifiers of PromQL (and Grafana) that are not metric
// names: operators and modifiers. Functions and aggregations are told apart by
// the "(" that follows them.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "offset": true,
	"inf": true, "nan": true,
}

// labelListKeywords take a parenthesised list of label names, not an expression.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// metricNames returns the metric names a PromQL expression selects. It is a
// lexer, not a parser: it skips strings, label matchers in {}, ranges in [],
// label lists after by/on/..., numbers and durations, Grafana variables, and
// identifiers followed by "(" (functions, aggregations). That is enough for the
// expressions of rules and dashboards, and needs no Prometheus module.
func metricNames(expr string) []string {
	var names []string
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(s, i)
		case c == '{':
			i = skipTo(s, i, '{', '}')
		case c == '[':
			i = skipTo(s, i, '[', ']')
		case c == '$':
			i++
			if i < len(s) && s[i] == '{' {
				i = skipTo(s, i, '{', '}')
				continue
			}
			for i < len(s) && isIdent(s[i], true) {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(s) && (isIdent(s[i], true) || s[i] == '.') {
				i++
			}
		case isIdent(c, false):
			start := i
			for i < len(s) && isIdent(s[i], true) {
				i++
			}
			word := s[start:i]
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
				j++
			}
			notSelector := j < len(s) && s[j] == '('
			// "sum by (site) (...)": an aggregation with its grouping first.
			next := s[j:]
			for _, kw := range []string{"by", "without"} {
				if strings.HasPrefix(next, kw) && (len(next) == len(kw) || !isIdent(next[len(kw)], true)) {
					notSelector = true
				}
			}
			lower := strings.ToLower(word)
			switch {
			case labelListKeywords[lower] && notSelector:
				i = skipTo(s, j, '(', ')')
			case promqlKeywords[lower], notSelector:
			default:
				if !slices.Contains(names, word) {
					names = append(names, word)
				}
			}
		default:
			i++
		}
	}
	return names
}

func isIdent(c byte, inside bool) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || inside && c >= '0' && c <= '9'
}

// skipString returns the index after the string literal starting at s[i].
func skipString(s string, i int) int {
	q := s[i]
	for i++; i < len(s); i++ {
		if s[i] == '\\' && q != '`' {
			i++
			continue
		}
		if s[i] == q {
			return i + 1
		}
	}
	return len(s)
}

// skipTo returns the index after the bracket that closes the one at s[i],
// ignoring brackets inside strings.
func skipTo(s string, i int, open, close byte) int {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '"', '\'', '`':
			i = skipString(s, i)
			continue
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(s)
}

// grafanaQueryExpr strips Grafana's label_values()/query_result() wrappers
// from a template variable query, leaving PromQL (or nothing).
func grafanaQueryExpr(q string) string {
	q = strings.TrimSpace(q)
	for _, fn := range []string{"label_values(", "query_result("} {
		if strings.HasPrefix(q, fn) && strings.HasSuffix(q, ")") {
			inner := q[len(fn) : len(q)-1]
			if fn == "label_values(" {
				// label_values(expr, label) or label_values(label).
				if k := strings.LastIndex(inner, ","); k >= 0 {
					return inner[:k]
				}
				return ""
			}
			return inner
		}
	}
	if strings.HasPrefix(q, "label_names(") || strings.HasPrefix(q, "metrics(") {
		return ""
	}
	return q
}

func TestMetricNames(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`up{job="camsweep"} == 0`, []string{"up"}},
		{`sum by (site, severity) (camsweep_findings{site=~"$site"})`, []string{"camsweep_findings"}},
		{`sum(rate(camsweep_scans_total{status="failed"}[$__rate_interval])) without (instance)`, []string{"camsweep_scans_total"}},
		{`time() - (camsweep_last_scan_success_timestamp_seconds > 0) > 3 * camsweep_scan_interval_seconds`,
			[]string{"camsweep_last_scan_success_timestamp_seconds", "camsweep_scan_interval_seconds"}},
		{`a and on (dispensation) group_left (owner) b unless ignoring(x) c or d offset 5m`, []string{"a", "b", "c", "d"}},
		{`{__name__="x"} + topk(5, y) * 1e3 + 0.5 + ${var} + $var`, []string{"y"}},
		{`label_replace(m, "dst", "$1", "src", "(.*)")`, []string{"m"}},
		{`max_over_time(m[1h:5m]) @ end()`, []string{"m"}},
		{`vector(1)`, nil},
	}
	for _, c := range cases {
		if got := metricNames(c.expr); !slices.Equal(got, c.want) {
			t.Errorf("metricNames(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
	if got := grafanaQueryExpr(`label_values(camsweep_last_scan_timestamp_seconds, site)`); got != "camsweep_last_scan_timestamp_seconds" {
		t.Errorf("grafanaQueryExpr(label_values) = %q", got)
	}
}
