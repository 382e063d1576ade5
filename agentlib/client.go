package agentlib

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// client is agentlib's own gRPC connection to spantop. Every export has a
// deadline, so a stalled spantop holds up an agent goroutine for at most
// that long and never an application goroutine.
//
// The requests are the OTLP data messages TracesData, LogsData and
// MetricsData: each is field 1, repeated Resource{Spans,Logs,Metrics},
// exactly as the collector service's Export*ServiceRequest, so they go on
// the wire unchanged. Importing the generated collector service packages
// instead would pull grpc-gateway into every application using agentlib.
type client struct {
	conn *grpc.ClientConn
	md   metadata.MD
}

// The OTLP/gRPC methods.
const (
	methodTraces  = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	methodLogs    = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
	methodMetrics = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
)

// maxSendBytes caps one export; trace chunks are made smaller than this.
const maxSendBytes = 4 << 20

func newClient(ep endpoint, sec security) (*client, error) {
	creds := insecure.NewCredentials()
	if sec.tls != nil {
		creds = credentials.NewTLS(sec.tls)
	}
	conn, err := grpc.NewClient(ep.target,
		grpc.WithTransportCredentials(creds),
		// agentlib probes on its own schedule (see agent.control); the
		// channel's own reconnect backoff must not outlast it by much.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(maxSendBytes)),
		grpc.WithUserAgent("spantop-agentlib/"+scopeVersion),
	)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn}
	if len(sec.headers) > 0 {
		c.md = metadata.New(sec.headers)
	}
	return c, nil
}

func (c *client) ctx(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	if c.md != nil {
		ctx = metadata.NewOutgoingContext(ctx, c.md)
	}
	return ctx, cancel
}

// probe sends a metrics export and waits up to timeout for the connection
// to be ready, after asking the channel to reconnect at once. It is how
// the agent finds out that spantop has (re)appeared.
func (c *client) probe(parent context.Context, req proto.Message, timeout time.Duration) error {
	c.conn.ResetConnectBackoff()
	c.conn.Connect()
	return c.export(parent, methodMetrics, req, timeout, grpc.WaitForReady(true))
}

// export makes one OTLP Export call. The response (its partial_success)
// is not looked at: what spantop refuses, it counts and shows itself.
func (c *client) export(parent context.Context, method string, req proto.Message, timeout time.Duration, opts ...grpc.CallOption) error {
	ctx, cancel := c.ctx(parent, timeout)
	defer cancel()
	var reply emptypb.Empty
	return c.conn.Invoke(ctx, method, req, &reply, opts...)
}

// accepted reports whether an export's outcome shows a spantop that takes
// agentlib's data: it did, or it is only busy for now (its queue is full).
// Anything else (no answer, a refusal) counts as spantop being away.
func accepted(err error) bool {
	switch status.Code(err) {
	case codes.OK, codes.ResourceExhausted:
		return true
	}
	return false
}
