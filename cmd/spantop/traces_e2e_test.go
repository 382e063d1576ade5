package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sendTraces exports, with the real SDK, one three-span trace over two
// services with an error (its root the slowest span) and n one-span
// traces; it returns the big trace's ID.
func sendTraces(t *testing.T, endpoint string, n int) string {
	t.Helper()
	ctx := context.Background()
	tp := func(svc string) *sdktrace.TracerProvider {
		return sdktrace.NewTracerProvider(sdktrace.WithSyncer(grpcExporter(t, endpoint)),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", svc))))
	}
	front, db := tp("e2e-front"), tp("e2e-db")
	now := time.Now()
	rctx, root := front.Tracer("e2e").Start(ctx, "e2e-order", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(now.Add(-2*time.Second)))
	cctx, call := front.Tracer("e2e").Start(rctx, "e2e-call-db", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(now.Add(-1500*time.Millisecond)))
	_, q := db.Tracer("e2e").Start(cctx, "e2e-query", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(now.Add(-1400*time.Millisecond)))
	q.SetStatus(codes.Error, "deadlock")
	q.End(trace.WithTimestamp(now.Add(-600 * time.Millisecond)))
	call.End(trace.WithTimestamp(now.Add(-500 * time.Millisecond)))
	root.End(trace.WithTimestamp(now))
	id := root.SpanContext().TraceID().String()
	for i := range n {
		_, s := front.Tracer("e2e").Start(ctx, fmt.Sprintf("e2e-single-%02d", i), trace.WithTimestamp(now.Add(-time.Millisecond)))
		s.End(trace.WithTimestamp(now))
	}
	for _, p := range []*sdktrace.TracerProvider{front, db} {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := p.Shutdown(sctx); err != nil {
			t.Fatalf("export to spantop: %v", err)
		}
		cancel()
	}
	return id
}

// TestTmuxTraces opens the traces tab of the built binary with real SDK
// traffic, sorts it, filters it by trace=, enters a waterfall and comes
// back; then pastes a trace ID on the spans tab.
func TestTmuxTraces(t *testing.T) {
	tm := startTerm(t, 200, 50)
	tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
	id := sendTraces(t, tm.grpc, 12)
	tm.waitFor("received 15", func(s string) bool { return received(s) == 15 })

	tm.keys("x")
	s := tm.waitText("of 13 traces", "sort Start", "e2e-order", "e2e-single-11")
	if !regexp.MustCompile(`e2e-order\s+2 e2e-front, e2e-db\s+3\s+1\s+2\.00s`).MatchString(s) {
		t.Errorf("the big trace's row lacks its services, spans, errors or duration:\n%s", s)
	}

	// Sorted by span count, descending: the three-span trace first.
	tm.keys("h", "h", "h")
	s = tm.waitText("sort Spans")
	if row := firstRow(s, "Trace"); !strings.Contains(row, "e2e-order") {
		t.Errorf("by spans, the first row is %q:\n%s", row, s)
	}
	tm.keys("i")
	s = tm.waitText("sort Spans▲")
	if row := firstRow(s, "Trace"); !strings.Contains(row, "e2e-single-00") {
		t.Errorf("by spans ascending, the first row is %q (ties by arrival):\n%s", row, s)
	}

	// Filtered by a prefix of its ID: one row; enter shows its waterfall.
	tm.keys("/")
	tm.keys("-l", "trace="+id[:12])
	tm.keys("Enter")
	s = tm.waitText("1-1 of 1 traces matching", "filter trace="+id[:12])
	if !strings.Contains(s, "e2e-order") || strings.Contains(s, "e2e-single") {
		t.Errorf("filtered by its ID:\n%s", s)
	}
	tm.keys("Enter")
	s = tm.waitText("trace "+id[:8], "e2e-call-db", "e2e-query", "critical path")
	if !strings.Contains(s, "1 error") {
		t.Errorf("the waterfall lacks its error:\n%s", s)
	}
	tm.keys("Escape")
	tm.waitText("1-1 of 1 traces matching", "Services")

	// A trace ID pasted into / on the spans tab opens its waterfall.
	tm.keys("Escape") // clears the filter (alone: ESC then t would be alt+t)
	tm.waitText("1-13 of 13 traces")
	tm.keys("t")
	tm.waitText("sort Total")
	tm.keys("/")
	tm.keys("-l", id)
	tm.keys("Enter")
	tm.waitText("trace "+id[:8], "e2e-call-db")
	tm.keys("Escape")
	tm.waitText("filter trace="+id, "1-1 of 1 traces matching")

	tm.keys("q")
	if code := tm.waitExit(); code != 0 {
		t.Errorf("exit status %d after q, want 0", code)
	}
}

// firstRow is the line under the column header that starts with header.
func firstRow(screen, header string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), header) && i+1 < len(lines) {
			return lines[i+1]
		}
	}
	return ""
}
