package ingest

import (
	"context"
	"fmt"
	"sync/atomic"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// kept is what storeSignal did with a logs or metrics request: how many
// records or points it rejected (and the first reason), and whether
// agentlib's own records or runtime metrics are in it, which the caller
// then also handles as before.
type kept struct {
	rejected int
	first    string
	agent    bool
}

// merge adds these rejections to the agentlib path's.
func (k kept) merge(rejected int, first string) (int, string) {
	if k.rejected == 0 {
		return rejected, first
	}
	if rejected == 0 {
		first = k.first
	}
	return rejected + k.rejected, first
}

// signalDecoder decodes one signal's request, protobuf or OTLP/JSON.
type signalDecoder func(d *decoder, body []byte, json bool) (*model.Batch, kept, error)

// storeSignal decodes a logs or metrics request and queues what it holds
// for the model, counting rejections in rejected.
func (s *Server) storeSignal(ctx context.Context, body []byte, json bool, decode signalDecoder, rejected *atomic.Int64) (kept, error) {
	d := s.getDecoder()
	b, k, err := decode(d, body, json)
	s.putDecoder(d)
	if err != nil {
		return kept{}, badRequest{err}
	}
	if k.rejected > 0 {
		rejected.Add(int64(k.rejected))
	}
	if b.Size() > 0 {
		if err := s.queue.Offer(ctx, b); err != nil {
			return kept{}, err
		}
	}
	return k, nil
}

// storeLogs stores every log record of a request (protobuf straight from
// the wire bytes; OTLP/JSON through the generated structs, then the same
// decoder).
func (s *Server) storeLogs(ctx context.Context, body []byte, json bool) (kept, error) {
	return s.storeSignal(ctx, body, json, func(d *decoder, body []byte, json bool) (b *model.Batch, k kept, err error) {
		if json {
			b, k.agent, k.rejected, k.first, err = d.decodeLogsJSON(body)
		} else {
			b, k.agent, k.rejected, k.first, err = d.decodeLogs(body)
		}
		return b, k, err
	}, &s.counters.LogsRejected)
}

// DecodeLogsJSON is DecodeLogs for OTLP/JSON (hex trace and span IDs).
func DecodeLogsJSON(b []byte, syms *model.Symbols, w *model.AttrWriter) (batch *model.Batch, agent bool, rejected int, errMsg string, err error) {
	d := decoder{syms: syms, w: w}
	batch, agent, rejected, first, err := d.decodeLogsJSON(b)
	return batch, agent, rejected, rejectedMsg(rejected, first), err
}

// decodeLogsJSON goes through the generated structs (JSON is not the fast
// path), turns the IDs back into the hex they were, and hands the
// re-marshalled request to the protobuf decoder.
func (d *decoder) decodeLogsJSON(b []byte) (*model.Batch, bool, int, string, error) {
	var req collogs.ExportLogsServiceRequest
	if err := jsonOptions.Unmarshal(b, &req); err != nil {
		return nil, false, 0, "", fmt.Errorf("malformed OTLP/JSON: %w", err)
	}
	rejected, first := 0, ""
	for _, rl := range req.ResourceLogs {
		for _, sl := range rl.GetScopeLogs() {
			kept := sl.LogRecords[:0]
			for _, lr := range sl.LogRecords {
				if lr == nil {
					continue
				}
				var okT, okS bool
				lr.TraceId, okT = hexID(lr.TraceId)
				lr.SpanId, okS = hexID(lr.SpanId)
				if !okT || !okS {
					rejected++
					if first == "" {
						first = "trace or span ID is not hex (OTLP/JSON)"
					}
					continue
				}
				kept = append(kept, lr)
			}
			clear(sl.LogRecords[len(kept):])
			sl.LogRecords = kept
		}
	}
	pb, err := proto.Marshal(&req)
	if err != nil {
		return nil, false, 0, "", fmt.Errorf("re-encoding OTLP/JSON: %w", err)
	}
	batch, agent, n, why, err := d.decodeLogs(pb)
	if err != nil {
		return nil, false, 0, "", err
	}
	if first == "" {
		first = why
	}
	return batch, agent, rejected + n, first, nil
}
