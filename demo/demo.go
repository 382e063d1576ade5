// Package demo is spantop's built-in workload: a small shop made of several
// services that call each other over real HTTP on loopback, traced with the
// OpenTelemetry Go SDK and exported over OTLP/gRPC to a spantop.
//
// It exists so that a newcomer sees every view filled within seconds, and so
// that tests have a realistic producer. The traffic has the shapes people
// look for in a real system: client and server spans linked by W3C trace
// context, fan-out to several backends at once, a slow query, a recurring
// error burst, a producer/consumer pair over a queue, long-running spans and
// span events. It runs agentlib, as a Go app would: spans in flight, the
// execution trace (goroutines and what they wait on), a contended mutex, a
// semaphore, and a goroutine leak.
package demo

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/spantop/spantop/agentlib"
)

// Version is reported as service.version by every demo service.
const Version = "1.4.2"

// config holds the knobs tests turn; Run uses defaultConfig.
type config struct {
	// rate is how many user requests per second the load generator sends.
	rate float64
	// burstEvery, burstAt and burstFor place the payments error burst: it
	// starts burstAt into every burstEvery period and lasts burstFor.
	burstEvery, burstAt, burstFor time.Duration
	// slowEvery makes every slowEvery-th order history query slow.
	slowEvery int
	// jobEvery is how often the long-running reconcile job starts.
	jobEvery time.Duration
	// batchTimeout is the BatchSpanProcessor's export delay.
	batchTimeout time.Duration
	// syncEvery and syncHold shape the mutex hot spot: the stock sync holds
	// the inventory lock for syncHold every syncEvery.
	syncEvery, syncHold time.Duration
	// leakEvery leaks one goroutine per leakEvery orders, up to leakMax.
	leakEvery, leakMax int
}

func defaultConfig() config {
	return config{
		rate:         8,
		burstEvery:   20 * time.Second,
		burstAt:      8 * time.Second,
		burstFor:     4 * time.Second,
		slowEvery:    4,
		jobEvery:     10 * time.Second,
		batchTimeout: 200 * time.Millisecond,
		syncEvery:    500 * time.Millisecond,
		syncHold:     150 * time.Millisecond,
		leakEvery:    2,
		leakMax:      5000,
	}
}

// Run runs the workload until ctx ends, exporting spans over OTLP/gRPC to
// endpoint, a host:port such as "127.0.0.1:4317", as RunWith does with the
// security the environment gives. When ctx ends it stops the load, flushes
// every service's spans and returns. It returns an error only when the
// workload cannot start.
func Run(ctx context.Context, endpoint string) error {
	return RunWith(ctx, Options{Endpoint: endpoint})
}

// Options say where and how the demo connects to spantop.
type Options struct {
	// Endpoint is spantop's OTLP/gRPC host:port.
	Endpoint string
	// TLS secures the connection; nil means TLS with the roots of
	// OTEL_EXPORTER_OTLP_CERTIFICATE when it is set, else plaintext.
	TLS *tls.Config
	// Headers go with every export, e.g. "authorization": "Bearer …" for
	// a spantop started with --token; OTEL_EXPORTER_OTLP_HEADERS adds to
	// them (the OTel SDK and agentlib read it).
	Headers map[string]string
}

// RunWith is Run with the connection's options.
func RunWith(ctx context.Context, o Options) error {
	return run(ctx, o, defaultConfig())
}

// transport returns the connection's credentials from o and the
// environment.
func (o Options) transport() (credentials.TransportCredentials, error) {
	if o.TLS != nil {
		return credentials.NewTLS(o.TLS), nil
	}
	file := os.Getenv("OTEL_EXPORTER_OTLP_CERTIFICATE")
	if file == "" {
		return insecure.NewCredentials(), nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("demo: OTEL_EXPORTER_OTLP_CERTIFICATE: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("demo: OTEL_EXPORTER_OTLP_CERTIFICATE %s: no PEM certificate in it", file)
	}
	return credentials.NewTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}), nil
}

// service is one traced service of the shop: its own resource, tracer
// provider and exporter, as it would be in a real deployment. The services
// share the process, and so its one connection to spantop.
type service struct {
	name   string
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	sig    *signals // logs and metrics (signals.go)
}

func newService(ctx context.Context, name string, conn *grpc.ClientConn, headers map[string]string, cfg config) (*service, error) {
	opts := []otlptracegrpc.Option{
		otlptracegrpc.WithGRPCConn(conn),
		otlptracegrpc.WithTimeout(5 * time.Second),
	}
	if len(headers) > 0 {
		opts = append(opts, otlptracegrpc.WithHeaders(headers))
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("demo: exporter for %s: %w", name, err)
	}
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", name),
		attribute.String("service.namespace", "shop"),
		attribute.String("service.instance.id", newID()),
		attribute.String("service.version", Version),
		attribute.String("host.name", host),
		attribute.Int("process.pid", os.Getpid()),
		attribute.String("deployment.environment.name", "demo"),
		attribute.String("telemetry.sdk.language", "go"),
		attribute.String("telemetry.sdk.name", "opentelemetry"),
	)
	// agentlib's processor sends spans in flight to spantop (only there).
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(agentlib.SpanProcessor()),
		sdktrace.WithBatcher(exp,
			sdktrace.WithBatchTimeout(cfg.batchTimeout),
			sdktrace.WithMaxQueueSize(8192),
		),
	)
	sig, err := newSignals(ctx, name, conn, headers, res, cfg)
	if err != nil {
		return nil, err
	}
	return &service{name: name, tp: tp, tracer: tp.Tracer("shop/" + name), sig: sig}, nil
}

// newID returns a random UUID-like string for service.instance.id.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "00000000-0000-4000-8000-000000000000"
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// propagator carries W3C trace context between the demo services.
var propagator = propagation.TraceContext{}

func run(ctx context.Context, o Options, cfg config) (err error) {
	endpoint := o.Endpoint
	creds, err := o.transport()
	if err != nil {
		return err
	}
	// One agentlib per process. A second run in the same process (tests)
	// goes on without it rather than fail.
	if stop, aerr := agentlib.Start(ctx, agentlib.Options{Endpoint: endpoint, ServiceName: "shop", TLS: o.TLS, Headers: o.Headers}); aerr == nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_ = stop(sctx) // best effort on the way out, like the providers' flush
		}()
	}
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return fmt.Errorf("demo: connection to %s: %w", endpoint, err)
	}
	defer func() { _ = conn.Close() }() // after the flush below: defers run last in, first out
	names := []string{"frontend", "checkout", "inventory", "payments", "auth", "shipping"}
	svcs := make(map[string]*service, len(names))
	defer func() {
		// Flush every provider even when ctx is already done: the spans of
		// the last moments are worth a bounded wait.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make([]error, 0, len(svcs))
		var mu sync.Mutex
		for _, s := range svcs {
			wg.Go(func() {
				if e := errors.Join(s.tp.Shutdown(sctx), s.sig.shutdown(sctx)); e != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("demo: flush %s: %w", s.name, e))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		// A failed flush on the way out (spantop already gone) is not the
		// workload failing; report it only when nothing else went wrong
		// and the caller did not ask us to stop.
		if err == nil && ctx.Err() == nil {
			err = errors.Join(errs...)
		}
	}()
	for _, n := range names {
		s, e := newService(ctx, n, conn, o.Headers, cfg)
		if e != nil {
			return e
		}
		svcs[n] = s
	}
	shop, err := startShop(svcs, cfg)
	if err != nil {
		return err
	}
	defer shop.close()
	shop.run(ctx)
	return nil
}
