package ingest

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/spantop/spantop/model"
)

// sdkExporters are one transport's OTel SDK exporters, pointed at s.
type sdkExporters struct {
	spans   func(s *Server) (sdktrace.SpanExporter, error)
	logs    func(s *Server) (sdklog.Exporter, error)
	metrics func(s *Server) (sdkmetric.Exporter, error)
}

var signalTransports = map[string]sdkExporters{
	"grpc": {
		spans: func(s *Server) (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(s.GRPCAddr()), otlptracegrpc.WithInsecure())
		},
		logs: func(s *Server) (sdklog.Exporter, error) {
			return otlploggrpc.New(context.Background(), otlploggrpc.WithEndpoint(s.GRPCAddr()), otlploggrpc.WithInsecure(), otlploggrpc.WithCompressor("gzip"))
		},
		metrics: func(s *Server) (sdkmetric.Exporter, error) {
			return otlpmetricgrpc.New(context.Background(), otlpmetricgrpc.WithEndpoint(s.GRPCAddr()), otlpmetricgrpc.WithInsecure())
		},
	},
	"http": {
		spans: func(s *Server) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(s.HTTPAddr()), otlptracehttp.WithInsecure())
		},
		logs: func(s *Server) (sdklog.Exporter, error) {
			return otlploghttp.New(context.Background(), otlploghttp.WithEndpoint(s.HTTPAddr()), otlploghttp.WithInsecure(),
				otlploghttp.WithCompression(otlploghttp.GzipCompression))
		},
		metrics: func(s *Server) (sdkmetric.Exporter, error) {
			return otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpoint(s.HTTPAddr()), otlpmetrichttp.WithInsecure(),
				otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
		},
	},
}

// runModel starts a real server on 127.0.0.1:0 whose queue feeds a real
// model's writer.
func runModel(t *testing.T) (*Server, *model.Model) {
	t.Helper()
	m := model.New(model.Config{})
	q := NewQueue(0, m.Counters())
	s := NewServer(Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"}, m.Symbols(), m.Counters(), q)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx, q.C()); close(done) }()
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		q.Close()
		cancel()
		<-done
	})
	return s, m
}

// waitFor polls the model until ok or a deadline.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestE2ELogsWithSlogBridge logs through slog and the OTel log bridge
// (otelslog → sdk/log → otlploggrpc / otlploghttp) inside a span, and
// finds the exact records in the model, under that span.
func TestE2ELogsWithSlogBridge(t *testing.T) {
	for name, tr := range signalTransports {
		t.Run(name, func(t *testing.T) {
			s, m := runModel(t)
			ctx := context.Background()
			res := resource.NewSchemaless(semconv.ServiceName("shop"))
			spanExp, err := tr.spans(s)
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanExp), sdktrace.WithResource(res))
			logExp, err := tr.logs(s)
			if err != nil {
				t.Fatal(err)
			}
			lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(logExp)), sdklog.WithResource(res))
			logger := otelslog.NewLogger("shop/checkout", otelslog.WithLoggerProvider(lp))

			sctx, sp := tp.Tracer("shop").Start(ctx, "checkout")
			logger.InfoContext(sctx, "cart loaded", "user.id", 7, "items", 3)
			logger.WarnContext(sctx, "inventory low", "sku", "A-1")
			logger.ErrorContext(sctx, "payment declined\x1b[31m", "amount", 12.5)
			sp.End()
			logger.Info("no trace context here")
			if err := lp.ForceFlush(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = lp.Shutdown(ctx); _ = tp.Shutdown(ctx) }()

			waitFor(t, "4 logs and the span", func() bool { h := m.Header(); return h.Logs == 4 && h.Spans == 1 })
			page := m.Logs(model.Query{Sort: model.LogTime, Offset: model.FollowOffset, Limit: 10})
			if page.Total != 4 {
				t.Fatalf("total %d", page.Total)
			}
			byBody := map[string]model.LogRow{}
			for _, r := range page.Rows {
				byBody[r.Body] = r
			}
			want := []struct {
				body  string
				sev   model.Severity
				attrs string
			}{
				{"cart loaded", model.SevInfo, "user.id=7 items=3"},
				{"inventory low", model.SevWarn, "sku=A-1"},
				{"payment declined\x1b[31m", model.SevError, "amount=12.5"}, // kept as received; the UI sanitises
			}
			spanID, traceID := model.SpanID(sp.SpanContext().SpanID()), model.TraceID(sp.SpanContext().TraceID())
			for _, w := range want {
				r, ok := byBody[w.body]
				if !ok {
					t.Fatalf("no record %q in %+v", w.body, page.Rows)
				}
				var attrs []string
				for _, a := range r.Attrs {
					attrs = append(attrs, a.Key+"="+a.Value.String())
				}
				if r.Severity != w.sev || r.Service != "shop" || r.Scope != "shop/checkout" || strings.Join(attrs, " ") != w.attrs ||
					r.TraceID != traceID || r.SpanID != spanID || !r.HasSpan {
					t.Errorf("record %q = %+v (attrs %v)", w.body, r, attrs)
				}
			}
			if r := byBody["no trace context here"]; r.HasTrace || r.HasSpan {
				t.Errorf("a record without context has one: %+v", r)
			}
			if p := m.Logs(model.Query{Filter: "severity>=warn service=shop", Limit: 10}); p.Total != 2 {
				t.Errorf("severity>=warn: %d rows", p.Total)
			}
			// The span's details list its three logs, in order.
			tasks := m.Tasks(model.Query{Limit: 5})
			if len(tasks.Rows) != 1 {
				t.Fatalf("tasks %+v", tasks.Rows)
			}
			var got []string
			for _, e := range m.SpanTimeline(tasks.Rows[0].ID) {
				if e.Log != nil {
					got = append(got, e.Log.Body)
				}
			}
			if strings.Join(got, "|") != "cart loaded|inventory low|payment declined\x1b[31m" {
				t.Errorf("span timeline logs %q", got)
			}
			d, _ := m.Log(byBody["payment declined\x1b[31m"].ID)
			if d.Span != tasks.Rows[0].ID || len(d.Resource) == 0 {
				t.Errorf("record details: span %d resource %v", d.Span, d.Resource)
			}
			if h := m.Header(); h.LogsReceived != 4 || h.LogsRejected != 0 || h.LogErrors != 1 {
				t.Errorf("header %+v", h)
			}
		})
	}
}

