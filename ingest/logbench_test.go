package ingest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/spantop/spantop/model"
)

// benchEnvSignal tells the benchmark client which signal to send: "logs"
// sends benchLogRequest to the LogsService, anything else spans.
const benchEnvSignal = "SPANTOP_BENCH_CLIENT_SIGNAL"

// benchUnit names what the ingest benchmarks count.
func benchUnit() string {
	if os.Getenv(benchEnvSignal) == "logs" {
		return "log"
	}
	return "span"
}

// benchClientRequest is the request the benchmark client sends, the
// offsets of the 8 bytes it makes unique in each, and the method.
func benchClientRequest(t testing.TB) ([]byte, []int, string) {
	if benchUnit() == "log" {
		body, offsets := patchableLogRequest(t)
		return body, offsets, "/" + logsService + "/Export"
	}
	body, offsets := patchableRequest(t)
	return body, offsets, traceMethod
}

// benchLogRequest is a realistic 512-record export as the SDK's batch
// processor sends it: one service and scope, a body of about 100 bytes,
// five attributes, trace context (four records per trace).
func benchLogRequest(seed uint64) *collogs.ExportLogsServiceRequest {
	rng := rand.New(rand.NewPCG(seed, 42))
	recs := make([]*logspb.LogRecord, 0, benchSpans)
	var traceID []byte
	for i := range benchSpans {
		if i%4 == 0 {
			traceID = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, rng.Uint64()), rng.Uint64())
		}
		user := rng.IntN(1_000_000)
		body := fmt.Sprintf("handled %s for user u-%06d in %dms (cache hit=%v)", benchRoutes[i%len(benchRoutes)], user, rng.IntN(900), i%3 == 0)
		body += strings.Repeat(" ", max(0, 100-len(body)))
		recs = append(recs, &logspb.LogRecord{
			TimeUnixNano: 1_700_000_000_000_000_000 + uint64(i)*1000, ObservedTimeUnixNano: 1_700_000_000_000_000_000 + uint64(i)*1000,
			SeverityNumber: logspb.SeverityNumber(9 + 4*(i%3)), SeverityText: []string{"INFO", "WARN", "ERROR"}[i%3],
			Body:    anyStr(body),
			TraceId: traceID, SpanId: binary.BigEndian.AppendUint64(nil, rng.Uint64()|1),
			Attributes: []*commonpb.KeyValue{
				strKV("http.route", benchRoutes[i%len(benchRoutes)]), strKV("user.id", fmt.Sprintf("u-%06d", user)),
				intKV("http.response.status_code", int64(200+100*(i%4))), strKV("code.function", "shop.(*Handler).ServeHTTP"),
				boolKV("cache.hit", i%3 == 0),
			},
		})
	}
	return &collogs.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  testResource("shop"),
		ScopeLogs: []*logspb.ScopeLogs{{Scope: &commonpb.InstrumentationScope{Name: "log/slog"}, LogRecords: recs}},
	}}}
}

// patchableLogRequest marshals benchLogRequest and finds each record's
// trace ID.
func patchableLogRequest(t testing.TB) ([]byte, []int) {
	req := benchLogRequest(7)
	var ids [][]byte
	for _, lr := range req.ResourceLogs[0].ScopeLogs[0].LogRecords {
		ids = append(ids, lr.TraceId)
	}
	body := marshal(t, req)
	return body, idOffsets(t, body, ids)
}

func BenchmarkDecodeLogs(b *testing.B) {
	body := marshal(b, benchLogRequest(1))
	syms := model.NewSymbols()
	w := model.NewAttrWriter(syms)
	b.SetBytes(int64(len(body)))
	n := 0
	for b.Loop() {
		batch, _, _, _, err := DecodeLogs(body, syms, w)
		if err != nil || len(batch.Logs) != benchSpans {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchSpans), "ns/log")
}

// BenchmarkIngestLogsGRPC is BenchmarkIngestGRPC for log records:
// 512-record requests over loopback gRPC from another process into a real
// model kept at its memory budget.
func BenchmarkIngestLogsGRPC(b *testing.B) {
	b.Setenv(benchEnvSignal, "logs")
	m, s, applied := startBenchServer(b, nil)
	runBenchClient(b, s.GRPCAddr(), applied.wait, func() bool { return m.Header().LogsEvicted > 0 })
	b.ReportMetric(float64(m.Counters().LogsRefused.Load()), "refused-logs")
}

// BenchmarkIngestLogsGRPCCeiling is the ceiling BenchmarkIngestLogsGRPC is
// measured against: the same gRPC server and raw codec, and a protowire
// walk that counts the records.
func BenchmarkIngestLogsGRPCCeiling(b *testing.B) {
	b.Setenv(benchEnvSignal, "logs")
	benchCeiling(b, logsService, countLogs, &collogs.ExportLogsServiceResponse{})
}
