package ingest

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// signal is one OTLP signal as both receivers serve it: the gRPC service
// and the HTTP path, and the export that decodes a request body and builds
// the signal's response (traces.go, logs.go, metrics.go).
type signal struct {
	service   string // gRPC service name
	protoFile string // for the service description
	path      string // OTLP/HTTP path
	// decodeFactor is the memory a decode needs per byte of body, reserved
	// from the in-flight bound before it starts: about 1 for the traces'
	// protobuf decoder, more where generated structs are built.
	decodeFactor int64
	export       func(ctx context.Context, body []byte, json bool) (proto.Message, error)
}

// jsonDecodeFactor is decodeFactor for OTLP/JSON, which protojson reads
// into generated structs.
const jsonDecodeFactor = 4

func (s *Server) signals() []signal {
	return []signal{s.tracesSignal(), s.logsSignal(), s.metricsSignal()}
}

// serve runs one request for both receivers: it inflates a gzip body,
// reserves what decoding needs and exports. raw stays the caller's. Every
// refusal is counted.
func (s *Server) serve(ctx context.Context, sig *signal, raw []byte, gzipped, json bool, res *reservation) (proto.Message, error) {
	body := raw
	if gzipped {
		b, err := inflate(raw, s.cfg.MaxMessage, res)
		if err != nil {
			return nil, s.refused(err)
		}
		defer putBuf(b, res)
		body = b
	}
	factor := sig.decodeFactor
	if json {
		factor = jsonDecodeFactor
	}
	if err := res.grow(int64(len(body)) * factor); err != nil {
		return nil, s.refused(err)
	}
	resp, err := sig.export(ctx, body, json)
	return resp, s.refused(err)
}

// refused counts a request refused whole before its items were read, and
// returns err.
func (s *Server) refused(err error) error {
	switch {
	case err == nil:
	case err == errBusy:
		s.counters.BusyRequests.Add(1)
	case err == errUnauthenticated:
		s.counters.Unauthenticated.Add(1)
	}
	return err
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
