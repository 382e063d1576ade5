package ingest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// bigRequest is a valid request of about n bytes.
func bigRequest(t testing.TB, n int) []byte {
	sp := span("big")
	sp.Attributes = []*commonpb.KeyValue{strKV("pad", strings.Repeat("x", n))}
	return marshal(t, request(sp))
}

// When the bytes already in flight fill the bound, a request is refused at
// once with the retryable answer (RESOURCE_EXHAUSTED with RetryInfo, 429
// with Retry-After) and counted; once they are released it is served, and
// every reservation is given back.
func TestInflightBoundRefusesAtOnce(t *testing.T) {
	const bound = 4 << 20
	s, q, _, c := testServer(t, Config{MaxMessage: 1 << 20, MaxInflight: bound})
	body := bigRequest(t, 300<<10)
	cc := grpcConn(t, s.GRPCAddr())

	// Another request holds most of the bound.
	if !s.inflight.take(bound - 200<<10) {
		t.Fatal("could not take the bound")
	}
	err := exportRaw(cc, traceMethod, body, &coltrace.ExportTraceServiceResponse{})
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri
		}
	}
	if st.Code() != codes.ResourceExhausted || retry == nil || !strings.Contains(st.Message(), "busy") {
		t.Errorf("gRPC: %v, details %v", err, st.Details())
	}
	for _, gz := range []bool{false, true} {
		resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctProtobuf, body, gz)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("HTTP gzip %v: status %d, Retry-After %q", gz, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		_ = resp.Body.Close()
	}
	if got := c.BusyRequests.Load(); got != 3 {
		t.Errorf("busy requests counted %d, want 3", got)
	}
	if c.Received.Load() != 0 {
		t.Errorf("received %d spans while busy", c.Received.Load())
	}

	// Released: the same requests are served.
	s.inflight.give(bound - 200<<10)
	if err := exportRaw(cc, traceMethod, body, &coltrace.ExportTraceServiceResponse{}); err != nil {
		t.Fatalf("gRPC after release: %v", err)
	}
	nextBatch(t, q)
	for _, gz := range []bool{false, true} {
		resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctProtobuf, body, gz)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("HTTP gzip %v after release: status %d", gz, resp.StatusCode)
		}
		_ = resp.Body.Close()
		nextBatch(t, q)
	}
	if used := s.inflight.used.Load(); used != 0 {
		t.Errorf("%d bytes still reserved", used)
	}
}

// A request that could never fit the bound is refused as too large (not
// retryable), not as busy.
func TestInflightBoundTooLarge(t *testing.T) {
	s, _, _, c := testServer(t, Config{MaxMessage: 8 << 20, MaxInflight: 1 << 20})
	body := bigRequest(t, 2<<20)
	err := exportRaw(grpcConn(t, s.GRPCAddr()), traceMethod, body, &coltrace.ExportTraceServiceResponse{})
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || len(st.Details()) != 0 || !strings.Contains(st.Message(), "in-flight bound") {
		t.Errorf("gRPC: %v, details %v", err, st.Details())
	}
	resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctProtobuf, body, true)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Retry-After") != "" {
		t.Errorf("HTTP: status %d", resp.StatusCode)
	}
	_ = resp.Body.Close()
	if c.BusyRequests.Load() != 0 {
		t.Errorf("too-large requests counted as busy: %d", c.BusyRequests.Load())
	}
}

// A gzipped gRPC message reaches the handler still compressed and is
// inflated within the limits: one that inflates past --max-message is
// refused as too large without being inflated whole.
func TestGRPCGzipInflatedWithinLimits(t *testing.T) {
	s, q, syms, _ := testServer(t, Config{MaxMessage: 64 << 10})
	cc := grpcConn(t, s.GRPCAddr())
	small := marshal(t, request(span("small")))
	gz := grpc.UseCompressor("gzip")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cc.Invoke(ctx, traceMethod, small, &coltrace.ExportTraceServiceResponse{}, grpc.ForceCodecV2(rawCodec{}), gz); err != nil {
		t.Fatal(err)
	}
	if b := nextBatch(t, q); len(b.Spans) != 1 || syms.String(b.Spans[0].Name) != "small" {
		t.Errorf("batch %+v", b)
	}
	err := cc.Invoke(ctx, traceMethod, bigRequest(t, 1<<20), &coltrace.ExportTraceServiceResponse{}, grpc.ForceCodecV2(rawCodec{}), gz)
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "limit of 65536 bytes") {
		t.Errorf("gzip bomb: %v", err)
	}
}
