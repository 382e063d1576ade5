package ingest

import (
	"context"
	"fmt"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// logsKept is what storeLogs did with a request: how many records it
// rejected (and the first reason), and whether agentlib's own records are
// in it, which the caller then handles as before.
type logsKept struct {
	rejected int
	first    string
	agent    bool
}

// merge adds these rejections to the agentlib path's.
func (k logsKept) merge(rejected int, first string) (int, string) {
	if k.rejected == 0 {
		return rejected, first
	}
	if rejected == 0 {
		first = k.first
	}
	return rejected + k.rejected, first
}

// storeLogs decodes every log record of a request (protobuf straight from
// the wire bytes; OTLP/JSON through the generated structs, then the same
// decoder) and queues them for the model.
func (s *Server) storeLogs(ctx context.Context, body []byte, json bool) (logsKept, error) {
	d := s.getDecoder()
	var (
		b   *model.Batch
		k   logsKept
		err error
	)
	if json {
		b, k.agent, k.rejected, k.first, err = d.decodeLogsJSON(body)
	} else {
		b, k.agent, k.rejected, k.first, err = d.decodeLogs(body)
	}
	s.putDecoder(d)
	if err != nil {
		return logsKept{}, badRequest{err}
	}
	if k.rejected > 0 {
		s.counters.LogsRejected.Add(int64(k.rejected))
	}
	if len(b.Logs) > 0 {
		if err := s.queue.Offer(ctx, b); err != nil {
			return logsKept{}, err
		}
	}
	return k, nil
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
