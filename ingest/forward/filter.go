package forward

import (
	"bytes"
	"strings"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/ingest"
)

// agentlib's markers (DESIGN.md §5): in-flight snapshots carry the
// attribute, trace chunks and status records are log events with these
// names, runtime metrics have the prefix. A request without any of these
// bytes is forwarded as it came, undecoded.
var (
	markInflight = []byte("spantop.span.inflight")
	markTrace    = []byte("spantop.go.trace")
	markStatus   = []byte("spantop.agent.status")
	markMetric   = []byte("spantop.go.")
)

// withoutAgentData removes agentlib's own data from a request; keep is
// false when nothing else is left.
func withoutAgentData(sig ingest.Signal, pb []byte) (out []byte, keep bool, err error) {
	switch sig {
	case ingest.SignalTraces:
		if !bytes.Contains(pb, markInflight) {
			return pb, true, nil
		}
		req := &coltrace.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(pb, req); err != nil {
			return nil, false, err
		}
		n := 0
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				kept := ss.Spans[:0]
				for _, sp := range ss.Spans {
					if !isSnapshot(sp) {
						kept = append(kept, sp)
					}
				}
				ss.Spans = kept
				n += len(kept)
			}
		}
		return marshal(req, n)
	case ingest.SignalLogs:
		if !bytes.Contains(pb, markTrace) && !bytes.Contains(pb, markStatus) {
			return pb, true, nil
		}
		req := &collogs.ExportLogsServiceRequest{}
		if err := proto.Unmarshal(pb, req); err != nil {
			return nil, false, err
		}
		n := 0
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				kept := sl.LogRecords[:0]
				for _, lr := range sl.LogRecords {
					if lr.EventName != string(markTrace) && lr.EventName != string(markStatus) {
						kept = append(kept, lr)
					}
				}
				sl.LogRecords = kept
				n += len(kept)
			}
		}
		return marshal(req, n)
	case ingest.SignalMetrics:
		if !bytes.Contains(pb, markMetric) {
			return pb, true, nil
		}
		req := &colmetrics.ExportMetricsServiceRequest{}
		if err := proto.Unmarshal(pb, req); err != nil {
			return nil, false, err
		}
		n := 0
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				kept := sm.Metrics[:0]
				for _, m := range sm.Metrics {
					if !strings.HasPrefix(m.Name, string(markMetric)) {
						kept = append(kept, m)
					}
				}
				sm.Metrics = kept
				n += len(kept)
			}
		}
		return marshal(req, n)
	}
	return pb, true, nil
}

func isSnapshot(sp *tracepb.Span) bool {
	for _, kv := range sp.Attributes {
		if kv.Key == string(markInflight) {
			return kv.GetValue().GetBoolValue()
		}
	}
	return false
}

func marshal(m proto.Message, n int) ([]byte, bool, error) {
	if n == 0 {
		return nil, false, nil
	}
	b, err := proto.Marshal(m)
	return b, err == nil, err
}
