package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spantop/spantop/internal/testcert"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

// testMain returns a Main on free loopback ports with its log in a file.
func testMain(t *testing.T) *Main {
	t.Helper()
	m := NewMain()
	m.Config.GRPCAddr = "127.0.0.1:0"
	m.Config.HTTPAddr = "127.0.0.1:0"
	m.Config.LogFile = filepath.Join(t.TempDir(), "spantop.log")
	return m
}

// sawDBAndConsumer reports whether the operations include a database query
// and the orders consumer.
func sawDBAndConsumer(ops []model.OpRow) bool {
	var db, consumer bool
	for _, op := range ops {
		db = db || strings.HasPrefix(op.Name, "SELECT ")
		consumer = consumer || op.Name == "process orders"
	}
	return db && consumer
}

// TestDemoFillsTheModel runs `spantop demo` in process with a UI stand-in
// that watches the model: the built-in workload must reach it through the
// real receivers and queue, and everything must stop when the UI returns.
func TestDemoFillsTheModel(t *testing.T) {
	m := testMain(t)
	m.Config.Command = "demo"
	var last model.Header
	var ops model.Page[model.OpRow]
	m.UI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
		if !strings.Contains(opts.Listen, "grpc 127.0.0.1:") || !strings.Contains(opts.Listen, "http 127.0.0.1:") {
			t.Errorf("Listen = %q, want both bound addresses", opts.Listen)
		}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			last = src.Header()
			ops = src.Operations(model.Query{Limit: 100})
			if last.Services >= 5 && last.Spans >= 200 && sawDBAndConsumer(ops.Rows) {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("timed out waiting for demo spans, a db query and the consumer; operations: %+v", ops.Rows)
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v (last header %+v)", err, last)
	}
	t.Logf("header after %v: %+v", time.Since(start).Round(time.Millisecond), last)
	// After Run the receivers are closed.
	if c, err := net.DialTimeout("tcp", m.Server.GRPCAddr(), time.Second); err == nil {
		_ = c.Close()
		t.Error("gRPC receiver still accepts connections after Run returned")
	}
	logText, err := os.ReadFile(m.Config.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logText), "demo: exporting to 127.0.0.1:") || !strings.Contains(string(logText), "stopped:") {
		t.Errorf("log lacks the expected lines:\n%s", logText)
	}
}

func TestTakenPortFailsOpen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	addr := ln.Addr().String()

	m := testMain(t)
	m.Config.GRPCAddr = addr
	err = m.Open()
	if err == nil {
		_ = m.Close()
		t.Fatal("Open succeeded on a taken port")
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "--grpc") || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %q should name %s and --grpc and wrap EADDRINUSE", err, addr)
	}

	// Through run: one line on stderr, nothing on stdout, exit 1.
	var out, errs bytes.Buffer
	code := run([]string{"--grpc", "127.0.0.1:0", "--http", addr}, &out, &errs)
	if code == 0 || out.Len() != 0 || strings.Count(errs.String(), "\n") != 1 ||
		!strings.Contains(errs.String(), addr) || !strings.Contains(errs.String(), "--http") {
		t.Errorf("exit %d, stdout %q, stderr %q; want non-zero and one line naming %s and --http", code, out.String(), errs.String(), addr)
	}
}

// Open fills in the real UI and demo when the caller did not replace them.
func TestOpenDefaultsToRealParts(t *testing.T) {
	m := testMain(t)
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	if m.UI == nil || m.Demo == nil {
		t.Fatal("Open left UI or Demo nil")
	}
}

// TestDemoWithTokenAndTLS runs `spantop demo` with --token and
// --tls-cert/--tls-key: the demo's child process (SDK exporters and
// agentlib) gets through with the token and the certificate given in the
// standard OTLP environment, no request is refused, and the header says
// that token and TLS are on.
func TestDemoWithTokenAndTLS(t *testing.T) {
	m := testMain(t)
	m.Config.Command = "demo"
	m.Config.Token = "demo-token"
	m.Config.TLSCert, m.Config.TLSKey, _ = testcert.Write(t, t.TempDir())
	var last model.Header
	m.UI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
		if !strings.HasPrefix(opts.Listen, "token+TLS  grpc 127.0.0.1:") {
			t.Errorf("Listen = %q, want it to start with token+TLS", opts.Listen)
		}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			last = src.Header()
			if last.Services >= 5 && last.Spans >= 100 && last.Goroutines > 0 {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("timed out waiting for demo spans and goroutines over TLS with the token")
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v (last header %+v)", err, last)
	}
	if last.Unauthenticated != 0 || last.Rejected != 0 {
		t.Errorf("header %+v: requests refused", last)
	}
}

func TestProtectionInHeader(t *testing.T) {
	m := testMain(t)
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.protection(); got != "" {
		t.Errorf("loopback, no token: %q", got)
	}
	m.Config.Token = "x"
	if got := m.protection(); got != "token  " {
		t.Errorf("loopback with token: %q", got)
	}
}
