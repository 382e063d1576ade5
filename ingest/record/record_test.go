package record

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/ingest/otlpjson"
)

var _ ingest.Tap = (*Recorder)(nil)

func resource() *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "api"}}}}}
}

func tracesPB(t testing.TB, name string) []byte {
	req := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: resource(),
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: name,
			Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: 1e18, EndTimeUnixNano: 1e18 + 5e6,
			Events: []*tracepb.Span_Event{{TimeUnixNano: 1e18 + 1, Name: "ev"}},
			Links:  []*tracepb.Span_Link{{TraceId: bytes.Repeat([]byte{3}, 16), SpanId: bytes.Repeat([]byte{4}, 8)}},
		}}}},
	}}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func logsPB(t testing.TB) []byte {
	req := &collogs.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: resource(),
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{{
			TimeUnixNano: 1e18, SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
			Body:    &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "hello"}},
			TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8),
		}}}},
	}}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func metricsPB(t testing.TB) []byte {
	req := &colmetrics.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: resource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{{
			Name: "requests",
			Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{IsMonotonic: true, AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE,
				DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: 1e18, Value: &metricspb.NumberDataPoint_AsInt{AsInt: 7}}}}},
		}}}},
	}}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r interface{ Read([]byte) (int, error) } = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestRecordsEverySignal(t *testing.T) {
	for _, name := range []string{"rec.jsonl", "rec.jsonl.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			r, err := Open(Options{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			at := time.Unix(0, 1_700_000_000_123_456_789)
			r.Received(ingest.SignalTraces, tracesPB(t, "GET /"), false, at)
			r.Received(ingest.SignalLogs, logsPB(t), false, at)
			r.Received(ingest.SignalMetrics, metricsPB(t), false, at)
			// An empty request, as SDKs send: a line of its own that
			// still says its signal.
			r.Received(ingest.SignalLogs, nil, false, at)
			// An OTLP/JSON request is recorded in the same form.
			js, err := otlpjson.Append(nil, otlpjson.Traces, tracesPB(t, "POST /json"))
			if err != nil {
				t.Fatal(err)
			}
			r.Received(ingest.SignalTraces, js, true, at)
			// An empty one in OTLP/JSON: its signal is the path's.
			r.Received(ingest.SignalMetrics, []byte(`{}`), true, at)
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			lines := readLines(t, path)
			if len(lines) != 6 {
				t.Fatalf("%d lines, want 6:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			signals := []otlpjson.Signal{otlpjson.Traces, otlpjson.Logs, otlpjson.Metrics, otlpjson.Logs, otlpjson.Traces, otlpjson.Metrics}
			for i, prefix := range []string{`{"resourceSpans":`, `{"resourceLogs":`, `{"resourceMetrics":`, `{"resourceLogs":[],`, `{"resourceSpans":`, `{"resourceMetrics":[],`} {
				if !strings.HasPrefix(lines[i], prefix) {
					t.Errorf("line %d = %.60s, want it to start with %s", i, lines[i], prefix)
				}
				if !strings.HasSuffix(lines[i], `,"spantopArrivalUnixNano":"1700000000123456789"}`) {
					t.Errorf("line %d ends %q", i, lines[i][max(0, len(lines[i])-60):])
				}
				if req, err := otlpjson.Decode([]byte(lines[i])); err != nil || req.Signal != signals[i] || req.Arrived != at.UnixNano() {
					t.Errorf("line %d reads as %v %d (%v), want %v", i, req.Signal, req.Arrived, err, signals[i])
				}
			}
			req, err := otlpjson.Decode([]byte(lines[4]))
			if err != nil {
				t.Fatal(err)
			}
			var back coltrace.ExportTraceServiceRequest
			if err := proto.Unmarshal(req.Proto, &back); err != nil {
				t.Fatal(err)
			}
			if got := back.ResourceSpans[0].ScopeSpans[0].Spans[0].Name; got != "POST /json" {
				t.Errorf("JSON request recorded as %q", got)
			}
			if st := r.Stats(); st.Requests != 6 || st.Dropped != 0 || st.Bytes == 0 || st.Stopped != "" {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// The written lines are what protojson writes for the same request, bar
// the IDs (hex, as OTLP/JSON asks).
func TestLineMatchesProtojson(t *testing.T) {
	for _, pb := range [][]byte{logsPB(t), metricsPB(t)} {
		sig := otlpjson.Logs
		var msg proto.Message = &collogs.ExportLogsServiceRequest{}
		if bytes.Contains(pb, []byte("requests")) {
			sig, msg = otlpjson.Metrics, &colmetrics.ExportMetricsServiceRequest{}
		}
		got, err := otlpjson.Append(nil, sig, pb)
		if err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(pb, msg); err != nil {
			t.Fatal(err)
		}
		want, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		// protojson writes IDs as base64; ours are hex.
		want = bytes.ReplaceAll(want, []byte(`"AQEBAQEBAQEBAQEBAQEBAQ=="`), []byte(`"01010101010101010101010101010101"`))
		want = bytes.ReplaceAll(want, []byte(`"AgICAgICAgI="`), []byte(`"0202020202020202"`))
		var compact bytes.Buffer
		if err := jsonCompact(&compact, want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, compact.Bytes()) {
			t.Errorf("\n got %s\nwant %s", got, compact.Bytes())
		}
	}
}

func TestStopsAtMax(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	r, err := Open(Options{Path: path, MaxBytes: 2000})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		r.Received(ingest.SignalTraces, tracesPB(t, "GET /"), false, time.Now())
	}
	if err := r.Close(); err == nil || !strings.Contains(err.Error(), "--record-max") {
		t.Errorf("Close = %v, want the size bound named", err)
	}
	st := r.Stats()
	if !strings.Contains(st.String(), "STOPPED: full") {
		t.Errorf("header %q", st.String())
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() > 2000 || fi.Size() == 0 {
		t.Fatalf("file %v %v", fi, err)
	}
	if n := len(readLines(t, path)); int64(n) != st.Requests {
		t.Errorf("%d lines, %d requests counted", n, st.Requests)
	}
}

func TestRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.jsonl")
	r, err := Open(Options{Path: path, MaxBytes: 2000, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range 40 {
		r.Received(ingest.SignalTraces, tracesPB(t, "GET /"), false, time.Now())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Rotations < 2 || st.Requests != 40 {
		t.Errorf("stats %+v", st)
	}
	for _, p := range []string{path, RotatedName(path, 1), RotatedName(path, 2)} {
		if fi, err := os.Stat(p); err != nil || fi.Size() > 2000 {
			t.Errorf("%s: %v %v", p, fi, err)
		}
	}
	if _, err := os.Stat(RotatedName(path, 3)); err == nil {
		t.Errorf("kept more than 2 rotated files")
	}
	if got := RotatedName("a.jsonl.gz", 1); got != "a.jsonl.1.gz" {
		t.Errorf("RotatedName = %q", got)
	}
}

func TestUnwritable(t *testing.T) {
	_, err := Open(Options{Path: filepath.Join(t.TempDir(), "no", "such", "dir", "rec.jsonl")})
	if err == nil || !strings.Contains(err.Error(), "--record") || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("Open = %v", err)
	}
}

// A full disk stops the recording with a message; nothing panics, and the
// tap keeps returning at once.
func TestFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	r, err := Open(Options{Path: "/dev/full"})
	if err != nil {
		t.Fatal(err)
	}
	big := tracesPB(t, strings.Repeat("x", 300<<10))
	for range 5 {
		r.Received(ingest.SignalTraces, big, false, time.Now())
	}
	err = r.Close()
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("Close = %v", err)
	}
	if st := r.Stats(); !strings.Contains(st.String(), "STOPPED: write failed") {
		t.Errorf("header %q", st.String())
	}
}

// A full queue drops and counts; Received never waits for the writer.
func TestDropsWhenQueueFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	r, err := Open(Options{Path: path, QueueBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		r.Received(ingest.SignalTraces, tracesPB(t, "GET /"), false, time.Now())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Dropped != 100 || st.Requests != 0 || !strings.Contains(st.String(), "dropped 100") {
		t.Errorf("stats %+v %q", st, st.String())
	}
}
