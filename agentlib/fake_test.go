package agentlib

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

func TestMain(m *testing.M) {
	if os.Getenv(receiverEnv) != "" {
		runReceiverProcess()
		return
	}
	// Reconnects are quicker in tests; the in-flight timings and the
	// metrics interval keep their real values.
	probeMin = 100 * time.Millisecond
	probeMax = 300 * time.Millisecond
	identityWait = 300 * time.Millisecond
	os.Exit(m.Run())
}

// fakeSpantop is a real gRPC server with the generated OTLP collector
// services, recording what agentlib sends.
type fakeSpantop struct {
	coltracepb.UnimplementedTraceServiceServer
	collogspb.UnimplementedLogsServiceServer
	colmetricspb.UnimplementedMetricsServiceServer

	addr string
	srv  *grpc.Server

	mu      sync.Mutex
	spans   []recvSpan
	logs    []recvLog
	metrics []recvMetrics
	stall   chan struct{} // while set, handlers wait for it to close (or the caller to give up)
}

// Received items, each with its resource's attributes.
type recvSpan struct {
	res  []*commonpb.KeyValue
	span *tracepb.Span
	at   time.Time
}

type recvLog struct {
	res []*commonpb.KeyValue
	rec *logspb.LogRecord
}

type recvMetrics struct {
	res     []*commonpb.KeyValue
	metrics []*metricspb.Metric
}

// startFake starts a fake spantop on a free loopback port.
func startFake(t testing.TB) *fakeSpantop {
	t.Helper()
	return startFakeAt(t, "127.0.0.1:0")
}

// startFakeAt starts a fake spantop on addr (a port freed a moment ago may
// take a few tries to bind again).
func startFakeAt(t testing.TB, addr string) *fakeSpantop {
	t.Helper()
	var lis net.Listener
	var err error
	for range 50 {
		if lis, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	f := &fakeSpantop{addr: lis.Addr().String(), srv: grpc.NewServer()}
	coltracepb.RegisterTraceServiceServer(f.srv, f)
	collogspb.RegisterLogsServiceServer(f.srv, logsServer{f})
	colmetricspb.RegisterMetricsServiceServer(f.srv, metricsServer{f})
	go func() { _ = f.srv.Serve(lis) }()
	t.Cleanup(f.close)
	return f
}

func (f *fakeSpantop) close() { f.srv.Stop() }

// freeAddr returns a loopback address nobody listens on (for now).
func freeAddr(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// setStall makes every handler wait until release is called or the
// caller's deadline passes.
func (f *fakeSpantop) setStall() {
	f.mu.Lock()
	f.stall = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeSpantop) release() {
	f.mu.Lock()
	if f.stall != nil {
		close(f.stall)
		f.stall = nil
	}
	f.mu.Unlock()
}

func (f *fakeSpantop) wait(ctx context.Context) error {
	f.mu.Lock()
	ch := f.stall
	f.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeSpantop) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		res := rs.Resource.GetAttributes()
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				f.spans = append(f.spans, recvSpan{res: res, span: s, at: now})
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// logsServer and metricsServer give the fake the other two Export methods
// (Go has one method set per type).
type logsServer struct{ *fakeSpantop }
type metricsServer struct{ *fakeSpantop }

func (f logsServer) Export(ctx context.Context, req *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rl := range req.ResourceLogs {
		res := rl.Resource.GetAttributes()
		for _, sl := range rl.ScopeLogs {
			for _, r := range sl.LogRecords {
				f.logs = append(f.logs, recvLog{res: res, rec: r})
			}
		}
	}
	return &collogspb.ExportLogsServiceResponse{}, nil
}

func (f metricsServer) Export(ctx context.Context, req *colmetricspb.ExportMetricsServiceRequest) (*colmetricspb.ExportMetricsServiceResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rm := range req.ResourceMetrics {
		var ms []*metricspb.Metric
		for _, sm := range rm.ScopeMetrics {
			ms = append(ms, sm.Metrics...)
		}
		f.metrics = append(f.metrics, recvMetrics{res: rm.Resource.GetAttributes(), metrics: ms})
	}
	return &colmetricspb.ExportMetricsServiceResponse{}, nil
}

func (f *fakeSpantop) spanList() []recvSpan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recvSpan(nil), f.spans...)
}

func (f *fakeSpantop) logList(event string) []*logspb.LogRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*logspb.LogRecord
	for _, l := range f.logs {
		if l.rec.EventName == event {
			out = append(out, l.rec)
		}
	}
	return out
}

func (f *fakeSpantop) metricList() []recvMetrics {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recvMetrics(nil), f.metrics...)
}

// waitFor polls cond until it holds, failing the test after limit. The
// limit is a guard against a hang, not a measure of speed.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startAgent starts agentlib against addr and stops it at cleanup.
func startAgent(t testing.TB, o Options) func(context.Context) error {
	t.Helper()
	stop, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("stop: %v", err)
		}
	})
	return stop
}

func attrOf(attrs []*commonpb.KeyValue, key string) (*commonpb.AnyValue, bool) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return nil, false
}

func describe(v *commonpb.AnyValue) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprint(v.Value)
}
