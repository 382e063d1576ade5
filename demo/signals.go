package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/grpc"
)

// signals are a service's logs and metrics, exported like its spans over
// the process's one connection: slog through the OTel log bridge (so each
// record carries the trace context of the ctx it is logged with) and a few
// application metrics.
type signals struct {
	log      *slog.Logger
	lp       *sdklog.LoggerProvider
	mp       *sdkmetric.MeterProvider
	meter    metric.Meter
	requests metric.Int64Counter
	latency  metric.Float64Histogram
}

// metricInterval is how often the demo exports its metrics: often, so the
// metrics view fills within seconds.
const metricInterval = 2 * time.Second

func newSignals(ctx context.Context, name string, conn *grpc.ClientConn, headers map[string]string, res *resource.Resource, cfg config) (*signals, error) {
	// The exporters outlive ctx: they flush on the way out (shutdown).
	ctx = context.WithoutCancel(ctx)
	lopts := []otlploggrpc.Option{otlploggrpc.WithGRPCConn(conn), otlploggrpc.WithTimeout(5 * time.Second)}
	mopts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithGRPCConn(conn), otlpmetricgrpc.WithTimeout(5 * time.Second)}
	if len(headers) > 0 {
		lopts = append(lopts, otlploggrpc.WithHeaders(headers))
		mopts = append(mopts, otlpmetricgrpc.WithHeaders(headers))
	}
	lexp, err := otlploggrpc.New(ctx, lopts...)
	if err != nil {
		return nil, fmt.Errorf("demo: log exporter for %s: %w", name, err)
	}
	mexp, err := otlpmetricgrpc.New(ctx, mopts...)
	if err != nil {
		return nil, fmt.Errorf("demo: metric exporter for %s: %w", name, err)
	}
	sg := &signals{
		lp: sdklog.NewLoggerProvider(sdklog.WithResource(res),
			sdklog.WithProcessor(sdklog.NewBatchProcessor(lexp, sdklog.WithExportInterval(cfg.batchTimeout)))),
		mp: sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(metricInterval)))),
	}
	sg.log = otelslog.NewLogger("shop/"+name, otelslog.WithLoggerProvider(sg.lp))
	sg.meter = sg.mp.Meter("shop/" + name)
	if sg.requests, err = sg.meter.Int64Counter("shop.requests", metric.WithUnit("{request}"),
		metric.WithDescription("HTTP requests served, by route and status code")); err != nil {
		return nil, err
	}
	if sg.latency, err = sg.meter.Float64Histogram("shop.request.duration", metric.WithUnit("ms"),
		metric.WithDescription("time to serve an HTTP request"),
		metric.WithExplicitBucketBoundaries(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)); err != nil {
		return nil, err
	}
	return sg, nil
}

// served records a request in the metrics and logs it: info when it went
// well, warn for a client error, error (with the cause) for a server error.
func (sg *signals) served(ctx context.Context, method, route string, code int, took time.Duration, err error) {
	attrs := metric.WithAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", code))
	sg.requests.Add(ctx, 1, attrs)
	sg.latency.Record(ctx, float64(took.Microseconds())/1000, metric.WithAttributes(attribute.String("http.route", route)))
	msg := fmt.Sprintf("%s %s %d in %s", method, route, code, took.Round(100*time.Microsecond))
	switch {
	case code >= 500:
		sg.log.ErrorContext(ctx, msg, "http.route", route, "http.response.status_code", code, "error", errText(err))
	case code >= 400:
		sg.log.WarnContext(ctx, msg, "http.route", route, "http.response.status_code", code)
	default:
		sg.log.InfoContext(ctx, msg, "http.route", route, "http.response.status_code", code)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// observeQueue reports the orders queue's depth as a gauge of the
// shipping service.
func (s *shop) observeQueue() error {
	sh := s.svcs["shipping"].sig
	_, err := sh.meter.Int64ObservableGauge("shop.orders.queue.depth", metric.WithUnit("{message}"),
		metric.WithDescription("orders waiting for the shipping consumer"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(len(s.orders)), metric.WithAttributes(attribute.String("messaging.destination.name", "orders")))
			return nil
		}))
	return err
}

// shutdown flushes the service's logs and metrics.
func (sg *signals) shutdown(ctx context.Context) error {
	if sg == nil {
		return nil
	}
	return errors.Join(sg.lp.Shutdown(ctx), sg.mp.Shutdown(ctx))
}