// TestE2EMetricsWithSDK exports a counter, a histogram and a gauge through
// the OTel SDK's metric exporters and finds the exact data points.
func TestE2EMetricsWithSDK(t *testing.T) {
	for name, tr := range signalTransports {
		t.Run(name, func(t *testing.T) {
			s, m := runModel(t)
			ctx := context.Background()
			exp, err := tr.metrics(s)
			if err != nil {
				t.Fatal(err)
			}
			reader := sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader),
				sdkmetric.WithResource(resource.NewSchemaless(semconv.ServiceName("shop"))))
			defer func() { _ = mp.Shutdown(ctx) }()
			meter := mp.Meter("shop")
			reqs, _ := meter.Int64Counter("shop.requests", metric.WithUnit("{request}"))
			lat, _ := meter.Float64Histogram("shop.latency", metric.WithUnit("ms"), metric.WithExplicitBucketBoundaries(10, 100, 1000))
			depth, _ := meter.Int64Gauge("shop.queue.depth")
			route := metric.WithAttributes(attribute.String("route", "/cart"))
			reqs.Add(ctx, 5, route)
			reqs.Add(ctx, 3, route)
			reqs.Add(ctx, 1, metric.WithAttributes(attribute.String("route", "/pay")))
			for _, v := range []float64{5, 50, 50, 500} {
				lat.Record(ctx, v)
			}
			depth.Record(ctx, 42)
			if err := mp.ForceFlush(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "3 metrics", func() bool { return m.Header().Metrics == 3 })
			rows := map[string]model.MetricRow{}
			for _, r := range m.Metrics(model.Query{Sort: model.MetricName, Limit: 10}).Rows {
				rows[r.Name] = r
			}
			req := rows["shop.requests"]
			if req.Type != model.MetricSum || !req.Monotonic || req.Delta || req.Streams != 2 || req.Unit != "{request}" || req.Service != "shop" {
				t.Fatalf("counter row %+v", req)
			}
			d, _ := m.Metric(req.ID)
			values := map[string]float64{}
			for _, st := range d.Streams {
				values[st.Attrs[0].Value.Str] = st.Series[len(st.Series)-1].Value
			}
			if values["/cart"] != 8 || values["/pay"] != 1 {
				t.Errorf("counter streams %v", values)
			}
			h := rows["shop.latency"]
			hd, _ := m.Metric(h.ID)
			dist := hd.Streams[0].Distribution
			if h.Type != model.MetricHistogram || hd.Streams[0].Count != 4 || hd.Streams[0].Sum != 605 || len(dist) != 4 ||
				dist[0].Count != 1 || dist[1].Count != 2 || dist[2].Count != 1 || h.P50 < 10 || h.P50 > 100 || h.P99 < 100 || h.P99 > 1000 {
				t.Errorf("histogram row %+v stream %+v", h, hd.Streams[0])
			}
			if g := rows["shop.queue.depth"]; g.Type != model.MetricGauge || g.Value != 42 || math.IsNaN(g.Spark[len(g.Spark)-1]) {
				t.Errorf("gauge row %+v", g)
			}
			if hh := m.Header(); hh.PointsReceived != 4 || hh.PointsRejected != 0 {
				t.Errorf("header points received %d rejected %d", hh.PointsReceived, hh.PointsRejected)
			}
		})
	}
}
