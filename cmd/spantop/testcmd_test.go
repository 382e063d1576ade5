package main

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

func TestSplitTestArgs(t *testing.T) {
	for _, c := range []struct {
		in, own, goTest []string
	}{
		{[]string{"./..."}, nil, []string{"./..."}},
		{[]string{"--grpc", "127.0.0.1:0", "-run", "X", "./p"}, []string{"--grpc", "127.0.0.1:0"}, []string{"-run", "X", "./p"}},
		{[]string{"--ascii", "--log=f", "-v"}, []string{"--ascii", "--log=f"}, []string{"-v"}},
		{[]string{"--retain", "1m", "--", "--count=1"}, []string{"--retain", "1m"}, []string{"--count=1"}},
		{[]string{"--count=1", "./p"}, nil, []string{"--count=1", "./p"}}, // not spantop's: go test's
	} {
		own, goTest := splitTestArgs(c.in)
		if !reflect.DeepEqual(own, c.own) || !reflect.DeepEqual(goTest, c.goTest) {
			t.Errorf("splitTestArgs(%q) = %q, %q; want %q, %q", c.in, own, goTest, c.own, c.goTest)
		}
	}
	cfg, goTest, err := parseCommandLine([]string{"test", "--grpc", "127.0.0.1:0", "-count=1", "./x"}, func(string) string { return "" })
	if err != nil || cfg.Command != "test" || cfg.GRPCAddr != "127.0.0.1:0" || !reflect.DeepEqual(goTest, []string{"-count=1", "./x"}) {
		t.Errorf("parseCommandLine: %+v %q %v", cfg, goTest, err)
	}
}

// fixturePkg is the fixture's path in the module: its span's name and
// its service.
const fixturePkg = "cmd/spantop/testdata/gotestfixture"

// TestSpantopTestShowsTheRun runs `spantop test` (headless: a stand-in
// for the UI reads what the TUI would) on the fixture package: the run,
// the package and each test are spans with the right parents and
// outcomes; the slow test is in flight while it runs; the spans the
// tests made through spantoptest are under their test's span; the
// operations view ranks the slow test first; spantop exits with go
// test's status.
func TestSpantopTestShowsTheRun(t *testing.T) {
	t.Setenv("SPANTOP_FIXTURE", "1")
	m := testMain(t)
	m.Config.Command = "test"
	m.TestArgs = []string{"-count=1", "./testdata/gotestfixture"}
	var sawSlowRunning bool
	spans := map[string]model.SpanDetail{}
	var ops []model.OpRow
	m.UI = func(ctx context.Context, src ui.Source, _ ui.Options) error {
		deadline := time.Now().Add(90 * time.Second) // go test builds the fixture first
		for time.Now().Before(deadline) {
			page := src.Tasks(model.Query{Limit: 1000})
			clear(spans)
			for _, r := range page.Rows {
				if r.Name == "TestSlow" && r.State == model.StateRunning {
					sawSlowRunning = true
				}
				if d, ok := src.Span(r.ID); ok {
					spans[d.Name] = d
				}
			}
			runEnded := false
			for n, d := range spans {
				runEnded = runEnded || (strings.HasPrefix(n, "go test -json") && d.State != model.StateRunning)
			}
			if runEnded && len(spans) >= 12 {
				ops = src.Operations(model.Query{Sort: model.OpTotal, Desc: true, Limit: 100}).Rows
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("timed out: spans %v", keys(spans))
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(m.Config.LogFile); err == nil && t.Failed() {
			t.Logf("spantop log:\n%s", b)
		}
	})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	need := func(name string) model.SpanDetail {
		t.Helper()
		d, ok := spans[name]
		if !ok {
			t.Fatalf("no span %q among %v", name, keys(spans))
		}
		return d
	}
	var root model.SpanDetail
	for n, d := range spans {
		if strings.HasPrefix(n, "go test -json") {
			root = d
		}
	}
	pkg := need(fixturePkg)
	if pkg.Parent != root.SpanID || root.Status != model.StatusError {
		t.Errorf("package span's parent %v, want the run %v (status %v, want error)", pkg.Parent, root.SpanID, root.Status)
	}
	if pkg.Status != model.StatusError || pkg.Service != fixturePkg || attr(pkg, "test.suite.name") != "github.com/spantop/spantop/"+fixturePkg {
		t.Errorf("package span: status %v, service %q; want error, the package", pkg.Status, pkg.Service)
	}
	for _, n := range []string{"TestPasses", "TestFails", "TestSkipped", "TestTable", "TestSlow"} {
		if d := need(n); d.Parent != pkg.SpanID || d.TraceID != pkg.TraceID {
			t.Errorf("%s is not a child of the package span", n)
		}
	}
	for _, n := range []string{"TestTable/small", "TestTable/large_case"} {
		if need(n).Parent != need("TestTable").SpanID {
			t.Errorf("%s is not a child of TestTable", n)
		}
	}
	fails := need("TestFails")
	if fails.Status != model.StatusError || !strings.Contains(fails.StatusMsg, "the answer was 41, want 42") {
		t.Errorf("TestFails: status %v %q, want error with the failure", fails.Status, fails.StatusMsg)
	}
	if !hasEvent(fails, "the answer was 41") {
		t.Errorf("TestFails's output is not among its events: %+v", fails.Events)
	}
	if d := need("TestPasses"); d.Status == model.StatusError || attr(d, "test.case.result.status") != "pass" {
		t.Errorf("TestPasses: status %v, result %q", d.Status, attr(d, "test.case.result.status"))
	}
	skipped := need("TestSkipped")
	if attr(skipped, "test.case.result.status") != "skipped" || !hasEvent(skipped, "not on this machine") || skipped.Status == model.StatusError {
		t.Errorf("TestSkipped: result %q, events %+v, status %v", attr(skipped, "test.case.result.status"), skipped.Events, skipped.Status)
	}
	// The test binaries' own spans, joined through TRACEPARENT.
	work := need("fixture work")
	if work.Parent != need("TestPasses").SpanID || work.TraceID != pkg.TraceID {
		t.Errorf("the test's own span is not under TestPasses")
	}
	if work.Service != "gotestfixture.test" {
		t.Errorf("the test's own span has service %q, want the test binary's", work.Service)
	}
	if need("table work large case").Parent != need("TestTable/large_case").SpanID {
		t.Error("a subtest's own span is not under the subtest")
	}
	if !sawSlowRunning {
		t.Error("TestSlow (1.2s) was never shown in flight")
	}
	if d := need("TestSlow"); d.Duration < time.Second {
		t.Errorf("TestSlow lasted %v", d.Duration)
	}
	// Which tests are slow: the operations by total time, tests only.
	var firstTest string
	for _, op := range ops {
		if strings.HasPrefix(op.Name, "Test") {
			firstTest = op.Name
			break
		}
	}
	if firstTest != "TestSlow" {
		t.Errorf("the slowest test in the operations view is %q, want TestSlow", firstTest)
	}
	if got := m.testExit.Load(); got != 1 {
		t.Errorf("spantop test's exit status %d, want go test's 1", got)
	}
}

func keys(m map[string]model.SpanDetail) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func hasEvent(d model.SpanDetail, text string) bool {
	for _, e := range d.Events {
		if strings.Contains(e.Name, text) {
			return true
		}
	}
	return false
}

func attr(d model.SpanDetail, key string) string {
	for _, a := range d.Attrs {
		if a.Key == key {
			return a.Value.String()
		}
	}
	return ""
}
