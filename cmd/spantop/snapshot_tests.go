package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spantop/spantop/agentlib/testtrace"
	"github.com/spantop/spantop/model"
)

// The tests of a go test run in a snapshot: `spantop snapshot -- go test`,
// or a recording of `spantop test`. They are read back from the spans
// testcmd.go makes, so both paths give the same report: a test or package
// span carries test.case.result.status; a package's also test.suite.name
// (its import path), and its tests share its service and trace.

// ReportTests is a go test run's outcome.
type ReportTests struct {
	Passed         int `json:"passed"`
	Failed         int `json:"failed"`
	Skipped        int `json:"skipped"`
	Packages       int `json:"packages"`
	FailedPackages int `json:"failed_packages"`
	// Slowest are the longest tests (subtests too), longest first.
	Slowest []ReportTest `json:"slowest"`
	// Failures are the failed tests without a failed subtest (the
	// subtest says why), then the packages that failed with no test
	// failing (a build error, a panic outside tests, a timeout).
	Failures []ReportFailure `json:"failures"`
}

// ReportTest is one test.
type ReportTest struct {
	// Name is the test's (TestX/sub for a subtest); "" for a package.
	Name     string  `json:"name"`
	Package  string  `json:"package"`
	Duration float64 `json:"duration_ms"`
	// Status is pass, fail or skip, as go test -json says.
	Status string `json:"status"`
}

// ReportFailure is a failed test or package with its first lines of output.
type ReportFailure struct {
	ReportTest
	Output []string `json:"output"`
}

const (
	reportSlowTests   = 20
	reportFailures    = 30
	reportFailLines   = 10
	reportTestSpans   = 1 << 16
	testResultAttr    = "test.case.result.status"
	testSuiteAttr     = "test.suite.name"
	testRunService    = "go test"
	buildFailedSuffix = "[build failed]"
)

// testOutcome is a test or package span read back.
type testOutcome struct {
	ReportTest
	trace   model.TraceID
	service string
	output  []string
	pkg     bool
}

// testsReport reads the run's tests from src; nil when there are none.
func testsReport(src reportSource) *ReportTests {
	page := src.Tasks(model.Query{Filter: testResultAttr + "~.", Sort: model.TaskID, Limit: reportTestSpans})
	if len(page.Rows) == 0 {
		return nil
	}
	type svcKey struct {
		trace   model.TraceID
		service string
	}
	suites := map[svcKey]string{}
	var all []testOutcome
	for _, row := range page.Rows {
		d, ok := src.Span(row.ID)
		if !ok {
			continue
		}
		o := testOutcome{trace: d.TraceID, service: d.Service}
		o.Name, o.Duration = d.Name, ms(d.Duration)
		for _, a := range d.Attrs {
			switch a.Key {
			case testResultAttr:
				o.Status = goTestStatus(a.Value.String())
			case testSuiteAttr:
				o.pkg, o.Package = true, a.Value.String()
			}
		}
		for _, e := range d.Events {
			o.output = append(o.output, e.Name)
		}
		if o.pkg {
			o.Name = ""
			suites[svcKey{d.TraceID, d.Service}] = o.Package
		}
		all = append(all, o)
	}
	for i := range all {
		if !all[i].pkg {
			all[i].Package = cmp.Or(suites[svcKey{all[i].trace, all[i].service}], all[i].service)
		}
	}

	r := &ReportTests{Slowest: []ReportTest{}, Failures: []ReportFailure{}}
	failedIn := map[string]bool{}        // packages with a failed test
	failedParent := map[[2]string]bool{} // tests with a failed subtest
	var tests []ReportTest
	for _, o := range all {
		if o.pkg {
			r.Packages++
			if o.Status == "fail" {
				r.FailedPackages++
			}
			continue
		}
		tests = append(tests, o.ReportTest)
		switch o.Status {
		case "pass":
			r.Passed++
		case "fail":
			r.Failed++
			failedIn[o.Package] = true
			for p := testtrace.Parent(o.Name); p != ""; p = testtrace.Parent(p) {
				failedParent[[2]string{o.Package, p}] = true
			}
		case "skip":
			r.Skipped++
		}
	}
	slices.SortStableFunc(tests, func(a, b ReportTest) int {
		return cmp.Or(cmp.Compare(b.Duration, a.Duration), strings.Compare(a.Package, b.Package), strings.Compare(a.Name, b.Name))
	})
	r.Slowest = append(r.Slowest, tests[:min(len(tests), reportSlowTests)]...)

	// Failures in the order a reader expects: by package, then test name.
	slices.SortStableFunc(all, func(a, b testOutcome) int {
		return cmp.Or(strings.Compare(a.Package, b.Package), strings.Compare(a.Name, b.Name))
	})
	var pkgFailures []ReportFailure
	for _, o := range all {
		switch {
		case o.Status != "fail":
		case !o.pkg && !failedParent[[2]string{o.Package, o.Name}]:
			r.Failures = append(r.Failures, ReportFailure{ReportTest: o.ReportTest, Output: failureLines(o.output)})
		case o.pkg && !failedIn[o.Package]:
			out := failureLines(o.output)
			if slices.ContainsFunc(o.output, func(l string) bool { return strings.HasSuffix(l, buildFailedSuffix) }) {
				out = append(buildErrors(src, o.trace, o.Package), out...)
			}
			pkgFailures = append(pkgFailures, ReportFailure{ReportTest: o.ReportTest, Output: out[:min(len(out), reportFailLines)]})
		}
	}
	r.Failures = append(r.Failures, pkgFailures...)
	r.Failures = r.Failures[:min(len(r.Failures), reportFailures)]
	return r
}

