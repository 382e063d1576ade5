package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // collectors and SDKs gzip by default
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// RetryAfter is the delay a refused client is asked to wait (gRPC RetryInfo,
// HTTP Retry-After).
const RetryAfter = time.Second

// anyHandler lets the hand-written service descriptions accept any
// implementation value: the handlers are closures over the Server.
type anyHandler any

// rawUnary makes a grpc method handler that gets the request's wire bytes.
func rawUnary(method string, fn func(ctx context.Context, body []byte) (any, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: "Export",
		Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			var m rawMsg
			if err := dec(&m); err != nil {
				return nil, err
			}
			defer m.free()
			if icpt == nil {
				return fn(ctx, m.bytes())
			}
			info := &grpc.UnaryServerInfo{FullMethod: method}
			return icpt(ctx, &m, info, func(ctx context.Context, _ any) (any, error) {
				return fn(ctx, m.bytes())
			})
		},
	}
}

// OTLP gRPC service names.
const (
	traceService   = "opentelemetry.proto.collector.trace.v1.TraceService"
	logsService    = "opentelemetry.proto.collector.logs.v1.LogsService"
	metricsService = "opentelemetry.proto.collector.metrics.v1.MetricsService"
)

var protoFiles = map[string]string{
	traceService:   "opentelemetry/proto/collector/trace/v1/trace_service.proto",
	logsService:    "opentelemetry/proto/collector/logs/v1/logs_service.proto",
	metricsService: "opentelemetry/proto/collector/metrics/v1/metrics_service.proto",
}

// serviceDesc describes an OTLP service with one Export method whose
// handler gets the request's raw bytes.
func serviceDesc(name string, fn func(ctx context.Context, body []byte) (any, error)) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: name,
		HandlerType: (*anyHandler)(nil),
		Methods:     []grpc.MethodDesc{rawUnary("/"+name+"/Export", fn)},
		Metadata:    protoFiles[name],
	}
}

// registerGRPC adds the three OTLP services to g.
func (s *Server) registerGRPC(g *grpc.Server) {
	g.RegisterService(serviceDesc(traceService, s.grpcTraces), s)
	g.RegisterService(serviceDesc(logsService, func(ctx context.Context, body []byte) (any, error) {
		resp, err := logsResponse(s.exportLogs(ctx, body, false))
		return resp, grpcError(err)
	}), s)
	g.RegisterService(serviceDesc(metricsService, func(ctx context.Context, body []byte) (any, error) {
		resp, err := metricsResponse(s.exportMetrics(ctx, body, false))
		return resp, grpcError(err)
	}), s)
}

// logsResponse and metricsResponse turn an export's outcome into the
// signal's answer, with partial success when records were rejected.
func logsResponse(rejected int, msg string, err error) (*collogs.ExportLogsServiceResponse, error) {
	if err != nil {
		return nil, err
	}
	resp := &collogs.ExportLogsServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &collogs.ExportLogsPartialSuccess{RejectedLogRecords: int64(rejected), ErrorMessage: msg}
	}
	return resp, nil
}

func metricsResponse(rejected int, msg string, err error) (*colmetrics.ExportMetricsServiceResponse, error) {
	if err != nil {
		return nil, err
	}
	resp := &colmetrics.ExportMetricsServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &colmetrics.ExportMetricsPartialSuccess{RejectedDataPoints: int64(rejected), ErrorMessage: msg}
	}
	return resp, nil
}

func (s *Server) grpcTraces(ctx context.Context, body []byte) (any, error) {
	rejected, msg, err := s.exportTraces(ctx, body, false)
	if err != nil {
		return nil, grpcError(err)
	}
	resp := &coltrace.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltrace.ExportTracePartialSuccess{
			RejectedSpans: int64(rejected),
			ErrorMessage:  msg,
		}
	}
	return resp, nil
}

// grpcError maps an export error to the status OTLP asks for: bad data is
// InvalidArgument (not retryable), a full queue RESOURCE_EXHAUSTED with
// RetryInfo (retryable), a closing server UNAVAILABLE.
func grpcError(err error) error {
	switch {
	case err == nil:
		return nil
	case isBadRequest(err):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrQueueFull):
		return retryable(codes.ResourceExhausted, "spantop is busy (ingest queue full); retry later")
	case errors.Is(err, ErrQueueClosed):
		return retryable(codes.Unavailable, "spantop is shutting down")
	}
	return status.Error(codes.Internal, err.Error())
}

var retryInfo = &errdetails.RetryInfo{RetryDelay: durationpb.New(RetryAfter)}

func retryable(c codes.Code, msg string) error {
	st, err := status.New(c, msg).WithDetails(retryInfo)
	if err != nil {
		return status.Error(c, fmt.Sprintf("%s (%v)", msg, err))
	}
	return st.Err()
}
