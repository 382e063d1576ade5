// Package spantoptest makes each Go test a span in spantop (or any OTLP
// receiver on this machine), the way rustup wraps each test in a span:
//
//	func TestCheckout(t *testing.T) {
//		ctx := spantoptest.Start(t)
//		checkout(ctx, cart) // its spans are children of the test's
//	}
//
// The test's span is named after it; subtests that call Start are its
// children; a failed test's span has status error, a skipped one says so.
// Spans are flushed as each test ends, so none of a short test is lost.
// When nothing listens at the endpoint (SPANTOP_ENDPOINT, a loopback
// OTEL_EXPORTER_OTLP_ENDPOINT, else 127.0.0.1:4317; checked once per test
// binary) Start only returns t.Context(). Start is safe in parallel tests.
//
// Under `spantop test`, spantop already shows every test as a span (from
// go test -json): Start then makes no span of its own but returns a
// context whose parent is spantop's span of this test (see testtrace), so
// the code under test joins it. Outside spantop test, a TRACEPARENT in the
// environment (the OpenTelemetry environment carrier, e.g. set by a CI
// job) becomes the parent of the top-level tests.
//
// Start also makes its tracer provider the global one (otel.Tracer) unless
// the test binary has set one.
package spantoptest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/spantop/spantop/agentlib"
	"github.com/spantop/spantop/agentlib/testtrace"
)

// Attribute keys, from the OpenTelemetry semantic conventions for tests.
const (
	attrCase   = "test.case.name"
	attrSuite  = "test.suite.name"
	attrResult = "test.case.result.status"
)

// Timeouts: finding the endpoint must not slow a test run without
// spantop, and a flush must not hold a test up for long.
const (
	dialWait  = 200 * time.Millisecond
	flushWait = 2 * time.Second
)

// helper is the test binary's one connection to spantop.
type helper struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	// base is the parent of top-level tests: TRACEPARENT's context, or
	// an empty one.
	base context.Context
	// run is spantop test's trace; valid only under spantop test.
	run trace.TraceID
	// live maps the name of each running test that called Start to its
	// span, so that a subtest finds its parent.
	live sync.Map
}

var (
	setupOnce sync.Once
	current   *helper // nil: nothing to send to
	// ownGlobal is the provider Start made the global one, if it did.
	ownGlobal trace.TracerProvider
)

// Start makes t a span and returns a context with it for the code under
// test; the span ends and is flushed when t ends (at its cleanup).
func Start(t testing.TB) context.Context {
	t.Helper()
	ctx := t.Context()
	setupOnce.Do(func() { current = setup() })
	h := current
	if h == nil {
		return ctx
	}
	name := t.Name()
	pkg := callerPackage()
	if h.run.IsValid() {
		sc := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: h.run, SpanID: testtrace.SpanID(h.run, pkg, name),
			TraceFlags: trace.FlagsSampled, Remote: true,
		})
		t.Cleanup(h.flush)
		return trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	parent := h.base
	if p := testtrace.Parent(name); p != "" {
		if sc, ok := h.live.Load(p); ok {
			parent = trace.ContextWithSpanContext(parent, sc.(trace.SpanContext))
		}
	}
	_, span := h.tracer.Start(parent, name, trace.WithAttributes(
		attribute.String(attrCase, name), attribute.String(attrSuite, pkg)))
	h.live.Store(name, span.SpanContext())
	t.Cleanup(func() {
		h.live.Delete(name)
		switch {
		case t.Skipped():
			span.SetAttributes(attribute.String(attrResult, "skipped"))
			span.AddEvent("skipped")
		case t.Failed():
			span.SetAttributes(attribute.String(attrResult, "fail"))
			span.SetStatus(codes.Error, name+" failed")
		default:
			span.SetAttributes(attribute.String(attrResult, "pass"))
		}
		span.End()
		h.flush()
	})
	return trace.ContextWithSpan(ctx, span)
}

// setup connects once per test binary, or returns nil when nothing
// listens at the endpoint.
func setup() *helper {
	exp, err := agentlib.NewSpanExporter(agentlib.Options{})
	if err != nil {
		return nil
	}
	c, err := net.DialTimeout("tcp", exp.Target(), dialWait)
	if err != nil {
		_ = exp.Shutdown(context.Background())
		return nil
	}
	_ = c.Close()
	name := os.Getenv("OTEL_SERVICE_NAME")
	if name == "" {
		exe, _ := os.Executable()
		name = filepath.Base(exe)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
	)
	h := &helper{tp: tp, tracer: tp.Tracer("github.com/spantop/spantop/agentlib/spantoptest"), base: context.Background()}
	h.base = envContext()
	if sc := trace.SpanContextFromContext(h.base); sc.IsValid() && os.Getenv(testtrace.RunEnv) == sc.TraceID().String() {
		h.run = sc.TraceID()
	}
	// The global provider is a delegate until the program sets one.
	if g := otel.GetTracerProvider(); fmt.Sprintf("%T", g) == "*global.tracerProvider" || g == ownGlobal {
		otel.SetTracerProvider(tp)
		ownGlobal = tp
	}
	return h
}

// envContext reads TRACEPARENT and TRACESTATE, the OpenTelemetry
// environment carrier: the names are the W3C headers' in upper case.
func envContext() context.Context {
	carrier := propagation.MapCarrier{}
	for _, k := range (propagation.TraceContext{}).Fields() {
		if v := os.Getenv(strings.ToUpper(k)); v != "" {
			carrier[k] = v
		}
	}
	return propagation.TraceContext{}.Extract(context.Background(), carrier)
}

func (h *helper) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), flushWait)
	defer cancel()
	_ = h.tp.ForceFlush(ctx) // a spantop gone away is not the test's failure
}

// callerPackage is the import path of the package whose test called
// Start, as go test reports it (an external test package _test counts as
// its package).
func callerPackage() string {
	pcs := make([]uintptr, 8)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if fn := f.Function; fn != "" && !strings.HasPrefix(fn, "github.com/spantop/spantop/agentlib/spantoptest.") {
			return packageOf(fn)
		}
		if !more {
			return ""
		}
	}
}

// packageOf takes the import path from a function's full name, e.g.
// "example.com/p_test.TestA.func1" → "example.com/p".
func packageOf(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return strings.TrimSuffix(fn[:slash+1+dot], "_test")
}
