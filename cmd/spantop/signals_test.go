package main

import (
	"context"
	"errors"
	oteltrace "go.opentelemetry.io/otel/trace"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/spantop/spantop/ui"
)

// watchForTest starts the signal watcher with its exit recorded instead of
// taken. The exit code is sent on the returned channel.
func watchForTest(t *testing.T) (context.Context, *signals, chan int) {
	t.Helper()
	exited := make(chan int, 1)
	ctx, s := watchSignalsExit(context.Background(), io.Discard, func(code int) { exited <- code })
	t.Cleanup(s.stop)
	return ctx, s, exited
}

func TestSignalCancelsThenSecondSignalExits(t *testing.T) {
	ctx, s, exited := watchForTest(t)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("SIGHUP did not cancel the context")
	}
	if s.received() != syscall.SIGHUP {
		t.Errorf("received() = %v, want SIGHUP", s.received())
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 128+int(syscall.SIGHUP) {
			t.Errorf("exit code %d, want %d (128+SIGHUP)", code, 128+int(syscall.SIGHUP))
		}
	case <-time.After(time.Second):
		t.Fatal("a second signal did not end the process at once")
	}
}

func TestSignalStuckShutdownExitsAfterTheWait(t *testing.T) {
	_, _, exited := watchForTest(t)
	start := time.Now()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if took := time.Since(start); took < signalExitWait-100*time.Millisecond {
			t.Errorf("exited after %v, before the shutdown's %v", took, signalExitWait)
		}
		if code != 143 {
			t.Errorf("exit code %d, want 143", code)
		}
	case <-time.After(signalExitWait + 2*time.Second):
		t.Fatal("a stuck shutdown was not cut short")
	}
}

func TestSignalStopBeforeAnySignal(t *testing.T) {
	ctx, s, exited := watchForTest(t)
	s.stop()
	if ctx.Err() == nil {
		t.Error("stop did not end the context")
	}
	select {
	case code := <-exited:
		t.Errorf("exit(%d) without a signal", code)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestShutdownClientsGetUnavailable stops spantop (as a signal does, by
// ending Run's context) while a client keeps exporting: every export
// returns within the shutdown's budget, with OK or UNAVAILABLE, never a
// hang; and the shutdown itself keeps to its budget.
func TestShutdownClientsGetUnavailable(t *testing.T) {
	m := testMain(t)
	uiUp := make(chan struct{})
	m.UI = func(ctx context.Context, _ ui.Source, _ ui.Options) error {
		close(uiUp)
		<-ctx.Done()
		return nil
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(ctx) }()
	<-uiUp

	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(m.Server.GRPCAddr()), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = exp.Shutdown(context.Background()) }()
	stubs := make(tracetest.SpanStubs, 200)
	for i := range stubs {
		stubs[i].Name = "shutdown-client"
		// Valid IDs: an all-zero trace or span ID is rejected (OTLP).
		stubs[i].SpanContext = oteltrace.NewSpanContext(oteltrace.SpanContextConfig{
			TraceID: oteltrace.TraceID{1, byte(i)}, SpanID: oteltrace.SpanID{1, byte(i)}})
		stubs[i].Attributes = []attribute.KeyValue{attribute.Int("i", i)}
	}
	spans := stubs.Snapshots()
	var sent, unavailable atomic.Int64
	clientDone := make(chan error, 1)
	go func() {
		for {
			ectx, ecancel := context.WithTimeout(context.Background(), 5*time.Second)
			start := time.Now()
			err := exp.ExportSpans(ectx, spans)
			ecancel()
			switch {
			case err == nil:
				sent.Add(1)
				continue
			case status.Code(errors.Unwrap(err)) == codes.Unavailable || status.Code(err) == codes.Unavailable:
				unavailable.Add(1)
				clientDone <- nil
			default:
				clientDone <- err
			}
			if took := time.Since(start); took > shutdownBudget {
				t.Errorf("an export took %v during the shutdown", took)
			}
			return
		}
	}()
	time.Sleep(200 * time.Millisecond)
	stopAt := time.Now()
	cancel()
	select {
	case err := <-runDone:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if took := time.Since(stopAt); took > shutdownBudget+200*time.Millisecond {
		t.Errorf("shutdown took %v, budget %v", took, shutdownBudget)
	}
	select {
	case err := <-clientDone:
		if err != nil {
			t.Errorf("the client's export ended with %v, want UNAVAILABLE", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the client hangs after spantop stopped")
	}
	if sent.Load() == 0 {
		t.Error("no export succeeded before the shutdown")
	}
	t.Logf("%d exports accepted, then UNAVAILABLE", sent.Load())
}

// TestShutdownFlushesInOrder: a step added with atStop (a recorder's
// flush) runs once the receivers no longer accept connections, within the
// shutdown, and before Run returns.
func TestShutdownFlushesInOrder(t *testing.T) {
	m := testMain(t)
	m.UI = func(ctx context.Context, _ ui.Source, _ ui.Options) error { return nil }
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	addr := m.Server.GRPCAddr()
	var order []string
	m.atStop("first flush", time.Second, func(ctx context.Context) error {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			order = append(order, "receivers still open")
		}
		if _, ok := ctx.Deadline(); !ok {
			order = append(order, "no deadline")
		}
		order = append(order, "first")
		return nil
	})
	m.atStop("second flush", time.Second, func(context.Context) error {
		order = append(order, "second")
		return nil
	})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ", "); got != "first, second" {
		t.Errorf("flush steps saw %q, want %q", got, "first, second")
	}
}
