package ingest

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/credentials"

	"github.com/spantop/spantop/internal/testcert"
)

// sendMany sends n spans through exp with the SDK's batcher and flushes.
func sendMany(t *testing.T, exp sdktrace.SpanExporter, n int) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(64)))
	tr := tp.Tracer("cross")
	for range n {
		_, sp := tr.Start(context.Background(), "op")
		sp.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("exporter: %v", err)
	}
}

// Either port serves either protocol: the real SDK gRPC exporter aimed at
// the HTTP port and the HTTP exporter aimed at the gRPC port deliver every
// span.
func TestEitherPortEitherProtocol(t *testing.T) {
	const n = 300
	s, q, _, c := testServer(t, Config{})
	grpcExp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(s.HTTPAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	sendMany(t, grpcExp, n)
	collect(t, q, n)
	httpExp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(s.GRPCAddr()), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	sendMany(t, httpExp, n)
	collect(t, q, n)
	if got := c.Received.Load(); got != 2*n {
		t.Errorf("received %d spans, want %d", got, 2*n)
	}
}

// Over TLS the gRPC exporter reaches the HTTP port too (net/http's HTTP/2
// hands it to the gRPC server), and an OTLP/HTTP client speaking HTTP/1.1
// reaches the gRPC port (one that negotiates h2 there meets gRPC: see
// split.go).
func TestEitherPortOverTLS(t *testing.T) {
	const n = 100
	certFile, keyFile, roots := testcert.Write(t, t.TempDir())
	s, q, _, c := testServer(t, Config{TLSCert: certFile, TLSKey: keyFile})
	tlsCfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	grpcExp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(s.HTTPAddr()),
		otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)))
	if err != nil {
		t.Fatal(err)
	}
	sendMany(t, grpcExp, n)
	collect(t, q, n)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}} // HTTP/1.1
	req, err := http.NewRequest(http.MethodPost, "https://"+s.GRPCAddr()+"/v1/traces", strings.NewReader(string(marshal(t, request(span("tls-http1"))))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctProtobuf)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 1 {
		t.Fatalf("HTTP/1.1 over TLS to the gRPC port: %s %s", resp.Proto, resp.Status)
	}
	collect(t, q, 1)
	if got := c.Received.Load(); got != n+1 {
		t.Errorf("received %d spans, want %d", got, n+1)
	}
}

// Browser preflights: loopback origins and --cors ones are answered,
// others get no CORS headers; the POST's answer names the origin too.
func TestCORSPreflight(t *testing.T) {
	s, q, _, _ := testServer(t, Config{CORS: []string{"https://app.example"}})
	preflight := func(addr, origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, "http://"+addr+"/v1/traces", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	for _, addr := range []string{s.HTTPAddr(), s.GRPCAddr()} {
		for origin, ok := range map[string]bool{
			"http://localhost:5173": true, "http://127.0.0.1:3000": true, "http://[::1]:8080": true,
			"https://app.example": true, "https://evil.example": false, "null": false,
		} {
			resp := preflight(addr, origin)
			got := resp.Header.Get("Access-Control-Allow-Origin")
			if ok && (resp.StatusCode != http.StatusNoContent || got != origin ||
				!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
				resp.Header.Get("Access-Control-Allow-Headers") != "content-type,authorization") {
				t.Errorf("%s %s: status %d, headers %v", addr, origin, resp.StatusCode, resp.Header)
			}
			if !ok && got != "" {
				t.Errorf("%s %s: allowed (%q)", addr, origin, got)
			}
		}
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr()+"/v1/traces", strings.NewReader(string(otlpJSON(t, request(span("web"))))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctJSON)
	req.Header.Set("Origin", "http://localhost:5173")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("POST: status %d, headers %v", resp.StatusCode, resp.Header)
	}
	nextBatch(t, q)
}
