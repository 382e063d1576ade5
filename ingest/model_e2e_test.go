package ingest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/spantop/spantop/model"
)

// TestE2EIntoModel sends SDK spans through each receiver into a real model
// and reads them back through its query API, as the UI does.
func TestE2EIntoModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		exp  func(s *Server) (sdktrace.SpanExporter, error)
	}{
		{"grpc", func(s *Server) (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(s.GRPCAddr()), otlptracegrpc.WithInsecure())
		}},
		{"http", func(s *Server) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(s.HTTPAddr()), otlptracehttp.WithInsecure(),
				otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := model.New(model.Config{})
			q := NewQueue(0, m.Counters())
			defer q.Close()
			s := NewServer(Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"}, m.Symbols(), m.Counters(), q)
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.Shutdown(context.Background()); err != nil {
					t.Error(err)
				}
			}()
			exp, err := tc.exp(s)
			if err != nil {
				t.Fatal(err)
			}
			ids := sendWithSDK(t, exp)
			for _, b := range collect(t, q, 3) {
				m.Apply(b)
			}
			checkModel(t, m, ids)
		})
	}
}

func checkModel(t *testing.T, m *model.Model, ids map[string]trace.SpanContext) {
	t.Helper()
	page := m.Tasks(model.Query{Sort: model.TaskName, Limit: 10})
	if page.Total != 3 {
		t.Fatalf("tasks total = %d: %+v", page.Total, page.Rows)
	}
	byName := map[string]model.TaskRow{}
	for _, r := range page.Rows {
		byName[r.Name] = r
	}
	child, ok := byName["SELECT orders"]
	if !ok || child.Service != "e2e-svc" || child.Target != "e2e/scope" || child.Kind != model.KindClient || child.State != model.StateError {
		t.Fatalf("child row = %+v", child)
	}
	d, ok := m.Span(child.ID)
	if !ok {
		t.Fatal("no detail")
	}
	if d.SpanID != model.SpanID(ids["SELECT orders"].SpanID()) ||
		d.Parent != model.SpanID(ids["GET /orders"].SpanID()) ||
		d.TraceID != model.TraceID(ids["GET /orders"].TraceID()) ||
		d.StatusMsg != "deadlock detected" || d.ScopeVersion != "0.1.0" || d.TraceSpans < 2 {
		t.Errorf("detail = %+v", d)
	}
	if h := m.Header(); h.Received != 3 || h.Spans != 3 || h.Rejected != 0 || h.Refused != 0 {
		t.Errorf("header = %+v", h)
	}
}