// goTestStatus is go test -json's word for a span's result.
func goTestStatus(result string) string {
	if result == "skipped" {
		return "skip"
	}
	return result
}

// failureLines are a test's first lines of output, without go test's
// own "--- FAIL" line, which the name already says.
func failureLines(events []string) []string {
	out := []string{}
	for _, l := range events {
		if len(out) == reportFailLines {
			break
		}
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "--- ") || t == "FAIL" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// buildErrors are the compiler's lines for pkg, which go test prints
// before the run starts and testcmd.go keeps as the run span's events:
// the block under "# pkg …". A dependency's failure has another header;
// then all of the run's lines are returned.
func buildErrors(src reportSource, trace model.TraceID, pkg string) []string {
	page := src.Tasks(model.Query{Filter: `service="` + testRunService + `"`, Sort: model.TaskID, Limit: 64})
	for _, row := range page.Rows {
		d, ok := src.Span(row.ID)
		if !ok || d.TraceID != trace {
			continue
		}
		var all, mine []string
		in := false
		for _, e := range d.Events {
			if strings.HasPrefix(e.Name, "# ") {
				in = e.Name == "# "+pkg || strings.HasPrefix(e.Name, "# "+pkg+" ")
			}
			all = append(all, e.Name)
			if in {
				mine = append(mine, e.Name)
			}
		}
		if len(mine) > 0 {
			return mine
		}
		return all
	}
	return nil
}

// writeTestTables prints the tests' part of a text or markdown report.
func writeTestTables(w io.Writer, r *ReportTests, md bool, title func(string)) error {
	title("Tests")
	fmt.Fprintf(w, "tests: %d passed  %d failed  %d skipped    packages: %d  failed %d\n", r.Passed, r.Failed, r.Skipped, r.Packages, r.FailedPackages)

	title("Slowest tests")
	t := &table{md: md, head: []string{"TEST", "PACKAGE", "DURATION", "STATUS"}}
	for _, x := range r.Slowest {
		t.add(x.Name, x.Package, fmtMS(x.Duration), x.Status)
	}
	if err := t.write(w); err != nil {
		return err
	}

	if len(r.Failures) == 0 {
		return nil
	}
	title("Failures")
	for _, f := range r.Failures {
		name := f.Name
		if name == "" {
			name = "package"
		}
		fmt.Fprintf(w, "--- FAIL %s  %s  %s\n", name, f.Package, fmtMS(f.Duration))
		if md && len(f.Output) > 0 {
			fmt.Fprintln(w, "\n```")
		}
		for _, l := range f.Output {
			fmt.Fprintf(w, "    %s\n", strings.TrimSpace(l))
		}
		if md && len(f.Output) > 0 {
			fmt.Fprint(w, "```\n")
		}
	}
	return nil
}
