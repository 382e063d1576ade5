package ingest

import (
	"context"
	"fmt"
	"math"
	"strings"

	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// runtimeMetricPrefix starts the names of agentlib's runtime metrics
// (agentlib's package documentation lists them). Every metric, these too,
// is stored in the model's metric streams (metricstore.go); these are also
// turned into runtime samples for the services' rows.
const runtimeMetricPrefix = "spantop.go."

// metricsSignal serves MetricsService/Export and /v1/metrics.
func (s *Server) metricsSignal() signal {
	return signal{
		service:      metricsService,
		protoFile:    "opentelemetry/proto/collector/metrics/v1/metrics_service.proto",
		path:         "/v1/metrics",
		decodeFactor: 3, // generated structs
		export: func(ctx context.Context, body []byte, json bool) (proto.Message, error) {
			rejected, msg, err := s.exportMetrics(ctx, body, json)
			if err != nil {
				return nil, err
			}
			resp := &colmetrics.ExportMetricsServiceResponse{}
			if rejected > 0 {
				resp.PartialSuccess = &colmetrics.ExportMetricsPartialSuccess{RejectedDataPoints: int64(rejected), ErrorMessage: validMessage(msg)}
			}
			return resp, nil
		},
	}
}

// exportMetrics keeps agentlib's runtime metrics, one sample per resource,
// and queues them for the model. A spantop.go.* data point without a
// number is rejected and reported.
func (s *Server) exportMetrics(ctx context.Context, body []byte, json bool) (rejected int, msg string, err error) {
	kept, err := s.storeMetrics(ctx, body, json)
	if err != nil {
		return kept.rejected, pointsRejectedMsg(kept.rejected, kept.first), err
	}
	if !kept.agent {
		s.tap(SignalMetrics, body, json)
		return kept.rejected, pointsRejectedMsg(kept.rejected, kept.first), nil
	}
	req := &colmetrics.ExportMetricsServiceRequest{}
	if json {
		err = jsonOptions.Unmarshal(body, req)
	} else {
		err = proto.Unmarshal(body, req)
	}
	if err != nil {
		return 0, "", badRequest{fmt.Errorf("malformed ExportMetricsServiceRequest: %w", err)}
	}
	d := s.getDecoder()
	defer s.putDecoder(d)
	var samples []model.RuntimeSample
	for _, rm := range req.ResourceMetrics {
		st, seen := newRuntimeStats(), false
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if !strings.HasPrefix(m.Name, runtimeMetricPrefix) {
					continue
				}
				for _, dp := range numberPoints(m) {
					v, ok := pointValue(dp)
					if !ok {
						if rejected == 0 {
							msg = fmt.Sprintf("%s: data point has no number", m.Name)
						}
						rejected++
						continue
					}
					seen = true
					st.Time = max(st.Time, int64(dp.TimeUnixNano))
					setRuntimeStat(&st, m.Name, stateOf(dp), v)
				}
			}
		}
		if !seen {
			continue
		}
		res, err := d.resourceOf(rm.Resource)
		if err != nil {
			return 0, "", badRequest{err}
		}
		samples = append(samples, model.RuntimeSample{Resource: res, Stats: st})
	}
	// The points rejected here were rejected by storeMetrics too.
	rejected, msg = kept.rejected, pointsRejectedMsg(kept.rejected, kept.first)
	if len(samples) > 0 {
		if err := s.queue.Offer(ctx, &model.Batch{Samples: samples}); err != nil {
			return 0, "", err
		}
	}
	s.tap(SignalMetrics, body, json)
	return rejected, msg, nil
}

// newRuntimeStats returns stats with every figure marked as not reported.
func newRuntimeStats() model.RuntimeStats {
	st := model.RuntimeStats{Goroutines: -1, HeapBytes: -1, HeapGoal: -1, GCCycles: -1, GCPause: -1,
		SchedP50: -1, SchedP99: -1, MutexWait: -1}
	for i := range st.ByState {
		st.ByState[i] = -1
	}
	return st
}

func numberPoints(m *metricspb.Metric) []*metricspb.NumberDataPoint {
	switch d := m.Data.(type) {
	case *metricspb.Metric_Gauge:
		return d.Gauge.GetDataPoints()
	case *metricspb.Metric_Sum:
		return d.Sum.GetDataPoints()
	}
	return nil
}

func pointValue(dp *metricspb.NumberDataPoint) (int64, bool) {
	switch v := dp.Value.(type) {
	case *metricspb.NumberDataPoint_AsInt:
		return v.AsInt, true
	case *metricspb.NumberDataPoint_AsDouble:
		if math.IsNaN(v.AsDouble) || math.IsInf(v.AsDouble, 0) {
			return 0, false
		}
		return int64(v.AsDouble), true
	}
	return 0, false
}

func stateOf(dp *metricspb.NumberDataPoint) string {
	for _, kv := range dp.Attributes {
		if kv.Key == "state" {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

var goStates = map[string]model.GoState{
	"running": model.GoRunning, "runnable": model.GoRunnable, "waiting": model.GoWaiting, "syscall": model.GoSyscall,
}

func setRuntimeStat(st *model.RuntimeStats, name, state string, v int64) {
	switch strings.TrimPrefix(name, runtimeMetricPrefix) {
	case "goroutines":
		st.Goroutines = v
	case "goroutines.state":
		if s, ok := goStates[state]; ok {
			st.ByState[s] = v
		}
	case "heap.bytes":
		st.HeapBytes = v
	case "heap.goal":
		st.HeapGoal = v
	case "gc.cycles":
		st.GCCycles = v
	case "gc.pause":
		st.GCPause = v
	case "sched.latency.p50":
		st.SchedP50 = v
	case "sched.latency.p99":
		st.SchedP99 = v
	case "mutex.wait":
		st.MutexWait = v
	}
}
