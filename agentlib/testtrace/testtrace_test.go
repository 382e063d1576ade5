package testtrace

import (
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestSpanIDIsStableAndDistinct(t *testing.T) {
	run := trace.TraceID{1, 2, 3}
	a := SpanID(run, "example.com/p", "TestA")
	if a != SpanID(run, "example.com/p", "TestA") {
		t.Error("SpanID is not deterministic")
	}
	seen := map[trace.SpanID]string{a: "TestA"}
	for _, c := range []struct {
		run       trace.TraceID
		pkg, test string
	}{
		{run, "example.com/p", ""},
		{run, "example.com/p", "TestA/sub"},
		{run, "example.com/q", "TestA"},
		{trace.TraceID{9}, "example.com/p", "TestA"},
		{run, "example.com/pTestA", ""}, // the separator keeps these apart
	} {
		id := SpanID(c.run, c.pkg, c.test)
		if !id.IsValid() {
			t.Errorf("invalid ID for %+v", c)
		}
		if prev, ok := seen[id]; ok {
			t.Errorf("%+v has the ID of %s", c, prev)
		}
		seen[id] = c.pkg + " " + c.test
	}
}

func TestParent(t *testing.T) {
	for test, want := range map[string]string{"TestA": "", "TestA/b": "TestA", "TestA/b/c": "TestA/b"} {
		if got := Parent(test); got != want {
			t.Errorf("Parent(%q) = %q, want %q", test, got, want)
		}
	}
}
