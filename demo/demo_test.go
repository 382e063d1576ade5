package demo

import (
	"context"
	"encoding/hex"
	"net"
	"sync"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// receiver is a minimal OTLP/gRPC trace receiver that keeps what it gets,
// so that the demo is tested against the wire and not against spantop.
type receiver struct {
	coltrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []got
}

type got struct {
	service string
	span    *tracepb.Span
}

func (r *receiver) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		svc := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				svc = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				r.spans = append(r.spans, got{svc, sp})
			}
		}
	}
	return &coltrace.ExportTraceServiceResponse{}, nil
}

type logsSink struct {
	collogs.UnimplementedLogsServiceServer
}

func (logsSink) Export(context.Context, *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	return &collogs.ExportLogsServiceResponse{}, nil
}

type metricsSink struct {
	colmetrics.UnimplementedMetricsServiceServer
}

func (metricsSink) Export(context.Context, *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}

func (r *receiver) snapshot() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.spans...)
}

func startReceiver(t *testing.T) (*receiver, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	rcv := &receiver{}
	coltrace.RegisterTraceServiceServer(srv, rcv)
	// agentlib sends logs and metrics too, and counts spantop present
	// only when they are accepted.
	collogs.RegisterLogsServiceServer(srv, logsSink{})
	colmetrics.RegisterMetricsServiceServer(srv, metricsSink{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return rcv, ln.Addr().String()
}

func attr(sp *tracepb.Span, key string) string {
	for _, kv := range sp.GetAttributes() {
		if kv.GetKey() == key {
			if s := kv.GetValue().GetStringValue(); s != "" {
				return s
			}
			return kv.GetValue().String()
		}
	}
	return ""
}

func TestDemoProducesALinkedMultiServiceWorkload(t *testing.T) {
	rcv, addr := startReceiver(t)
	cfg := defaultConfig()
	cfg.rate = 40
	cfg.burstEvery, cfg.burstAt, cfg.burstFor = time.Second, 0, 500*time.Millisecond // fail half the time from the start
	cfg.slowEvery = 1
	cfg.jobEvery = 200 * time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := run(ctx, Options{Endpoint: addr}, cfg); err != nil {
		t.Fatalf("run: %v", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("run took %v to stop after its context ended", d)
	}

	spans := rcv.snapshot()
	if len(spans) < 50 {
		t.Fatalf("got %d spans, want a lively workload", len(spans))
	}
	type key struct{ trace, span string }
	byID := map[key]got{}
	services := map[string]bool{}
	for _, g := range spans {
		services[g.service] = true
		if g.span.GetEndTimeUnixNano() != 0 {
			byID[key{hex.EncodeToString(g.span.GetTraceId()), hex.EncodeToString(g.span.GetSpanId())}] = g
		}
	}
	for _, want := range []string{"frontend", "checkout", "inventory", "payments", "auth", "shipping"} {
		if !services[want] {
			t.Errorf("no spans from service %q (got %v)", want, services)
		}
	}

	var checkoutCalls int
	var pairs, crossPairs, errorsWithException, dbSpans, slowDB, inflight, consumers, lostContext int
	for _, g := range spans {
		sp := g.span
		if sp.GetEndTimeUnixNano() == 0 {
			if attr(sp, "spantop.span.inflight") == "" {
				t.Errorf("span %q has no end time and no in-flight marker", sp.GetName())
			}
			inflight++
			continue
		}
		if sp.GetKind() == tracepb.Span_SPAN_KIND_SERVER && len(sp.GetParentSpanId()) == 8 {
			parent, ok := byID[key{hex.EncodeToString(sp.GetTraceId()), hex.EncodeToString(sp.GetParentSpanId())}]
			if ok && parent.span.GetKind() == tracepb.Span_SPAN_KIND_CLIENT {
				pairs++
				if parent.service != g.service {
					crossPairs++
				}
				if parent.span.GetName() != sp.GetName() {
					t.Errorf("client %q → server %q: names differ", parent.span.GetName(), sp.GetName())
				}
			}
		}
		if parent, ok := byID[key{hex.EncodeToString(sp.GetTraceId()), hex.EncodeToString(sp.GetParentSpanId())}]; ok {
			// session.load ends before the checkout call starts: it is
			// the call's sibling, never its parent (nor anyone's).
			if parent.span.GetName() == "session.load" {
				t.Errorf("%q (%s) is a child of session.load", sp.GetName(), g.service)
			}
			if g.service == "frontend" && sp.GetName() == "POST /checkout" {
				checkoutCalls++
				if parent.span.GetName() != "POST /api/checkout" {
					t.Errorf("the frontend's POST /checkout has parent %q, want POST /api/checkout", parent.span.GetName())
				}
			}
		}
		if sp.GetKind() == tracepb.Span_SPAN_KIND_SERVER && g.service == "inventory" && len(sp.GetParentSpanId()) == 0 {
			lostContext++ // the reconcile job's client did not propagate
		}
		if sp.GetKind() == tracepb.Span_SPAN_KIND_CONSUMER {
			parent, ok := byID[key{hex.EncodeToString(sp.GetTraceId()), hex.EncodeToString(sp.GetParentSpanId())}]
			if ok && parent.span.GetKind() == tracepb.Span_SPAN_KIND_PRODUCER && len(sp.GetLinks()) == 1 {
				consumers++
			}
		}
		if sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
			for _, ev := range sp.GetEvents() {
				if ev.GetName() == "exception" {
					errorsWithException++
					break
				}
			}
		}
		if attr(sp, "db.system.name") == "postgresql" && attr(sp, "db.query.text") != "" {
			dbSpans++
			if d := time.Duration(sp.GetEndTimeUnixNano() - sp.GetStartTimeUnixNano()); d >= 300*time.Millisecond {
				slowDB++
			}
		}
	}
	t.Logf("%d spans: %d client/server pairs, %d errors with exception, %d db (%d slow), %d in-flight snapshots, %d consumers, %d lost contexts",
		len(spans), pairs, errorsWithException, dbSpans, slowDB, inflight, consumers, lostContext)
	if checkoutCalls == 0 {
		t.Error("no POST /checkout call from the frontend")
	}
	if crossPairs < 10 {
		t.Errorf("%d CLIENT→SERVER pairs across services, want ≥10", crossPairs)
	}
	if errorsWithException == 0 {
		t.Error("no error span with an exception event")
	}
	if dbSpans == 0 {
		t.Error("no postgresql span with db.query.text")
	}
	if slowDB == 0 {
		t.Error("no slow query")
	}
	if inflight == 0 {
		t.Error("no in-flight snapshot of a long-running span")
	}
	if lostContext == 0 {
		t.Error("no inventory SERVER span starting its own trace (the deliberately lost context)")
	}
	if consumers == 0 {
		t.Error("no CONSUMER span that is a child of, and linked to, a PRODUCER span")
	}
}

func TestRunStopsWhenNothingListens(t *testing.T) {
	// Reserve a port and free it so that nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := Run(ctx, addr); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("Run took %v to stop with no receiver", d)
	}
}
