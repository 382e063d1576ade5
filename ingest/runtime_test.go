package ingest

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// chunkSink records what the server hands the trace reader.
type chunkSink struct {
	mu     sync.Mutex
	chunks []model.TraceChunk
	full   bool
}

func (c *chunkSink) Offer(chunks []model.TraceChunk) (int, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		return 0, "", ErrQueueFull
	}
	c.chunks = append(c.chunks, chunks...)
	return 0, "", nil
}

func kvInt(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func kvBytes(k string, v []byte) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: v}}}
}

func kvStr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

var agentResource = &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kvStr("service.name", "worker"), kvStr("service.instance.id", "i-1")}}

func agentLogs() *collogs.ExportLogsServiceRequest {
	header := []byte("go 1.26 trace\x00\x00\x00")
	return &collogs.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: agentResource,
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
			{EventName: "spantop.go.trace", Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{1, 2, 3}}},
				Attributes: []*commonpb.KeyValue{kvInt("spantop.trace.session", 9), kvInt("spantop.trace.generation", 4),
					kvInt("spantop.trace.chunk", 0), kvBytes("spantop.trace.header", header)}},
			// Chunk 0 without its header: rejected, the rest kept.
			{EventName: "spantop.go.trace", Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{4}}},
				Attributes: []*commonpb.KeyValue{kvInt("spantop.trace.session", 9), kvInt("spantop.trace.generation", 5), kvInt("spantop.trace.chunk", 0)}},
			{EventName: "spantop.agent.status", Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "execution trace unavailable"}}},
			{Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "an ordinary log line"}}},
		}}},
	}}}
}

func agentMetrics() *colmetrics.ExportMetricsServiceRequest {
	gauge := func(name string, v int64, attrs ...*commonpb.KeyValue) *metricspb.Metric {
		return &metricspb.Metric{Name: name, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
			{Attributes: attrs, TimeUnixNano: 5, Value: &metricspb.NumberDataPoint_AsInt{AsInt: v}}}}}}
	}
	return &colmetrics.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: agentResource,
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{
			gauge("spantop.go.goroutines", 42),
			gauge("spantop.go.goroutines.state", 30, kvStr("state", "waiting")),
			gauge("spantop.go.heap.bytes", 1<<20),
			gauge("spantop.go.sched.latency.p99", 2000),
			gauge("http.server.requests", 7), // not agentlib's: not kept
			{Name: "spantop.go.gc.cycles", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{{}}}}},
		}}},
	}}}
}

func TestAgentLogsAndMetricsOverGRPCAndHTTP(t *testing.T) {
	for _, transport := range []string{"grpc", "http-protobuf", "http-json"} {
		t.Run(transport, func(t *testing.T) {
			s, q, syms, _ := testServer(t, Config{})
			sink := &chunkSink{}
			s.traces = sink
			var logsResp collogs.ExportLogsServiceResponse
			var metricsResp colmetrics.ExportMetricsServiceResponse
			send := func(path, method string, req, resp proto.Message) {
				t.Helper()
				switch transport {
				case "grpc":
					body, _ := proto.Marshal(req)
					if err := exportRaw(grpcConn(t, s.GRPCAddr()), method, body, resp); err != nil {
						t.Fatal(err)
					}
				case "http-protobuf":
					body, _ := proto.Marshal(req)
					r := postHTTP(t, s.HTTPAddr(), path, ctProtobuf, body, false)
					if r.StatusCode != http.StatusOK {
						t.Fatalf("%s: %d", path, r.StatusCode)
					}
					if err := proto.Unmarshal(readAll(t, r.Body), resp); err != nil {
						t.Fatal(err)
					}
				case "http-json":
					body, _ := protojson.Marshal(req)
					r := postHTTP(t, s.HTTPAddr(), path, ctJSON, body, true)
					if r.StatusCode != http.StatusOK {
						t.Fatalf("%s: %d", path, r.StatusCode)
					}
					if err := protojson.Unmarshal(readAll(t, r.Body), resp); err != nil {
						t.Fatal(err)
					}
				}
			}
			send("/v1/logs", "/"+logsService+"/Export", agentLogs(), &logsResp)
			if ps := logsResp.GetPartialSuccess(); ps.GetRejectedLogRecords() != 1 || !strings.Contains(ps.GetErrorMessage(), "needs spantop.trace.header") {
				t.Errorf("logs partial success = %v", ps)
			}
			if len(sink.chunks) != 1 {
				t.Fatalf("chunks = %+v", sink.chunks)
			}
			c := sink.chunks[0]
			if c.Session != 9 || c.Generation != 4 || c.Chunk != 0 || !bytes.Equal(c.Data, []byte{1, 2, 3}) || len(c.Header) != 16 ||
				syms.String(c.Resource.ServiceName) != "worker" || syms.String(c.Resource.InstanceID) != "i-1" {
				t.Errorf("chunk = %+v", c)
			}
			if b := nextBatch(t, q); len(b.Logs) != 1 || string(b.Logs[0].Data[:b.Logs[0].BodyLen]) != "an ordinary log line" {
				t.Errorf("the ordinary record is not stored as a log: %+v", b)
			}
			if b := nextBatch(t, q); len(b.Statuses) != 1 || b.Statuses[0].Message != "execution trace unavailable" {
				t.Errorf("status batch = %+v", b)
			}

			send("/v1/metrics", "/"+metricsService+"/Export", agentMetrics(), &metricsResp)
			if ps := metricsResp.GetPartialSuccess(); ps.GetRejectedDataPoints() != 1 || !strings.Contains(ps.GetErrorMessage(), "spantop.go.gc.cycles") {
				t.Errorf("metrics partial success = %v", ps)
			}
			if b := nextBatch(t, q); len(b.Metrics) == 0 {
				t.Fatalf("runtime metrics are not stored as metric points: %+v", b)
			}
			b := nextBatch(t, q)
			if len(b.Samples) != 1 {
				t.Fatalf("samples = %+v", b)
			}
			st := b.Samples[0].Stats
			if st.Goroutines != 42 || st.ByState[model.GoWaiting] != 30 || st.ByState[model.GoRunning] != -1 ||
				st.HeapBytes != 1<<20 || st.SchedP99 != 2000 || st.GCCycles != -1 || st.Time != 5 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestTraceChunksRefusedWhenTheReaderIsFull(t *testing.T) {
	s, _, _, _ := testServer(t, Config{})
	s.traces = &chunkSink{full: true}
	body, _ := proto.Marshal(agentLogs())
	err := exportRaw(grpcConn(t, s.GRPCAddr()), "/"+logsService+"/Export", body, &collogs.ExportLogsServiceResponse{})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("full reader: %v, want ResourceExhausted", err)
	}
	if r := postHTTP(t, s.HTTPAddr(), "/v1/logs", ctProtobuf, body, false); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("full reader over HTTP: %d", r.StatusCode)
	}
}

func TestMalformedLogsAndMetrics(t *testing.T) {
	s, _, _, _ := testServer(t, Config{})
	cc := grpcConn(t, s.GRPCAddr())
	for _, svc := range []string{logsService, metricsService} {
		err := exportRaw(cc, "/"+svc+"/Export", []byte{0x0a, 0xff}, &collogs.ExportLogsServiceResponse{})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("%s: %v", svc, err)
		}
	}
	for _, path := range []string{"/v1/logs", "/v1/metrics"} {
		if r := postHTTP(t, s.HTTPAddr(), path, ctJSON, []byte("{not json"), false); r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", path, r.StatusCode)
		}
	}
}
