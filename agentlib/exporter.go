package agentlib

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

// SpanExporter sends spans to spantop (or any OTLP/gRPC receiver) over
// agentlib's own connection, without the agent: no execution trace, no
// metrics. It is an sdktrace.SpanExporter, and it can also send a span
// that is still running as an in-flight snapshot (DESIGN.md §5). spantop
// test and the spantoptest helper use it.
type SpanExporter struct {
	cl     *client
	target string
}

// exportWait bounds one export.
const exportWait = 5 * time.Second

// NewSpanExporter returns an exporter to the endpoint opts name, resolved
// as Start resolves it (Options.Endpoint, SPANTOP_ENDPOINT, a loopback
// OTEL_EXPORTER_OTLP_ENDPOINT, 127.0.0.1:4317). It does not connect
// until the first export.
func NewSpanExporter(opts Options) (*SpanExporter, error) {
	ep, sec, err := resolveTarget(&opts)
	if err != nil {
		return nil, err
	}
	cl, err := newClient(ep, sec)
	if err != nil {
		return nil, err
	}
	return &SpanExporter{cl: cl, target: ep.target}, nil
}

// Target is the host:port the exporter sends to.
func (e *SpanExporter) Target() string { return e.target }

// ExportSpans sends ended spans.
func (e *SpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return e.export(ctx, spans, 0)
}

// ExportInFlight sends spans that are still running as in-flight
// snapshots numbered seq (≥ 1, rising with each snapshot of a span): no
// end time, and the attributes spantop.span.inflight and
// spantop.snapshot.seq. The span's ended version replaces them.
func (e *SpanExporter) ExportInFlight(ctx context.Context, spans []sdktrace.ReadOnlySpan, seq int64) error {
	if seq < 1 {
		return errors.New("agentlib: ExportInFlight: seq must be at least 1")
	}
	return e.export(ctx, spans, seq)
}

func (e *SpanExporter) export(ctx context.Context, spans []sdktrace.ReadOnlySpan, seq int64) error {
	res := map[*resource.Resource]*resourcepb.Resource{}
	for len(spans) > 0 {
		n := min(len(spans), maxSpansPerReq)
		batch := make([]due, n)
		for i, s := range spans[:n] {
			batch[i] = due{span: s, seq: seq}
		}
		req, _ := spanRequest(batch, res)
		if len(req.ResourceSpans) > 0 {
			if err := e.cl.export(ctx, methodTraces, req, exportWait); err != nil {
				return err
			}
		}
		spans = spans[n:]
	}
	return nil
}

// Shutdown closes the connection.
func (e *SpanExporter) Shutdown(context.Context) error { return e.cl.conn.Close() }

var _ sdktrace.SpanExporter = (*SpanExporter)(nil)
