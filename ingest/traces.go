package ingest

import (
	"context"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// tracesSignal serves TraceService/Export and /v1/traces.
func (s *Server) tracesSignal() signal {
	return signal{
		service:      traceService,
		protoFile:    "opentelemetry/proto/collector/trace/v1/trace_service.proto",
		path:         "/v1/traces",
		decodeFactor: 1,
		export: func(ctx context.Context, body []byte, json bool) (proto.Message, error) {
			rejected, msg, err := s.exportTraces(ctx, body, json)
			if err != nil {
				return nil, err
			}
			resp := &coltrace.ExportTraceServiceResponse{}
			if rejected > 0 {
				resp.PartialSuccess = &coltrace.ExportTracePartialSuccess{RejectedSpans: int64(rejected), ErrorMessage: validMessage(msg)}
			}
			return resp, nil
		},
	}
}

// exportTraces decodes an ExportTraceServiceRequest (protobuf, or OTLP/JSON
// when json is set) and queues the spans. It returns the partial-success
// figures, or an error: badRequest, ErrQueueFull or ErrQueueClosed.
func (s *Server) exportTraces(ctx context.Context, body []byte, json bool) (rejected int, msg string, err error) {
	d := s.getDecoder()
	var b *model.Batch
	if json {
		b, rejected, msg, err = d.decodeJSON(body)
	} else {
		b, rejected, msg, err = d.decode(body)
	}
	s.putDecoder(d)
	if err != nil {
		return 0, "", badRequest{err}
	}
	if rejected > 0 {
		s.counters.Rejected.Add(int64(rejected))
	}
	if len(b.Spans) > 0 {
		if err := s.queue.Offer(ctx, b); err != nil {
			return 0, "", err
		}
	}
	s.tap(SignalTraces, body, json)
	return rejected, msg, nil
}
