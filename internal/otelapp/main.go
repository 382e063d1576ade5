// Command otelapp is a small application for spantop's end-to-end tests:
// it sends spans (with attributes, events, links, an error and a slow
// request), logs and metrics through the stock OTel SDK exporters to the
// endpoint in OTEL_EXPORTER_OTLP_ENDPOINT (gRPC), then exits with the
// status in OTELAPP_EXIT.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "otelapp:", err)
		os.Exit(1)
	}
	code, _ := strconv.Atoi(os.Getenv("OTELAPP_EXIT"))
	os.Exit(code)
}

func run() error {
	ctx := context.Background()
	res := resource.NewSchemaless(semconv.ServiceName("otelapp"), attribute.String("deployment.environment", "test"))

	texp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithInsecure())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithResource(res))
	lexp, err := otlploggrpc.New(ctx, otlploggrpc.WithInsecure())
	if err != nil {
		return err
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(lexp)), sdklog.WithResource(res))
	mexp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithInsecure())
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp)), sdkmetric.WithResource(res))

	tr := tp.Tracer("otelapp", trace.WithInstrumentationVersion("1.0"))
	logger := lp.Logger("otelapp")
	counter, err := mp.Meter("otelapp").Int64Counter("otelapp.requests")
	if err != nil {
		return err
	}

	n, _ := strconv.Atoi(os.Getenv("OTELAPP_REQUESTS"))
	if n == 0 {
		n = 20
	}
	var prev trace.SpanContext
	for i := range n {
		var opts []trace.SpanStartOption
		if prev.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: prev, Attributes: []attribute.KeyValue{attribute.String("link.why", "previous")}}))
		}
		opts = append(opts, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.String("http.route", "/items"), attribute.Int("item", i)))
		rctx, root := tr.Start(ctx, "GET /items", opts...)
		prev = root.SpanContext()
		_, db := tr.Start(rctx, "SELECT items", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("db.system", "postgresql")))
		d := time.Millisecond
		if i == n-1 {
			d = 30 * time.Millisecond // the slowest request
		}
		time.Sleep(d)
		db.AddEvent("rows", trace.WithAttributes(attribute.Int("count", i)))
		if i%10 == 3 {
			db.RecordError(errors.New("deadlock detected"))
			db.SetStatus(codes.Error, "deadlock detected")
		}
		db.End()
		root.End()

		var rec otellog.Record
		rec.SetTimestamp(time.Now())
		rec.SetSeverity(otellog.SeverityInfo)
		rec.SetBody(attribute.StringValue(fmt.Sprintf("served item %d", i)))
		logger.Emit(rctx, rec)
		counter.Add(ctx, 1)
	}
	return errors.Join(tp.Shutdown(ctx), lp.Shutdown(ctx), mp.Shutdown(ctx))
}
