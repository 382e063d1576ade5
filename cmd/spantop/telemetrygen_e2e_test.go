package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// telemetrygenBinary finds the OpenTelemetry Collector's load generator:
// $TELEMETRYGEN, the repository's bin/ (make tools puts it there), or PATH.
// CI must have it; elsewhere the test is skipped without it.
func telemetrygenBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TELEMETRYGEN"), filepath.Join("..", "..", "bin", "telemetrygen")} {
		if p == "" {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			if _, err := os.Stat(abs); err == nil {
				return abs
			}
		}
	}
	if p, err := exec.LookPath("telemetrygen"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("telemetrygen is required in CI (CI is set): run make tools")
	}
	t.Skip("telemetrygen not installed (make tools)")
	return ""
}

// The Collector's load generator, as its users run it — traces over gRPC
// and over HTTP, logs, and metrics — is counted exactly and raises no
// warning: its traces are a CLIENT span with SERVER children in one
// service, a healthy propagated call.
func TestTelemetrygenTrafficIsCountedExactlyAndQuiet(t *testing.T) {
	tg := telemetrygenBinary(t)
	tm := startTerm(t, 200, 50)
	tm.waitText("listening")
	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// A throttled rate: with none, telemetrygen's own SDK queue drops spans before sending.
		out, err := exec.CommandContext(ctx, tg, append(args, "--otlp-insecure", "--rate", "500")...).CombinedOutput()
		if err != nil {
			t.Fatalf("telemetrygen %v: %v\n%s", args, err, out)
		}
	}
	run("traces", "--otlp-endpoint", tm.grpc, "--traces", "150", "--child-spans", "3", "--workers", "2")
	run("traces", "--otlp-endpoint", tm.http, "--otlp-http", "--traces", "100", "--child-spans", "2")
	run("logs", "--otlp-endpoint", tm.grpc, "--logs", "250")
	run("metrics", "--otlp-endpoint", tm.http, "--otlp-http", "--metrics", "40", "--metric-type", "Histogram")

	// 2 workers × 150 traces × 4 spans, then 100 × 3.
	s := tm.waitText("received 1500 ", "spans 1500 ", "traces 400 ", "logs 250")
	if !strings.Contains(s, "no warnings") {
		t.Fatalf("warnings on telemetrygen's traffic:\n%s", s)
	}
	for _, bad := range []string{"rejected 0", "refused+dropped 0"} {
		if !strings.Contains(s, bad) {
			t.Fatalf("header lacks %q:\n%s", bad, s)
		}
	}
	// The operations: lets-go (the client) and okey-dokey-N (its servers).
	tm.keys("o")
	tm.waitText("lets-go", "okey-dokey-0", "okey-dokey-2")
	tm.keys("M")
	tm.waitText("1 of 1 metrics", "telemetrygen histogram")
	tm.keys("L")
	tm.waitText("of 250 logs", "the message")
	tm.keys("q")
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}
