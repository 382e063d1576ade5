package ingest

import (
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// logRequest wraps records of service "svc" and scope "scope".
func logRequest(records ...*logspb.LogRecord) *collogs.ExportLogsServiceRequest {
	return &collogs.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  testResource("svc"),
		ScopeLogs: []*logspb.ScopeLogs{{Scope: &commonpb.InstrumentationScope{Name: "scope", Version: "1"}, LogRecords: records}},
	}}}
}

func fuzzLogRequests() []*collogs.ExportLogsServiceRequest {
	full := &logspb.LogRecord{TimeUnixNano: 5, SeverityNumber: 17, SeverityText: "ERROR", Body: anyStr("boom\x1b[2J"),
		TraceId: testTraceID, SpanId: testSpanID, EventName: "checkout.failed",
		Attributes: []*commonpb.KeyValue{strKV("s", "v"), intKV("i", 1), doubleKV("d", 2.5), boolKV("b", true), bytesKV("y", []byte{1})}}
	kv := &logspb.LogRecord{ObservedTimeUnixNano: 7, SeverityText: "warning", Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{
		KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{intKV("k", 2), strKV("s", "x")}}}}}
	bad := &logspb.LogRecord{TraceId: []byte{1, 2}, Body: anyStr("bad")}
	agent := &logspb.LogRecord{EventName: eventAgentStatus, Body: anyStr("status")}
	return []*collogs.ExportLogsServiceRequest{logRequest(full), logRequest(kv, bad, agent, &logspb.LogRecord{}), {}}
}

// checkLogBatch checks what every decoded batch must satisfy and applies
// it to a model.
func checkLogBatch(t *testing.T, batch *model.Batch, rejected int, msg string, syms *model.Symbols, m *model.Model) {
	if (rejected > 0) != (msg != "") {
		t.Fatalf("rejected %d, message %q", rejected, msg)
	}
	for _, r := range batch.Logs {
		if int(r.Res) >= len(batch.Resources) || int(r.BodyLen) > len(r.Data) || r.BodyLen > maxLogBody {
			t.Fatalf("record %+v of %d resources", r, len(batch.Resources))
		}
		if got := len(model.DecodeAttrs(r.Data[r.BodyLen:], syms)); got != int(r.NumAttrs) {
			t.Fatalf("blob has %d attrs, NumAttrs %d", got, r.NumAttrs)
		}
	}
	m.Apply(batch)
	m.Logs(model.Query{Offset: model.FollowOffset, Limit: 5, Filter: "severity>=warn"})
}

func FuzzDecodeLogs(f *testing.F) {
	for _, r := range fuzzLogRequests() {
		f.Add(marshal(f, r))
	}
	m := model.New(model.Config{MaxMemory: 64 << 20})
	syms := m.Symbols()
	w := model.NewAttrWriter(syms)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, agent, rejected, msg, err := DecodeLogs(b, syms, w)
		// Differential: what the generated code accepts the fast decoder
		// accepts, accounting for every record.
		var ref collogs.ExportLogsServiceRequest
		if proto.Unmarshal(b, &ref) == nil {
			if err != nil {
				t.Fatalf("proto.Unmarshal accepts what DecodeLogs refuses: %v", err)
			}
			n, agents := 0, 0
			for _, rl := range ref.ResourceLogs {
				for _, sl := range rl.ScopeLogs {
					for _, lr := range sl.LogRecords {
						n++
						if isAgentEvent([]byte(lr.EventName)) {
							agents++
						}
					}
				}
			}
			if len(batch.Logs)+rejected+agents != n || agent != (agents > 0) {
				t.Fatalf("kept %d + rejected %d + agentlib's %d records, the request has %d", len(batch.Logs), rejected, agents, n)
			}
		}
		if err != nil {
			if batch != nil {
				t.Fatal("batch with error")
			}
			return
		}
		checkLogBatch(t, batch, rejected, msg, syms, m)
	})
}

func FuzzDecodeLogsJSON(f *testing.F) {
	for _, r := range fuzzLogRequests() {
		b, err := protojson.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz","body":{"stringValue":"x"}}]}]}]}`))
	m := model.New(model.Config{MaxMemory: 64 << 20})
	syms := m.Symbols()
	w := model.NewAttrWriter(syms)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, _, rejected, msg, err := DecodeLogsJSON(b, syms, w)
		if err != nil {
			return
		}
		checkLogBatch(t, batch, rejected, msg, syms, m)
	})
}

func metricRequest(metrics ...*metricspb.Metric) *colmetrics.ExportMetricsServiceRequest {
	return &colmetrics.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource:     testResource("svc"),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: metrics}},
	}}}
}

