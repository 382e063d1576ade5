package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const traceMethod = "/" + traceService + "/Export"

// grpcConn dials the server's gRPC receiver.
func grpcConn(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// exportRaw sends raw request bytes to a method, as a client with its own
// (possibly broken) encoder would.
func exportRaw(cc *grpc.ClientConn, method string, body []byte, resp proto.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cc.Invoke(ctx, method, body, resp, grpc.ForceCodecV2(rawCodec{}))
}

// postHTTP sends body to the server's HTTP receiver.
func postHTTP(t testing.TB, addr, path, contentType string, body []byte, gz bool) *http.Response {
	t.Helper()
	if gz {
		body = gzipped(t, body)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rpcStatus decodes an OTLP/HTTP error body in the response's encoding.
func rpcStatus(t testing.TB, resp *http.Response) *spb.Status {
	t.Helper()
	body := readAll(t, resp.Body)
	st := &spb.Status{}
	var err error
	switch ct := resp.Header.Get("Content-Type"); ct {
	case ctJSON:
		err = protojson.Unmarshal(body, st)
	case ctProtobuf:
		err = proto.Unmarshal(body, st)
	default:
		t.Fatalf("error response content type %q: %s", ct, body)
	}
	if err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return st
}

func TestGRPCMalformed(t *testing.T) {
	s, _, _, c := testServer(t, Config{})
	err := exportRaw(grpcConn(t, s.GRPCAddr()), traceMethod, []byte{0x0a, 0x7f, 0x01}, &coltrace.ExportTraceServiceResponse{})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "malformed protobuf") {
		t.Fatalf("err = %v", err)
	}
	if c.Received.Load() != 0 {
		t.Errorf("received = %d", c.Received.Load())
	}
}

func TestGRPCPartialSuccess(t *testing.T) {
	s, q, syms, c := testServer(t, Config{})
	bad := span("bad")
	bad.TraceId = []byte{1, 2, 3}
	var resp coltrace.ExportTraceServiceResponse
	if err := exportRaw(grpcConn(t, s.GRPCAddr()), traceMethod, marshal(t, request(bad, span("good"))), &resp); err != nil {
		t.Fatal(err)
	}
	ps := resp.GetPartialSuccess()
	if ps.GetRejectedSpans() != 1 || !strings.Contains(ps.GetErrorMessage(), "invalid trace ID length 3") {
		t.Errorf("partial success = %v", ps)
	}
	b := nextBatch(t, q)
	if len(b.Spans) != 1 || syms.String(b.Spans[0].Name) != "good" {
		t.Errorf("batch = %+v", b)
	}
	if c.Rejected.Load() != 1 || c.Received.Load() != 1 {
		t.Errorf("rejected %d received %d", c.Rejected.Load(), c.Received.Load())
	}
}

func TestGRPCOversized(t *testing.T) {
	s, _, _, _ := testServer(t, Config{MaxMessage: 4096})
	sp := span("big")
	sp.Attributes = append(sp.Attributes, strKV("payload", strings.Repeat("x", 8192)))
	err := exportRaw(grpcConn(t, s.GRPCAddr()), traceMethod, marshal(t, request(sp)), &coltrace.ExportTraceServiceResponse{})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("err = %v", err)
	}
}

func TestHTTPOversized(t *testing.T) {
	s, _, _, _ := testServer(t, Config{MaxMessage: 4096})
	sp := span("big")
	sp.Attributes = append(sp.Attributes, strKV("payload", strings.Repeat("x", 8192)))
	body := marshal(t, request(sp))
	for _, gz := range []bool{false, true} { // gzip: small on the wire, too big unpacked
		resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctProtobuf, body, gz)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("gzip %v: status %d", gz, resp.StatusCode)
		}
		if st := rpcStatus(t, resp); !strings.Contains(st.Message, "limit of 4096 bytes") {
			t.Errorf("gzip %v: message %q", gz, st.Message)
		}
	}
}

func TestGRPCQueueFull(t *testing.T) {
	s, _, _, c := testServerQueue(t, Config{}, 1)
	cc := grpcConn(t, s.GRPCAddr())
	body := marshal(t, request(span("x")))
	// Nobody reads the queue: the first batch fills it.
	if err := exportRaw(cc, traceMethod, body, &coltrace.ExportTraceServiceResponse{}); err != nil {
		t.Fatal(err)
	}
	err := exportRaw(cc, traceMethod, body, &coltrace.ExportTraceServiceResponse{})
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("err = %v", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri
		}
	}
	if retry == nil || retry.RetryDelay.AsDuration() != RetryAfter {
		t.Errorf("details = %v", st.Details())
	}
	if c.Refused.Load() != 1 || c.Received.Load() != 1 {
		t.Errorf("refused %d received %d", c.Refused.Load(), c.Received.Load())
	}
}

func TestHTTPQueueFull(t *testing.T) {
	s, _, _, c := testServerQueue(t, Config{}, 1)
	body := marshal(t, request(span("x")))
	if resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctProtobuf, body, false); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctProtobuf, body, false)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st := rpcStatus(t, resp); st.Code != int32(codes.ResourceExhausted) {
		t.Errorf("status body = %v", st)
	}
	if c.Refused.Load() != 1 {
		t.Errorf("refused = %d", c.Refused.Load())
	}
}

