package ingest

import (
	"context"
	"time"

	"github.com/spantop/spantop/ingest/otlpjson"
	"github.com/spantop/spantop/model"
)

// Signal names an OTLP signal: which Export*ServiceRequest a body holds.
// It is otlpjson's, so that taps need not import ingest.
type Signal = otlpjson.Signal

// The OTLP signals.
const (
	SignalTraces  = otlpjson.Traces
	SignalLogs    = otlpjson.Logs
	SignalMetrics = otlpjson.Metrics
)

// Tap sees every request the receivers accepted, after it decoded and its
// data was queued, as the wire bytes that arrived (protobuf, or OTLP/JSON
// when json is set). The recorder and the forwarders are taps.
//
// Received is called on the receiving goroutine: it must not block and
// must not keep body, which is reused after it returns (copy what you
// keep). arrived is when spantop received the request.
type Tap interface {
	Received(sig Signal, body []byte, json bool, arrived time.Time)
}

// Taps calls each tap in turn.
type Taps []Tap

// Received hands the request to every tap.
func (ts Taps) Received(sig Signal, body []byte, json bool, arrived time.Time) {
	for _, t := range ts {
		t.Received(sig, body, json, arrived)
	}
}

// SetTap makes the receivers hand every accepted request to t (call it
// before Start; nil means none).
func (s *Server) SetTap(t Tap) { s.tapTo = t }

// tap hands an accepted request to the tap, if there is one.
func (s *Server) tap(sig Signal, body []byte, json bool) {
	if s.tapTo != nil {
		s.tapTo.Received(sig, body, json, time.Now())
	}
}

// BatchSink takes decoded batches: the Queue in front of the live model's
// writer, or a replay's direct apply.
type BatchSink interface {
	Offer(ctx context.Context, b *model.Batch) error
}

// Feeder decodes requests exactly as the receivers do (same decoder, same
// rules for agentlib's logs and metrics) and hands the batches to a sink
// on the caller's goroutine. Replay feeds recorded requests through it.
type Feeder struct{ s *Server }

// NewFeeder returns a feeder that decodes into syms, counts rejected spans
// in c, hands batches to sink and execution-trace chunks to traces (nil
// refuses them).
func NewFeeder(syms *model.Symbols, c *model.Counters, sink BatchSink, traces TraceSink) *Feeder {
	s := NewServer(Config{}, syms, c, nil)
	s.queue = sink
	s.traces = traces
	return &Feeder{s: s}
}

// Feed decodes one protobuf Export*ServiceRequest of signal sig and hands
// what it holds to the sink. It returns the sink's error or a bad-request
// error for malformed input.
func (f *Feeder) Feed(ctx context.Context, sig Signal, body []byte) error {
	var err error
	switch sig {
	case SignalTraces:
		_, _, err = f.s.exportTraces(ctx, body, false)
	case SignalLogs:
		_, _, err = f.s.exportLogs(ctx, body, false)
	case SignalMetrics:
		_, _, err = f.s.exportMetrics(ctx, body, false)
	}
	return err
}
