package demo

import (
	"context"
	"testing"
	"time"

	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/model"
)

// TestDemoLogsAndMetricsReachSpantop runs the demo against a real spantop
// receiver and model: its slog records arrive with trace context (warn and
// error during the error burst) and its request counter, latency histogram
// and queue-depth gauge are kept as metrics.
func TestDemoLogsAndMetricsReachSpantop(t *testing.T) {
	m := model.New(model.Config{})
	q := ingest.NewQueue(0, m.Counters())
	s := ingest.NewServer(ingest.Config{GRPCAddr: "127.0.0.1:0"}, m.Symbols(), m.Counters(), q)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	mctx, stopModel := context.WithCancel(context.Background())
	modelDone := make(chan struct{})
	go func() { m.Run(mctx, q.C()); close(modelDone) }()
	defer func() {
		_ = s.Shutdown(context.Background())
		q.Close()
		stopModel()
		<-modelDone
	}()

	cfg := defaultConfig()
	cfg.rate = 40
	cfg.burstEvery, cfg.burstAt, cfg.burstFor = time.Second, 0, 500*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second+metricInterval)
	defer cancel()
	if err := run(ctx, Options{Endpoint: s.GRPCAddr()}, cfg); err != nil {
		t.Fatalf("run: %v", err)
	}

	deadline := time.Now().Add(5 * time.Second)
	for m.Header().Logs == 0 || m.Header().Metrics < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("header %+v: no logs or metrics", m.Header())
		}
		time.Sleep(20 * time.Millisecond)
	}
	errs := m.Logs(model.Query{Filter: "severity>=error service=payments", Limit: 5})
	if errs.Total == 0 {
		t.Fatal("no error logs from payments during the burst")
	}
	if r := errs.Rows[0]; !r.HasTrace || !r.HasSpan {
		t.Errorf("an error log without trace context: %+v", r)
	}
	if d, ok := m.Log(errs.Rows[0].ID); !ok || d.Span == 0 {
		t.Errorf("the error log's span is not stored: %+v", d)
	}
	if m.Logs(model.Query{Filter: "severity=warn body~retrying", Limit: 1}).Total == 0 {
		t.Error("no warning of the payments retry")
	}
	names := map[string]model.MetricRow{}
	for _, r := range m.Metrics(model.Query{Limit: 100}).Rows {
		names[r.Name] = r
	}
	for name, typ := range map[string]model.MetricType{
		"shop.requests": model.MetricSum, "shop.request.duration": model.MetricHistogram, "shop.orders.queue.depth": model.MetricGauge,
	} {
		if r, ok := names[name]; !ok || r.Type != typ {
			t.Errorf("metric %s: %+v", name, r)
		}
	}
}
