package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// discardSink takes every execution-trace chunk and keeps none.
type discardSink struct{}

func (discardSink) Offer([]model.TraceChunk) (int, string, error) { return 0, "", nil }

// fuzzServer returns a server that does not listen, whose queue is drained
// as it fills; its in-flight bound is small, so that fuzzed bodies reach it.
func fuzzServer(f *testing.F) *Server {
	c := new(model.Counters)
	q := NewQueue(0, c)
	go func() {
		for range q.C() {
		}
	}()
	f.Cleanup(q.Close)
	s := NewServer(Config{MaxMessage: 1 << 20, MaxInflight: 2 << 20}, nil, c, q)
	s.ReadTraces(discardSink{})
	return s
}

// checkExport holds for every signal: an answer or an error, never both;
// rejected items come with a message; what protobuf can parse is never
// refused as malformed; a refusal is a bad request.
func checkExport(t *testing.T, resp proto.Message, err error, parses bool) {
	t.Helper()
	if err != nil {
		if resp != nil {
			t.Fatalf("answer %v with error %v", resp, err)
		}
		if parses {
			t.Fatalf("a request protobuf parses was refused: %v", err)
		}
		if f := classify(err); f.http != http.StatusBadRequest {
			t.Fatalf("error %v answers %d, want 400", err, f.http)
		}
		return
	}
	var rejected int64
	var msg string
	switch r := resp.(type) {
	case *collogs.ExportLogsServiceResponse:
		rejected, msg = r.GetPartialSuccess().GetRejectedLogRecords(), r.GetPartialSuccess().GetErrorMessage()
	case *colmetrics.ExportMetricsServiceResponse:
		rejected, msg = r.GetPartialSuccess().GetRejectedDataPoints(), r.GetPartialSuccess().GetErrorMessage()
	default:
		t.Fatalf("answer of type %T", resp)
	}
	if rejected < 0 || (rejected > 0) != (msg != "") {
		t.Fatalf("rejected %d, message %q", rejected, msg)
	}
	if _, err := proto.Marshal(resp); err != nil {
		t.Fatalf("the answer cannot be sent: %v", err)
	}
}

func FuzzExportLogs(f *testing.F) {
	pb, err := proto.Marshal(agentLogs())
	if err != nil {
		f.Fatal(err)
	}
	js, err := protojson.Marshal(agentLogs())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pb, false)
	f.Add(js, true)
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"spantop.go.trace","body":{"bytesValue":"AQID"}}]}]}]}`), true)
	f.Add([]byte{}, false)
	s := fuzzServer(f)
	sig := s.logsSignal()
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		resp, err := sig.export(context.Background(), body, json)
		parses := !json && proto.Unmarshal(body, &collogs.ExportLogsServiceRequest{}) == nil
		checkExport(t, resp, err, parses)
	})
}

func FuzzExportMetrics(f *testing.F) {
	pb, err := proto.Marshal(agentMetrics())
	if err != nil {
		f.Fatal(err)
	}
	js, err := protojson.Marshal(agentMetrics())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pb, false)
	f.Add(js, true)
	f.Add([]byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"spantop.go.goroutines","gauge":{"dataPoints":[{"asDouble":"NaN"}]}}]}]}]}`), true)
	s := fuzzServer(f)
	sig := s.metricsSignal()
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		resp, err := sig.export(context.Background(), body, json)
		parses := !json && proto.Unmarshal(body, &colmetrics.ExportMetricsServiceRequest{}) == nil
		checkExport(t, resp, err, parses)
	})
}

// gzipped returns b gzipped.
func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzHTTPBody posts fuzzed bodies, plain or gzipped, to each signal's
// path: the answer is always one OTLP/HTTP allows, with a body of the
// right type, and every byte reserved for reading and decoding is given
// back.
func FuzzHTTPBody(f *testing.F) {
	traces := marshal(f, fuzzRequests()[0])
	f.Add(traces, false, uint8(0), false)
	f.Add(gzipped(f, traces), true, uint8(0), false)
	f.Add(otlpJSON(f, fuzzRequests()[1]), false, uint8(0), true)
	logs, _ := proto.Marshal(agentLogs())
	f.Add(gzipped(f, logs), true, uint8(1), false)
	bomb := gzipped(f, make([]byte, 3<<20)) // over MaxMessage once inflated
	f.Add(bomb, true, uint8(0), false)
	liar := bytes.Clone(bomb) // its trailer claims 10 bytes
	binary.LittleEndian.PutUint32(liar[len(liar)-4:], 10)
	f.Add(liar, true, uint8(2), false)
	f.Add(gzipped(f, traces)[:20], true, uint8(0), false) // truncated
	s := fuzzServer(f)
	h := s.httpHandler()
	paths := []string{"/v1/traces", "/v1/logs", "/v1/metrics"}
	f.Fuzz(func(t *testing.T, body []byte, gz bool, signal uint8, json bool) {
		req := httptest.NewRequest(http.MethodPost, paths[int(signal)%len(paths)], bytes.NewReader(body))
		ct := ctProtobuf
		if json {
			ct = ctJSON
		}
		req.Header.Set("Content-Type", ct)
		if gz {
			req.Header.Set("Content-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if used := s.inflight.used.Load(); used != 0 {
			t.Fatalf("%d bytes still reserved after the request", used)
		}
		switch rec.Code {
		case http.StatusOK:
			return // the signal's response; FuzzDecode* check its content
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
		var st spb.Status
		var err error
		if json {
			err = protojson.Unmarshal(rec.Body.Bytes(), &st)
		} else {
			err = proto.Unmarshal(rec.Body.Bytes(), &st)
		}
		if err != nil || st.Message == "" {
			t.Fatalf("status %d with body %q: %v", rec.Code, rec.Body.Bytes(), err)
		}
	})
}
