package ingest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"

	"github.com/spantop/spantop/model"
)

// TestE2EIntoModel sends SDK spans through the gRPC receiver into a real
// model and reads them back through its query API, as the UI does.
func TestE2EIntoModel(t *testing.T) {
	m := model.New(model.Config{})
	q := NewQueue(0, m.Counters())
	defer q.Close()
	s := NewServer(Config{GRPCAddr: "127.0.0.1:0"}, m.Symbols(), m.Counters(), q)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(s.GRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	ids := sendWithSDK(t, exp)
	for _, b := range collect(t, q, 3) {
		m.Apply(b)
	}

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
	if d.SpanID != model.SpanID(ids["SELECT orders"].SpanID()) || d.Parent != model.SpanID(ids["GET /orders"].SpanID()) ||
		d.StatusMsg != "deadlock detected" || d.ScopeVersion != "0.1.0" {
		t.Errorf("detail = %+v", d)
	}
	if h := m.Header(); h.Received != 3 || h.Spans != 3 {
		t.Errorf("header received %d spans %d", h.Received, h.Spans)
	}
}
