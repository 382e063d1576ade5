package replay

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/ingest/otlpjson"
	"github.com/spantop/spantop/model"
)

func kv(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// syntheticRecording is n requests of 512 spans (traces of 8, five
// attributes each), one request every 10 ms of recorded time: a busy
// service, as a recording of it would replay.
func syntheticRecording(tb testing.TB, requests int) *Recording {
	rng := rand.New(rand.NewPCG(1, 2))
	rec := &Recording{}
	t0 := int64(1_700_000_000_000_000_000)
	routes := []string{"/api/orders/{id}", "/api/users/{id}", "/api/cart", "/api/checkout", "/healthz", "/api/items/{id}", "/api/search", "/login"}
	for r := range requests {
		at := t0 + int64(r)*int64(10*time.Millisecond)
		spans := make([]*tracepb.Span, 0, 512)
		var traceID, parent []byte
		for i := range 512 {
			if i%8 == 0 {
				traceID = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, rng.Uint64()), rng.Uint64())
				parent = nil
			}
			id := binary.BigEndian.AppendUint64(nil, rng.Uint64()|1)
			route := routes[i%len(routes)]
			spans = append(spans, &tracepb.Span{
				TraceId: traceID, SpanId: id, ParentSpanId: parent, Name: "GET " + route,
				Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: uint64(at) - 5e6, EndTimeUnixNano: uint64(at) - uint64(rng.IntN(5e6)),
				Attributes: []*commonpb.KeyValue{kv("http.route", route), kv("http.request.method", "GET"),
					kv("user.id", "user-"+strconv.Itoa(rng.IntN(1000))), kv("server.address", "api.internal"), kv("db.system", "postgresql")},
				Status: &tracepb.Status{},
			})
			if i%8 == 0 {
				parent = id
			}
		}
		req := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
			Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kv("service.name", "api")}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
		}}}
		pb, err := proto.Marshal(req)
		if err != nil {
			tb.Fatal(err)
		}
		rec.Records = append(rec.Records, Record{Time: at, Request: otlpjson.Request{Signal: otlpjson.Traces, Proto: pb, Arrived: at, Spans: 512}})
		rec.Spans += 512
	}
	return rec
}

// BenchmarkReplayMax applies a 100k-span recording as --speed max does and
// reports the spans applied per second (issue 10: at least 500k).
func BenchmarkReplayMax(b *testing.B) {
	rec := syntheticRecording(b, 200) // 102,400 spans
	var spans int
	cpu0 := cpuTime(b)
	for b.Loop() {
		e := New(rec, Options{Speed: Max})
		w := e.PlayAll(0, 0)
		spans += w.Model.Header().Spans
		w.close()
	}
	// On a shared machine the wall-clock rate depends on the other load;
	// the CPU per span does not (decode and apply run on two goroutines).
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/1000/float64(spans), "cpu-µs/span")
}

// BenchmarkSeek1M seeks back across a 1M-span recording: from its end to
// just before its end, which rebuilds the model from the start through
// nearly every span (issue 10: at most 2 s). The first seek back is
// reported apart (first-cpu-s).
func BenchmarkSeek1M(b *testing.B) {
	rec := syntheticRecording(b, 1954) // 1,000,448 spans
	e := New(rec, Options{Speed: Max, Model: model.Config{MaxMemory: 1 << 30}})
	e.seek(rec.End())
	// The first seek back takes the memory readied in the background once
	// the world was complete (a user looks before seeking); later ones
	// take the memory of the world they replace.
	e.filled.Wait()
	first, firstWall := cpuTime(b), time.Now()
	e.seek(rec.End() - int64(20*time.Millisecond))
	first, firstTook := cpuTime(b)-first, time.Since(firstWall)
	e.seek(rec.End())
	b.ResetTimer()
	var cpu time.Duration
	for b.Loop() {
		cpu0 := cpuTime(b)
		e.seek(rec.End() - int64(20*time.Millisecond)) // back: a rebuild
		cpu += cpuTime(b) - cpu0
		b.StopTimer()
		e.seek(rec.End())
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/seek")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/seek")
	b.ReportMetric(first.Seconds(), "first-cpu-s")
	b.ReportMetric(firstTook.Seconds(), "first-s")
	b.ReportMetric(float64(e.World().Model.Header().Spans), "spans-stored")
	e.World().close()
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