func TestHTTPBadRequests(t *testing.T) {
	s, _, _, _ := testServer(t, Config{})
	addr := s.HTTPAddr()

	resp, err := http.Get("http://" + addr + "/v1/traces")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if resp := postHTTP(t, addr, "/v1/traces", "text/plain", []byte("hi"), false); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/traces", strings.NewReader("{}"))
	req.Header.Set("Content-Type", ctJSON)
	req.Header.Set("Content-Encoding", "br")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("br: %v %v", resp, err)
	} else {
		_ = resp.Body.Close()
	}

	resp = postHTTP(t, addr, "/v1/traces", ctJSON, []byte(`{"resourceSpans":[`), false)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != ctJSON {
		t.Fatalf("bad JSON: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if st := rpcStatus(t, resp); st.Code != int32(codes.InvalidArgument) || !strings.Contains(st.Message, "malformed OTLP/JSON") {
		t.Errorf("bad JSON body: %v", st)
	}

	resp = postHTTP(t, addr, "/v1/traces", ctProtobuf+"; charset=binary", []byte{0x0a, 0x7f}, false)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != ctProtobuf {
		t.Fatalf("bad protobuf: %d", resp.StatusCode)
	}
	if st := rpcStatus(t, resp); !strings.Contains(st.Message, "malformed protobuf") {
		t.Errorf("bad protobuf body: %v", st)
	}

	req, _ = http.NewRequest(http.MethodPost, "http://"+addr+"/v1/traces", strings.NewReader("not gzip"))
	req.Header.Set("Content-Type", ctProtobuf)
	req.Header.Set("Content-Encoding", "gzip")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad gzip: %v %v", resp, err)
	} else {
		_ = resp.Body.Close()
	}
}

func TestHTTPPartialSuccessJSON(t *testing.T) {
	s, q, syms, _ := testServer(t, Config{})
	bad := span("bad")
	bad.SpanId = []byte{1}
	resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctJSON, otlpJSON(t, request(span("good"), bad)), true)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctJSON {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out coltrace.ExportTraceServiceResponse
	if err := protojson.Unmarshal(readAll(t, resp.Body), &out); err != nil {
		t.Fatal(err)
	}
	if out.GetPartialSuccess().GetRejectedSpans() != 1 || !strings.Contains(out.GetPartialSuccess().GetErrorMessage(), "span ID is not 16 hex digits") {
		t.Errorf("partial success = %v", out.GetPartialSuccess())
	}
	if b := nextBatch(t, q); len(b.Spans) != 1 || syms.String(b.Spans[0].Name) != "good" {
		t.Errorf("batch = %+v", b)
	}
}

func TestLogsAndMetricsAccepted(t *testing.T) {
	s, _, _, _ := testServer(t, Config{})
	cc := grpcConn(t, s.GRPCAddr())
	if err := exportRaw(cc, "/"+logsService+"/Export", []byte{0x0a, 0x00}, &collogs.ExportLogsServiceResponse{}); err != nil {
		t.Errorf("logs: %v", err)
	}
	if err := exportRaw(cc, "/"+metricsService+"/Export", nil, &colmetrics.ExportMetricsServiceResponse{}); err != nil {
		t.Errorf("metrics: %v", err)
	}
	for _, path := range []string{"/v1/logs", "/v1/metrics"} {
		for _, ct := range []string{ctProtobuf, ctJSON} {
			body := []byte("{}")
			if ct == ctProtobuf {
				body = nil
			}
			if resp := postHTTP(t, s.HTTPAddr(), path, ct, body, true); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ct {
				t.Errorf("%s %s: %d", path, ct, resp.StatusCode)
			}
		}
	}
}

func TestTakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().String()
	q := NewQueue(0, nil)
	defer q.Close()

	s := NewServer(Config{GRPCAddr: taken, HTTPAddr: "127.0.0.1:0"}, nil, nil, q)
	err = s.Start()
	if want := "listen " + taken + " (--grpc): address already in use"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("err does not wrap EADDRINUSE: %v", err)
	}

	// The HTTP address is taken: the gRPC listener opened first is closed again.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	_ = free.Close()
	s = NewServer(Config{GRPCAddr: freeAddr, HTTPAddr: taken}, nil, nil, q)
	err = s.Start()
	if want := "listen " + taken + " (--http): address already in use"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	again, err := net.Listen("tcp", freeAddr)
	if err != nil {
		t.Fatalf("gRPC listener left open: %v", err)
	}
	_ = again.Close()
}

func TestShutdown(t *testing.T) {
	q := NewQueue(0, nil)
	defer q.Close()
	s := NewServer(Config{GRPCAddr: "127.0.0.1:0"}, nil, nil, q)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("before start: %v", err)
	}
	if err := s.Start(); err == nil {
		t.Error("start after shutdown succeeded")
	}

	s, _, _, _ = testServer(t, Config{})
	if s.GRPCAddr() == "" || s.HTTPAddr() == "" || strings.HasSuffix(s.GRPCAddr(), ":0") {
		t.Errorf("addrs %q %q", s.GRPCAddr(), s.HTTPAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("second shutdown: %v", err)
	}

	// Disabled receivers report no address.
	s2 := NewServer(Config{HTTPAddr: "127.0.0.1:0"}, nil, nil, q)
	if err := s2.Start(); err != nil {
		t.Fatal(err)
	}
	if s2.GRPCAddr() != "" || s2.HTTPAddr() == "" {
		t.Errorf("addrs %q %q", s2.GRPCAddr(), s2.HTTPAddr())
	}
	if err := s2.Shutdown(ctx); err != nil {
		t.Error(err)
	}
}
