package ingest

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/credentials"

	"github.com/spantop/spantop/internal/testcert"
)

const testToken = "s3cret-token"

// exportOnce sends one span through exp and returns the exporter's error.
func exportOnce(t *testing.T, exp sdktrace.SpanExporter) error {
	t.Helper()
	tp := sdktrace.NewTracerProvider()
	_, sp := tp.Tracer("auth").Start(context.Background(), "op")
	sp.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := exp.ExportSpans(ctx, []sdktrace.ReadOnlySpan{sp.(sdktrace.ReadOnlySpan)})
	_ = exp.Shutdown(ctx)
	return err
}

// Requests without the token, or with a wrong one, are refused
// UNAUTHENTICATED / 401 and counted; with it they are served. The real
// SDK exporters send it as OTEL_EXPORTER_OTLP_HEADERS would.
func TestTokenRequired(t *testing.T) {
	s, q, _, c := testServer(t, Config{Token: testToken})
	for _, tc := range []struct {
		name    string
		headers map[string]string
		ok      bool
	}{
		{"none", nil, false},
		{"wrong", map[string]string{"Authorization": "Bearer nope"}, false},
		{"bare", map[string]string{"Authorization": testToken}, false},
		{"right", map[string]string{"Authorization": "Bearer " + testToken}, true},
	} {
		grpcExp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(s.GRPCAddr()),
			otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(tc.headers), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		if err != nil {
			t.Fatal(err)
		}
		httpExp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(s.HTTPAddr()),
			otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(tc.headers), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		if err != nil {
			t.Fatal(err)
		}
		for proto, exp := range map[string]sdktrace.SpanExporter{"grpc": grpcExp, "http": httpExp} {
			before := c.Unauthenticated.Load()
			err := exportOnce(t, exp)
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s %s: %v", tc.name, proto, err)
			case tc.ok:
				nextBatch(t, q)
			case err == nil:
				t.Errorf("%s %s: accepted without the token", tc.name, proto)
			case proto == "grpc" && !strings.Contains(err.Error(), "Unauthenticated"):
				t.Errorf("%s %s: %v, want Unauthenticated", tc.name, proto, err)
			case proto == "http" && !strings.Contains(err.Error(), "401"):
				t.Errorf("%s %s: %v, want 401", tc.name, proto, err)
			}
			if got := c.Unauthenticated.Load() - before; got != map[bool]int64{true: 0, false: 1}[tc.ok] {
				t.Errorf("%s %s: unauthenticated counted %d", tc.name, proto, got)
			}
		}
	}
}

// With --tls-cert/--tls-key both listeners serve TLS (and the token), and
// a plaintext client gets nothing.
func TestTLSBothListeners(t *testing.T) {
	certFile, keyFile, roots := testcert.Write(t, t.TempDir())
	s, q, syms, _ := testServer(t, Config{TLSCert: certFile, TLSKey: keyFile, Token: testToken})
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	tlsCfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}

	grpcExp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(s.GRPCAddr()),
		otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)), otlptracegrpc.WithHeaders(auth))
	if err != nil {
		t.Fatal(err)
	}
	ids := sendWithSDK(t, grpcExp)
	checkSDKSpans(t, collect(t, q, 3), syms, ids)

	httpExp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(s.HTTPAddr()),
		otlptracehttp.WithTLSClientConfig(tlsCfg), otlptracehttp.WithHeaders(auth))
	if err != nil {
		t.Fatal(err)
	}
	ids = sendWithSDK(t, httpExp)
	checkSDKSpans(t, collect(t, q, 3), syms, ids)

	plain, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(s.HTTPAddr()),
		otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(auth), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	if err := exportOnce(t, plain); err == nil {
		t.Error("plaintext HTTP export to a TLS listener succeeded")
	}
}

func TestTLSConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{TLSCert: "only-cert.pem"},
		{TLSCert: "missing.pem", TLSKey: "missing-key.pem"},
	} {
		cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
		s := NewServer(cfg, nil, nil, NewQueue(0, nil))
		err := s.Start()
		if err == nil || !strings.Contains(err.Error(), "--tls-") {
			t.Errorf("%+v: err %v", cfg, err)
		}
		_ = s.Shutdown(context.Background())
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:4317": true, "localhost:4317": true, "[::1]:4318": true, "127.9.9.9:1": true,
		"0.0.0.0:4317": false, "[::]:4318": false, ":4317": false, "example.org:4317": false, "192.168.1.2:4317": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}
