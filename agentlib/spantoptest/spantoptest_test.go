package spantoptest_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"github.com/spantop/spantop/agentlib/spantoptest"
	"github.com/spantop/spantop/agentlib/testtrace"
)

// receiver is a real OTLP/gRPC trace receiver on a free loopback port.
type receiver struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.Span
	addr  string
}

func (r *receiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			r.spans = append(r.spans, ss.Spans...)
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (r *receiver) byName() map[string]*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]*tracepb.Span{}
	for _, s := range r.spans {
		m[s.Name] = s
	}
	return m
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{addr: ln.Addr().String()}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, r)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	t.Setenv("SPANTOP_ENDPOINT", r.addr)
	t.Setenv("TRACEPARENT", "")
	t.Setenv(testtrace.RunEnv, "")
	spantoptest.Reset()
	t.Cleanup(spantoptest.Reset)
	return r
}

// fakeT is a test whose outcome the test sets: Start sees it fail or
// skip, and its cleanups run when end is called.
type fakeT struct {
	testing.TB
	name            string
	failed, skipped bool
	cleanups        []func()
}

func (f *fakeT) Name() string             { return f.name }
func (f *fakeT) Failed() bool             { return f.failed }
func (f *fakeT) Skipped() bool            { return f.skipped }
func (f *fakeT) Helper()                  {}
func (f *fakeT) Context() context.Context { return context.Background() }
func (f *fakeT) Cleanup(fn func())        { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// A test, its subtests (passed, failed, skipped) and a span of the code
// under test: each is a span with the right parent and outcome, and all
// have arrived when the cleanups return (no wait for a batch).
func TestTestsBecomeSpans(t *testing.T) {
	r := startReceiver(t)
	top := &fakeT{TB: t, name: "TestShop"}
	ctx := spantoptest.Start(top)
	if !trace.SpanContextFromContext(ctx).IsValid() {
		t.Fatal("Start returned no span with a receiver listening")
	}
	failing := &fakeT{TB: t, name: "TestShop/pay", failed: true}
	fctx := spantoptest.Start(failing)
	_, work := otel.Tracer("shop").Start(fctx, "charge card") // the global provider is the helper's
	work.End()
	failing.end()
	skipped := &fakeT{TB: t, name: "TestShop/ship", skipped: true}
	spantoptest.Start(skipped)
	skipped.end()
	top.end()

	got := r.byName()
	for _, n := range []string{"TestShop", "TestShop/pay", "TestShop/ship", "charge card"} {
		if got[n] == nil {
			t.Fatalf("span %q not received after the cleanups; got %d spans", n, len(got))
		}
	}
	id := func(n string) string { return fmt.Sprintf("%x", got[n].SpanId) }
	parent := func(n string) string { return fmt.Sprintf("%x", got[n].ParentSpanId) }
	if parent("TestShop/pay") != id("TestShop") || parent("TestShop/ship") != id("TestShop") {
		t.Error("subtests are not children of their test")
	}
	if parent("charge card") != id("TestShop/pay") {
		t.Error("the code under test's span is not a child of its test")
	}
	if len(got["TestShop"].ParentSpanId) != 0 {
		t.Error("a top-level test has a parent without TRACEPARENT")
	}
	if st := got["TestShop/pay"].Status; st.GetCode() != tracepb.Status_STATUS_CODE_ERROR || st.GetMessage() == "" {
		t.Errorf("failed test's status = %v, want error with a message", st)
	}
	if got["TestShop"].Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Error("the passing test has status error")
	}
	if !hasAttr(got["TestShop/ship"], "test.case.result.status", "skipped") {
		t.Errorf("skipped test lacks test.case.result.status=skipped: %v", got["TestShop/ship"].Attributes)
	}
}

func hasAttr(s *tracepb.Span, k, v string) bool {
	for _, a := range s.Attributes {
		if a.Key == k && a.Value.GetStringValue() == v {
			return true
		}
	}
	return false
}

// Parallel subtests each get their own span under their parent.
func TestParallelSubtests(t *testing.T) {
	r := startReceiver(t)
	t.Run("group", func(t *testing.T) {
		spantoptest.Start(t)
		for i := range 8 {
			t.Run(fmt.Sprint("case", i), func(t *testing.T) {
				t.Parallel()
				ctx := spantoptest.Start(t)
				_, s := otel.Tracer("x").Start(ctx, fmt.Sprint("work", i))
				time.Sleep(5 * time.Millisecond)
				s.End()
			})
		}
	})
	got := r.byName()
	groupID := fmt.Sprintf("%x", got[t.Name()+"/group"].GetSpanId())
	for i := range 8 {
		c := got[fmt.Sprintf("%s/group/case%d", t.Name(), i)]
		w := got[fmt.Sprint("work", i)]
		if c == nil || w == nil {
			t.Fatalf("case %d: test span %v, work span %v", i, c != nil, w != nil)
		}
		if fmt.Sprintf("%x", c.ParentSpanId) != groupID || fmt.Sprintf("%x", w.ParentSpanId) != fmt.Sprintf("%x", c.SpanId) {
			t.Errorf("case %d: wrong parents", i)
		}
	}
}

// Under spantop test, Start makes no span: its context's parent is the
// span spantop made for this test, named by testtrace.SpanID.
func TestUnderSpantopTest(t *testing.T) {
	r := startReceiver(t)
	run := trace.TraceID{0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	t.Setenv("TRACEPARENT", fmt.Sprintf("00-%s-%s-01", run, trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}))
	t.Setenv(testtrace.RunEnv, run.String())
	ctx := spantoptest.Start(t)
	sc := trace.SpanContextFromContext(ctx)
	want := testtrace.SpanID(run, "github.com/spantop/spantop/agentlib/spantoptest", t.Name())
	if sc.TraceID() != run || sc.SpanID() != want {
		t.Fatalf("context span %s/%s, want %s/%s", sc.TraceID(), sc.SpanID(), run, want)
	}
	_, s := otel.Tracer("x").Start(ctx, "inside")
	s.End()
	spantoptest.Reset() // flushes
	got := r.byName()
	if len(got) != 1 || got["inside"] == nil {
		t.Fatalf("received %v, want only the code under test's span", got)
	}
	if fmt.Sprintf("%x", got["inside"].ParentSpanId) != want.String() {
		t.Errorf("parent %x, want spantop's test span %s", got["inside"].ParentSpanId, want)
	}
}

// With nothing listening, Start returns t's context and costs one failed
// dial per test binary.
func TestNothingListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	t.Setenv("SPANTOP_ENDPOINT", addr)
	spantoptest.Reset()
	t.Cleanup(spantoptest.Reset)
	start := time.Now()
	ctx := spantoptest.Start(t)
	if trace.SpanContextFromContext(ctx).IsValid() {
		t.Error("a span with nothing listening")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Start took %v with nothing listening", took)
	}
}

func BenchmarkStartNothingListening(b *testing.B) {
	b.Setenv("SPANTOP_ENDPOINT", "127.0.0.1:1")
	spantoptest.Reset()
	b.Cleanup(spantoptest.Reset)
	spantoptest.Start(b)
	for b.Loop() {
		spantoptest.Start(b)
	}
}
