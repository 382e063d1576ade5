package ingest

import (
	"context"
	"errors"

	"github.com/spantop/spantop/model"
)

// badRequest marks an error caused by what the client sent: gRPC
// InvalidArgument, HTTP 400.
type badRequest struct{ err error }

func (e badRequest) Error() string { return e.err.Error() }
func (e badRequest) Unwrap() error { return e.err }

func isBadRequest(err error) bool {
	var br badRequest
	return errors.As(err, &br)
}

// getDecoder takes a decoder from the pool; its writers keep their buffers
// between requests.
func (s *Server) getDecoder() *decoder {
	if d, ok := s.decoders.Get().(*decoder); ok {
		return d
	}
	return &decoder{syms: s.syms, w: model.NewAttrWriter(s.syms)}
}

// maxPooledScratch keeps a decoder that rendered one huge array from
// pinning that buffer forever.
const maxPooledScratch = 64 << 10

func (s *Server) putDecoder(d *decoder) {
	if cap(d.scratch) > maxPooledScratch {
		return
	}
	s.decoders.Put(d)
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
