// Command readmeexample is the README's agentlib example, verbatim from
// the line "package main" on: readme_test.go checks that the README holds
// it, and `go build ./...` compiles it.
package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/spantop/spantop/agentlib"
)

func main() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()

	// agentlib returns at once: spantop need not be running yet.
	stop, err := agentlib.Start(ctx, agentlib.Options{})
	if err != nil {
		log.Fatal(err) // only a malformed SPANTOP_ENDPOINT
	}
	defer func() {
		if err := stop(context.Background()); err != nil { // says goodbye to spantop
			log.Print(err)
		}
	}()

	// The app's own exporter (OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4317).
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithInsecure())
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "myapp"))),
		sdktrace.WithBatcher(exp),
		sdktrace.WithSpanProcessor(agentlib.SpanProcessor())) // spans in flight, goroutines joined to spans
	defer func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			log.Print(err)
		}
	}()
	tracer := tp.Tracer("myapp")

	cache := agentlib.NewMutex("cache")             // a named resource
	dbConns := agentlib.NewSemaphore("db-conns", 2) // another
	jobs := make(chan int)
	agentlib.Go(ctx, "consumer", func(ctx context.Context) { // a named goroutine, ctx kept
		for range jobs {
			if err := dbConns.Acquire(ctx); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond) // a query
			dbConns.Release()
		}
	})

	for i := 0; ctx.Err() == nil; i++ {
		reqCtx, span := tracer.Start(ctx, "handle")
		cache.Lock()
		time.Sleep(time.Millisecond)
		cache.Unlock()
		select {
		case jobs <- i:
		case <-reqCtx.Done():
		}
		time.Sleep(300 * time.Millisecond) // long enough to be seen in flight
		span.End()
	}
	close(jobs)
}
