package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// snapshotGoTest runs the built binary's `snapshot ARGS -- go test
// GOTESTARGS` in dir and returns its status, stdout and stderr.
func snapshotGoTest(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(spantopBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(environ(), env...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	code := exitCode(cmd, err)
	if cmd.ProcessState == nil {
		t.Fatalf("spantop did not run: %v", err)
	}
	return code, out.String(), errs.String()
}

// `spantop snapshot -- go test` on a small module (testdata/gotestmod):
// the report lists the slowest tests longest first with their package and
// status, and the failures with their output, the build error included;
// stderr reads like go test without -v; spantop exits as go test does.
func TestSnapshotGoTest(t *testing.T) {
	mod, err := filepath.Abs("testdata/gotestmod")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := snapshotGoTest(t, mod, nil, "snapshot", "--format", "json", "--", "go", "test", "-count=1", "./...")
	if code != 1 {
		t.Errorf("status %d, want go test's 1; stderr:\n%s", code, errs)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	tests := r.Tests
	if tests == nil {
		t.Fatalf("no tests in the report:\n%s", out)
	}
	if tests.Passed != 4 || tests.Failed != 1 || tests.Skipped != 1 || tests.Packages != 2 || tests.FailedPackages != 2 {
		t.Errorf("counts %+v, want 4 passed, 1 failed, 1 skipped, 2 packages both failed", *tests)
	}
	var names []string
	status := map[string]string{}
	for _, x := range tests.Slowest {
		names = append(names, x.Name)
		status[x.Name] = x.Status
		if x.Package != "example.com/gotestmod" {
			t.Errorf("%s: package %q", x.Name, x.Package)
		}
	}
	// 700 ms, then the table (its 300 ms subtest counts in it) before its
	// subtest; the others take microseconds, in any order.
	if len(names) != 6 || !slices.Equal(names[:3], []string{"TestSlowPass", "TestTable", "TestTable/slower_case"}) {
		t.Errorf("slowest tests %q", names)
	}
	if tests.Slowest[0].Duration < 700 {
		t.Errorf("TestSlowPass took %v ms", tests.Slowest[0].Duration)
	}
	want := map[string]string{"TestSlowPass": "pass", "TestFails": "fail", "TestSkipped": "skip", "TestTable/quick": "pass"}
	for n, s := range want {
		if status[n] != s {
			t.Errorf("%s: status %q, want %q", n, status[n], s)
		}
	}
	if len(tests.Failures) != 2 {
		t.Fatalf("failures %+v, want TestFails and the broken package", tests.Failures)
	}
	f := tests.Failures[0]
	if f.Name != "TestFails" || f.Status != "fail" || !slices.Equal(f.Output, []string{"    mod_test.go:17: checking the answer", "    mod_test.go:18: the answer was 41, want 42"}) {
		t.Errorf("first failure %+v", f)
	}
	f = tests.Failures[1]
	if f.Name != "" || f.Package != "example.com/gotestmod/broken" || !slices.ContainsFunc(f.Output, func(l string) bool {
		return strings.Contains(l, `broken_test.go:8:14: cannot use "not a number"`)
	}) {
		t.Errorf("second failure %+v, want the package that did not build, with the compiler's line", f)
	}
	if r.Child == nil || r.Child.ExitCode != 1 || !slices.Equal(r.Child.Args, []string{"go", "test", "-count=1", "./..."}) {
		t.Errorf("command %+v", r.Child)
	}
	// stderr: go test's own text, as without -v.
	for _, s := range []string{"--- FAIL: TestFails (", "mod_test.go:18: the answer was 41, want 42", "FAIL\texample.com/gotestmod\t", "FAIL\texample.com/gotestmod/broken [build failed]", "broken_test.go:8:14"} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errs)
		}
	}
	for _, s := range []string{"=== RUN", "--- PASS", "--- SKIP", `"Action"`} {
		if strings.Contains(errs, s) {
			t.Errorf("stderr has %q, which go test without -v does not print:\n%s", s, errs)
		}
	}

	// Passing tests: status 0, text tables, the ok line on stderr.
	code, out, errs = snapshotGoTest(t, mod, nil, "snapshot", "--", "go", "test", "-count=1", "-run", "TestSlowPass|TestTable|TestSkipped", ".")
	if code != 0 || !strings.Contains(errs, "ok  \texample.com/gotestmod\t") {
		t.Errorf("status %d, stderr:\n%s", code, errs)
	}
	slow, table := strings.Index(out, "\nTestSlowPass "), strings.Index(out, "\nTestTable ")
	if !strings.Contains(out, "SLOWEST TESTS\nTEST ") || slow < 0 || table < slow || strings.Contains(out, "FAILURES") {
		t.Errorf("text report:\n%s", out)
	}

	// Only a build failure: go test's status, the compiler's line in the
	// markdown report.
	code, out, _ = snapshotGoTest(t, mod, nil, "snapshot", "--format", "markdown", "--", "go", "test", "./broken")
	if code != 1 || !strings.Contains(out, "## Failures") || !strings.Contains(out, "broken_test.go:8:14") || !strings.Contains(out, "## Slowest tests\n\n(none)") {
		t.Errorf("status %d, report:\n%s", code, out)
	}
}

// The test binaries' own spans join their test's span through
// TRACEPARENT under snapshot too: the spantoptest span of the fixture is
// in the run's trace.
func TestSnapshotGoTestJoinsTheTestsSpans(t *testing.T) {
	code, out, errs := snapshotGoTest(t, ".", []string{"SPANTOP_FIXTURE=1"}, "snapshot", "--format", "json", "--", "go", "test", "-count=1", "./testdata/gotestfixture")
	if code != 1 {
		t.Errorf("status %d, want 1 (the fixture fails on purpose); stderr:\n%s", code, errs)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(r.Slowest) == 0 || !slices.Contains(r.Slowest[0].Services, "gotestfixture.test") || !strings.HasPrefix(r.Slowest[0].Root, "go test -json") {
		t.Errorf("the run's trace does not hold the test binary's spans: %+v", r.Slowest)
	}
	if r.Tests == nil || len(r.Tests.Slowest) == 0 || r.Tests.Slowest[0].Name != "TestSlow" {
		t.Errorf("tests %+v", r.Tests)
	}
}