func fuzzMetricRequests() []*colmetrics.ExportMetricsServiceRequest {
	attrs := []*commonpb.KeyValue{strKV("route", "/a")}
	sum := &metricspb.Metric{Name: "reqs", Unit: "1", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
		AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE, IsMonotonic: true,
		DataPoints: []*metricspb.NumberDataPoint{{Attributes: attrs, StartTimeUnixNano: 1, TimeUnixNano: 2, Value: &metricspb.NumberDataPoint_AsInt{AsInt: 5}}, {}}}}}
	gauge := &metricspb.Metric{Name: "depth", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
		DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: 2, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 1.5}}, {Flags: 1}}}}}
	sumv := 10.0
	hist := &metricspb.Metric{Name: "lat", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
		DataPoints: []*metricspb.HistogramDataPoint{{Count: 3, Sum: &sumv, BucketCounts: []uint64{1, 1, 1}, ExplicitBounds: []float64{1, 2}},
			{Count: 1, BucketCounts: []uint64{1}, ExplicitBounds: []float64{1, 2}}}}}}
	exp := &metricspb.Metric{Name: "size", Data: &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{
		DataPoints: []*metricspb.ExponentialHistogramDataPoint{{Count: 4, Scale: 2, ZeroCount: 1,
			Positive: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: -3, BucketCounts: []uint64{1, 2}},
			Negative: &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: 1, BucketCounts: []uint64{0}}}}}}}
	summary := &metricspb.Metric{Name: "rpc", Data: &metricspb.Metric_Summary{Summary: &metricspb.Summary{
		DataPoints: []*metricspb.SummaryDataPoint{{Count: 2, Sum: 3, QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5, Value: 1}, {Quantile: 0.99, Value: 2}}}}}}}
	return []*colmetrics.ExportMetricsServiceRequest{metricRequest(sum, gauge, hist, exp, summary), metricRequest(&metricspb.Metric{}), {}}
}

// countPoints counts a request's data points, and those flagged as having
// no recorded value.
func countPoints(req *colmetrics.ExportMetricsServiceRequest) (n, flagged int) {
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				var flags []uint32
				switch d := m.Data.(type) {
				case *metricspb.Metric_Gauge:
					for _, p := range d.Gauge.GetDataPoints() {
						flags = append(flags, p.Flags)
					}
				case *metricspb.Metric_Sum:
					for _, p := range d.Sum.GetDataPoints() {
						flags = append(flags, p.Flags)
					}
				case *metricspb.Metric_Histogram:
					for _, p := range d.Histogram.GetDataPoints() {
						flags = append(flags, p.Flags)
					}
				case *metricspb.Metric_ExponentialHistogram:
					for _, p := range d.ExponentialHistogram.GetDataPoints() {
						flags = append(flags, p.Flags)
					}
				case *metricspb.Metric_Summary:
					for _, p := range d.Summary.GetDataPoints() {
						flags = append(flags, p.Flags)
					}
				}
				for _, fl := range flags {
					n++
					if fl&1 != 0 {
						flagged++
					}
				}
			}
		}
	}
	return n, flagged
}

func checkMetricBatch(t *testing.T, batch *model.Batch, rejected int, msg string, syms *model.Symbols, m *model.Model) {
	if (rejected > 0) != (msg != "") {
		t.Fatalf("rejected %d, message %q", rejected, msg)
	}
	for _, p := range batch.Metrics {
		if int(p.Res) >= len(batch.Resources) || p.Type == 0 || (p.Type >= model.MetricHistogram) != (p.Hist != nil) {
			t.Fatalf("point %+v of %d resources", p, len(batch.Resources))
		}
		if got := len(model.DecodeAttrs(p.Attrs, syms)); got != int(p.NumAttrs) {
			t.Fatalf("blob has %d attrs, NumAttrs %d", got, p.NumAttrs)
		}
	}
	m.Apply(batch)
	for _, r := range m.Metrics(model.Query{Limit: 5}).Rows {
		m.Metric(r.ID)
	}
}

func FuzzDecodeMetrics(f *testing.F) {
	for _, r := range fuzzMetricRequests() {
		f.Add(marshal(f, r))
	}
	m := model.New(model.Config{MaxMemory: 64 << 20, MaxStreams: 100})
	syms := m.Symbols()
	w := model.NewAttrWriter(syms)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, _, rejected, msg, err := DecodeMetrics(b, syms, w)
		var ref colmetrics.ExportMetricsServiceRequest
		if proto.Unmarshal(b, &ref) == nil {
			if err != nil {
				// The fast decoder bounds what the generated code does not.
				t.Logf("refused what proto.Unmarshal accepts: %v", err)
			} else if n, flagged := countPoints(&ref); len(batch.Metrics)+rejected+flagged != n {
				t.Fatalf("kept %d + rejected %d + unrecorded %d points, the request has %d", len(batch.Metrics), rejected, flagged, n)
			}
		}
		if err != nil {
			if batch != nil {
				t.Fatal("batch with error")
			}
			return
		}
		checkMetricBatch(t, batch, rejected, msg, syms, m)
	})
}

func FuzzDecodeMetricsJSON(f *testing.F) {
	for _, r := range fuzzMetricRequests() {
		b, err := protojson.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	m := model.New(model.Config{MaxMemory: 64 << 20, MaxStreams: 100})
	syms := m.Symbols()
	w := model.NewAttrWriter(syms)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, _, rejected, msg, err := DecodeMetricsJSON(b, syms, w)
		if err != nil {
			return
		}
		checkMetricBatch(t, batch, rejected, msg, syms, m)
	})
}
