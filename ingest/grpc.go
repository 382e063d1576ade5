package ingest

import (
	"context"
	"crypto/subtle"
	"io"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // collectors and SDKs gzip by default; responses are gzipped with it
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// OTLP gRPC service names.
const (
	traceService   = "opentelemetry.proto.collector.trace.v1.TraceService"
	logsService    = "opentelemetry.proto.collector.logs.v1.LogsService"
	metricsService = "opentelemetry.proto.collector.metrics.v1.MetricsService"
)

// anyHandler lets the hand-written service descriptions accept any
// implementation value: the handlers are closures over the Server.
type anyHandler any

// registerGRPC adds the three OTLP services to g.
func (s *Server) registerGRPC(g *grpc.Server) {
	for _, sig := range s.signals() {
		g.RegisterService(&grpc.ServiceDesc{
			ServiceName: sig.service,
			HandlerType: (*anyHandler)(nil),
			Methods:     []grpc.MethodDesc{s.grpcExport(sig)},
			Metadata:    sig.protoFile,
		}, s)
	}
}

// grpcReadGrant is reserved from the in-flight bound before a message is
// read: grpc-go reads a whole message when the handler asks for it and
// only then is its size known, so a request is refused unread when not
// even this much is free. The reservation is then set to the real size.
const grpcReadGrant = 256 << 10

// grpcExport makes the Export method of sig, whose handler gets the
// request's wire bytes (rawCodec). A gzipped request arrives still
// compressed (gzipPassThrough) and is inflated within the in-flight bound.
func (s *Server) grpcExport(sig signal) grpc.MethodDesc {
	method := "/" + sig.service + "/Export"
	return grpc.MethodDesc{
		MethodName: "Export",
		Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			if !s.grpcAuthorized(ctx) {
				return nil, grpcError(s.refused(errUnauthenticated))
			}
			res := reservation{f: &s.inflight}
			defer res.release()
			if err := res.set(min(grpcReadGrant, int64(s.cfg.MaxMessage))); err != nil {
				return nil, grpcError(s.refused(err))
			}
			var m rawMsg
			if err := dec(&m); err != nil {
				return nil, err
			}
			defer m.free()
			raw := m.bytes()
			if err := res.set(int64(len(raw))); err != nil {
				return nil, grpcError(s.refused(err))
			}
			run := func(ctx context.Context, _ any) (any, error) {
				resp, err := s.serve(ctx, &sig, raw, isGzip(raw), false, &res)
				if err != nil {
					if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
						s.noteFailure(p.Addr.String(), err)
					} else {
						s.noteFailure("", err)
					}
					return nil, grpcError(err)
				}
				return resp, nil
			}
			if icpt == nil {
				return run(ctx, nil)
			}
			return icpt(ctx, &m, &grpc.UnaryServerInfo{FullMethod: method}, run)
		},
	}
}

// grpcAuthorized checks the bearer token, when one is required.
func (s *Server) grpcAuthorized(ctx context.Context) bool {
	if s.cfg.Token == "" {
		return true
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if s.tokenMatches(v) {
			return true
		}
	}
	return false
}

// tokenMatches compares an Authorization value with "Bearer <token>" in
// constant time.
func (s *Server) tokenMatches(v string) bool {
	const prefix = "Bearer "
	if len(v) < len(prefix) || !equalFoldASCII(v[:len(prefix)], prefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(v[len(prefix):]), []byte(s.cfg.Token)) == 1
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// gzipPassThrough is the receivers' gRPC decompressor for gzip: it leaves
// the message compressed, so that the handler inflates it within the
// in-flight bound. grpc-go's own gzip decompressor would inflate every
// request up to MaxRecvMsgSize before spantop could see its size, so
// parallel small gzip bombs took memory with their number.
type gzipPassThrough struct{}

func (gzipPassThrough) Type() string { return "gzip" }

func (gzipPassThrough) Do(r io.Reader) ([]byte, error) {
	if rr, ok := r.(interface{ Remaining() int }); ok {
		b := make([]byte, rr.Remaining())
		_, err := io.ReadFull(r, b)
		return b, err
	}
	return io.ReadAll(r)
}
