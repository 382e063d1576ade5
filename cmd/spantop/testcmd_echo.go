package main

import (
	"io"
	"slices"
	"strings"

	"github.com/spantop/spantop/agentlib/testtrace"
)

// goTestEcho writes a go test -json run back as go test's own text, for
// `spantop snapshot -- go test`: its stdout is the report, so a CI log
// shows this on stderr. Without -v it is what go test prints without -v:
// a failing test's "--- FAIL" line and its output (subtests nested under
// their parent), each package's ok/FAIL line and the build errors;
// passing and skipped tests are quiet. With -v every line is written as
// it comes; with -json the events themselves.
type goTestEcho struct {
	w       io.Writer
	verbose bool
	raw     bool
	// blocks holds the lines of each running test, and then the blocks
	// of its failed subtests, until it ends.
	blocks map[testKey][]string
}

func newGoTestEcho(w io.Writer, goTestArgs []string) *goTestEcho {
	e := &goTestEcho{w: w, blocks: map[testKey][]string{}}
	for _, a := range goTestArgs {
		switch a {
		case "--":
			return e
		case "-v", "-v=true", "--v", "-test.v", "-test.v=true":
			e.verbose = true
		case "-json", "--json":
			e.raw = true
		}
	}
	return e
}

// line writes one line of -json output; ev is its event, or nil when the
// line was not one (go test prints some errors as text).
func (e *goTestEcho) line(b []byte, ev *testEvent) {
	switch {
	case e.raw || ev == nil:
		e.write(string(b) + "\n")
	case ev.Action == "build-output" || (ev.Package == "" && ev.Output != ""):
		e.write(ev.Output)
	case e.verbose:
		if ev.Action == "output" {
			e.write(ev.Output)
		}
	case ev.Test == "":
		// The package's own lines: ok, FAIL, "no test files", a panic
		// outside tests. "PASS" is the binary's, which go test drops.
		if ev.Action == "output" && strings.TrimSpace(ev.Output) != "PASS" {
			e.write(ev.Output)
		}
	default:
		e.test(ev)
	}
}

func (e *goTestEcho) test(ev *testEvent) {
	k := testKey{pkg: ev.Package, test: ev.Test}
	switch ev.Action {
	case "output":
		if !strings.HasPrefix(ev.Output, "=== ") {
			e.blocks[k] = append(e.blocks[k], ev.Output)
		}
	case "pass", "skip", "fail":
		lines := e.blocks[k]
		delete(e.blocks, k)
		if ev.Action != "fail" {
			return
		}
		// go test without -v puts the "--- FAIL" line first.
		if i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "--- FAIL") }); i > 0 {
			head := lines[i]
			lines = append(append([]string{head}, lines[:i]...), lines[i+1:]...)
		}
		if parent := testtrace.Parent(ev.Test); parent != "" {
			pk := testKey{pkg: ev.Package, test: parent}
			for _, l := range lines {
				e.blocks[pk] = append(e.blocks[pk], "    "+l)
			}
			return
		}
		e.write(strings.Join(lines, ""))
	}
}

func (e *goTestEcho) write(s string) {
	if s == "" {
		return
	}
	_, _ = io.WriteString(e.w, s)
}
