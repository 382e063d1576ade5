package record

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/spantop/spantop/ingest"
)

// The Collector's own JSON unmarshalers (pdata, as its otlpjsonfile
// receiver and file exporter use) read every line spantop records, and
// skip the arrival field.
func TestCollectorReadsRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	r, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r.Received(ingest.SignalTraces, tracesPB(t, "GET /"), false, now)
	r.Received(ingest.SignalLogs, logsPB(t), false, now)
	r.Received(ingest.SignalMetrics, metricsPB(t), false, now)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}

	traces, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(lines[0]))
	if err != nil {
		t.Fatalf("ptrace: %v", err)
	}
	sp := traces.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	if sp.Name() != "GET /" || sp.TraceID().String() != "01010101010101010101010101010101" || sp.SpanID().String() != "0202020202020202" ||
		sp.Kind() != ptrace.SpanKindServer || sp.EndTimestamp()-sp.StartTimestamp() != 5e6 ||
		sp.Events().Len() != 1 || sp.Links().Len() != 1 || sp.Links().At(0).TraceID().String() != "03030303030303030303030303030303" {
		t.Errorf("span read back as %+v", sp)
	}
	if v, _ := traces.ResourceSpans().At(0).Resource().Attributes().Get("service.name"); v.Str() != "api" {
		t.Errorf("service.name = %v", v)
	}

	logs, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs([]byte(lines[1]))
	if err != nil {
		t.Fatalf("plog: %v", err)
	}
	lr := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	if lr.Body().Str() != "hello" || lr.TraceID().String() != "01010101010101010101010101010101" || lr.SeverityNumber() != plog.SeverityNumberInfo {
		t.Errorf("log read back as body %q trace %s", lr.Body().Str(), lr.TraceID())
	}

	metrics, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics([]byte(lines[2]))
	if err != nil {
		t.Fatalf("pmetric: %v", err)
	}
	m := metrics.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
	if m.Name() != "requests" || m.Sum().DataPoints().At(0).IntValue() != 7 || !m.Sum().IsMonotonic() {
		t.Errorf("metric read back as %s", m.Name())
	}

	// And what pdata writes is what spantop writes, but for the empty
	// scope and status pdata always writes (its structs have them; the
	// wire had none), which every reader takes as absent.
	again, err := (&ptrace.JSONMarshaler{}).MarshalTraces(traces)
	if err != nil {
		t.Fatal(err)
	}
	again = bytes.ReplaceAll(bytes.ReplaceAll(again, []byte(`"scope":{},`), nil), []byte(`,"status":{}`), nil)
	if want := lines[0][:len(lines[0])-len(`,"spantopArrivalUnixNano":"`)-len("1234567890123456789")-2] + "}"; string(again) != want {
		t.Errorf("pdata writes\n%s\nspantop wrote\n%s", again, want)
	}
}
