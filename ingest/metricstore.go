package ingest

import (
	"context"
	"fmt"

	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// storeMetrics stores every data point of a request (protobuf straight
// from the wire bytes; OTLP/JSON through the generated structs, then the
// same decoder); kept.agent says agentlib's spantop.go.* metrics are in it.
func (s *Server) storeMetrics(ctx context.Context, body []byte, json bool) (kept, error) {
	return s.storeSignal(ctx, body, json, func(d *decoder, body []byte, json bool) (b *model.Batch, k kept, err error) {
		if json {
			b, k.agent, k.rejected, k.first, err = d.decodeMetricsJSON(body)
		} else {
			b, k.agent, k.rejected, k.first, err = d.decodeMetrics(body)
		}
		return b, k, err
	}, &s.counters.PointsRejected)
}

// DecodeMetricsJSON is DecodeMetrics for OTLP/JSON.
func DecodeMetricsJSON(b []byte, syms *model.Symbols, w *model.AttrWriter) (batch *model.Batch, runtime bool, rejected int, errMsg string, err error) {
	d := decoder{syms: syms, w: w}
	batch, runtime, rejected, first, err := d.decodeMetricsJSON(b)
	return batch, runtime, rejected, pointsRejectedMsg(rejected, first), err
}

// decodeMetricsJSON goes through the generated structs and hands the
// re-marshalled request to the protobuf decoder (metrics carry no IDs
// that OTLP/JSON writes differently, except in exemplars, which are not
// kept).
func (d *decoder) decodeMetricsJSON(b []byte) (*model.Batch, bool, int, string, error) {
	var req colmetrics.ExportMetricsServiceRequest
	if err := jsonOptions.Unmarshal(b, &req); err != nil {
		return nil, false, 0, "", fmt.Errorf("malformed OTLP/JSON: %w", err)
	}
	pb, err := proto.Marshal(&req)
	if err != nil {
		return nil, false, 0, "", fmt.Errorf("re-encoding OTLP/JSON: %w", err)
	}
	return d.decodeMetrics(pb)
}
