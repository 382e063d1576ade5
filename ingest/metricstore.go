package ingest

import (
	"context"
	"fmt"

	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// metricsKept is what storeMetrics did with a request.
type metricsKept struct {
	rejected int
	first    string
	runtime  bool // agentlib's spantop.go.* metrics are in it
}

// storeMetrics decodes every data point of a request (protobuf straight
// from the wire bytes; OTLP/JSON through the generated structs, then the
// same decoder) and queues them for the model.
func (s *Server) storeMetrics(ctx context.Context, body []byte, json bool) (metricsKept, error) {
	d := s.getDecoder()
	var (
		b   *model.Batch
		k   metricsKept
		err error
	)
	if json {
		b, k.runtime, k.rejected, k.first, err = d.decodeMetricsJSON(body)
	} else {
		b, k.runtime, k.rejected, k.first, err = d.decodeMetrics(body)
	}
	s.putDecoder(d)
	if err != nil {
		return metricsKept{}, badRequest{err}
	}
	if k.rejected > 0 {
		s.counters.PointsRejected.Add(int64(k.rejected))
	}
	if len(b.Metrics) > 0 {
		if err := s.queue.Offer(ctx, b); err != nil {
			return metricsKept{}, err
		}
	}
	return k, nil
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
