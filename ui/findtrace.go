package ui

import "strings"

// A trace ID pasted (or typed) into `/` on any tab finds the trace: the
// traces table filtered by trace=<prefix>, or the trace's waterfall
// straight away when exactly one trace matches; esc comes back to the
// traces table.

// minTraceHex is the shortest hex text taken for a trace ID prefix: IDs
// are shown eight digits long.
const minTraceHex = 8

// traceHexPrefix returns filter as a trace ID prefix, lower case, when it
// is nothing but 8 to 32 hex digits.
func traceHexPrefix(filter string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(filter))
	if len(s) < minTraceHex || len(s) > 32 {
		return "", false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return "", false
		}
	}
	return s, true
}

// findTrace answers a filter that is a trace ID or its prefix; false
// leaves the filter to the table it was typed in.
func (a *App) findTrace(f filterable) bool {
	ts := f.state()
	p, ok := traceHexPrefix(ts.filter)
	if !ok {
		return false
	}
	ids, n := a.src.TraceIDsWithPrefix(p, 1)
	a.editing = false
	if f != filterable(a.trcs) {
		ts.filter = "" // the trace is found elsewhere
		f.refetch(a)
	}
	a.switchTo(a.trcs)
	t := a.trcs
	t.filter = "trace=" + p
	t.selID, t.selRow, t.offset = 0, 0, 0
	t.fetch(a.src, a.rows(), nav{top: true}, a.st)
	if n == 1 {
		a.push(newTraceView(ids[0], 0))
	}
	return true
}
