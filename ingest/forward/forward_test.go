package forward

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/ingest"
)

func boolKV(k string, v bool) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}}
}

func traces(t *testing.T, spans ...*tracepb.Span) []byte {
	b, err := proto.Marshal(&coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// agentlib's in-flight snapshots and trace chunks stay with spantop.
func TestWithoutAgentData(t *testing.T) {
	snap := &tracepb.Span{Name: "snapshot", Attributes: []*commonpb.KeyValue{boolKV("spantop.span.inflight", true)}}
	done := &tracepb.Span{Name: "done"}
	out, keep, err := withoutAgentData(ingest.SignalTraces, traces(t, snap, done))
	if err != nil || !keep {
		t.Fatal(keep, err)
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(out, &req); err != nil {
		t.Fatal(err)
	}
	if got := req.ResourceSpans[0].ScopeSpans[0].Spans; len(got) != 1 || got[0].Name != "done" {
		t.Errorf("kept %v", got)
	}
	if _, keep, _ := withoutAgentData(ingest.SignalTraces, traces(t, snap)); keep {
		t.Error("a request of snapshots only is forwarded")
	}
	plain := traces(t, done)
	if out, keep, _ := withoutAgentData(ingest.SignalTraces, plain); !keep || !bytes.Equal(out, plain) {
		t.Error("a request without agentlib's data is not passed on as it came")
	}
	logs, _ := proto.Marshal(&collogs.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
		{EventName: "spantop.go.trace"}, {EventName: "app.event"},
	}}}}}})
	out, keep, err = withoutAgentData(ingest.SignalLogs, logs)
	var lr collogs.ExportLogsServiceRequest
	if err != nil || !keep || proto.Unmarshal(out, &lr) != nil || len(lr.ResourceLogs[0].ScopeLogs[0].LogRecords) != 1 {
		t.Errorf("logs: keep %v err %v", keep, err)
	}
}

// A 503 is retried; the request arrives once, gzipped, as it came.
func TestHTTPRetriesThenSends(t *testing.T) {
	var calls atomic.Int32
	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("request %s %v", r.URL.Path, r.Header)
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		b, _ := io.ReadAll(zr)
		got <- b
	}))
	defer srv.Close()
	tg, err := New(srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := traces(t, &tracepb.Span{Name: "GET /"})
	tg.Received(ingest.SignalTraces, body, false, time.Now())
	select {
	case b := <-got:
		if !bytes.Equal(b, body) {
			t.Error("the body changed on the way")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("never forwarded")
	}
	if err := tg.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := tg.Stats(); st.Sent != 1 || st.Retries != 1 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A 400 is not retried: the request is dropped and counted.
func TestHTTPBadRequestDropped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	tg, err := New(srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg.Received(ingest.SignalTraces, traces(t, &tracepb.Span{Name: "x"}), false, time.Now())
	if err := tg.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := tg.Stats(); st.Dropped != 1 || st.Retries != 0 || !strings.Contains(st.LastError, "400") {
		t.Errorf("stats %+v", st)
	}
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"ftp://x:1", "nohost", "http://"} {
		if _, err := New(u, Options{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}
