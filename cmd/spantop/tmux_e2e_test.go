package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// These tests drive the real binary in a real terminal: tmux runs spantop
// detached at a fixed size, a real OTel SDK exporter sends spans over
// OTLP/gRPC, and `tmux capture-pane` shows what a person would see.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// spantopBinary builds cmd/spantop once per test run.
func spantopBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "spantop-e2e-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "spantop")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// TestMain lets the test binary stand in for spantop's own binary when the
// demo starts its workload as a child process (os.Executable is the test
// binary in Main tests) and for the accuracy test's app, and removes the
// binary the tmux tests built.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == demoWorkloadCommand {
		os.Exit(runDemoWorkload(os.Args[2:], os.Stderr))
	}
	if len(os.Args) > 2 && os.Args[1] == accuracyAppCommand {
		os.Exit(runAccuracyApp(os.Args[2]))
	}
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// needTmux skips without tmux, except in CI where the test must run.
func needTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is required in CI (CI is set): install it, e.g. apt-get install -y tmux")
		}
		t.Skip("tmux not installed")
	}
}

// freePort returns a loopback address nothing listens on (at the moment).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// term is spantop running in a private tmux server.
type term struct {
	t        *testing.T
	sock     string
	exitFile string
	log      string
	grpc     string
	http     string
}

func startTerm(t *testing.T, w, h int, args ...string) *term {
	t.Helper()
	needTmux(t)
	bin := spantopBinary(t)
	dir := t.TempDir()
	tm := &term{t: t, sock: filepath.Join(dir, "tmux.sock"), exitFile: filepath.Join(dir, "exit"), log: filepath.Join(dir, "spantop.log"),
		grpc: freePort(t), http: freePort(t)}
	// args first (a command, demo, must lead), the flags before a child's
	// command line (run -- CMD).
	own, child := args, []string(nil)
	if i := slices.Index(args, "--"); i >= 0 {
		own, child = args[:i], args[i:]
	}
	cmd := append(append(append([]string{bin}, own...), "--grpc", tm.grpc, "--http", tm.http, "--log", tm.log), child...)
	// The shell records spantop's exit status; the pane stays until then.
	shell := fmt.Sprintf("%s; echo $? > %s", shellJoin(cmd), tm.exitFile)
	tm.tmux("new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h),
		"-e", "TERM=xterm-256color", "-e", "NO_COLOR=", shell)
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run()
		if t.Failed() {
			if b, err := os.ReadFile(tm.log); err == nil {
				t.Logf("spantop log:\n%s", b)
			}
		}
	})
	return tm
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-t", "e2e") }

func (tm *term) keys(keys ...string) { tm.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...) }

// waitFor polls the screen until ok accepts it.
func (tm *term) waitFor(what string, ok func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		if ok(s) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
	return ""
}

func (tm *term) waitText(texts ...string) string {
	tm.t.Helper()
	return tm.waitFor(fmt.Sprintf("%q", texts), func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// waitExit waits for spantop to exit and returns its status.
func (tm *term) waitExit() int {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(tm.exitFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			code, err := strconv.Atoi(string(bytes.TrimSpace(b)))
			if err != nil {
				tm.t.Fatalf("exit file: %q", b)
			}
			return code
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("spantop did not exit; screen:\n%s", tm.screen())
	return -1
}

func grpcExporter(t *testing.T, endpoint string) sdktrace.SpanExporter {
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func httpExporter(t *testing.T, endpoint string) sdktrace.SpanExporter {
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

// sendSpans exports a small trace with the real SDK: a slow SERVER root
// with attributes and an event, a CLIENT child and n quick spans.
func sendSpans(t *testing.T, exp sdktrace.SpanExporter, n int) int {
	t.Helper()
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", "e2e-shop"),
			attribute.String("service.instance.id", "e2e-1"))),
	)
	tr := tp.Tracer("e2e")
	now := time.Now()
	rctx, root := tr.Start(ctx, "e2e-checkout", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(now.Add(-900*time.Millisecond)),
		trace.WithAttributes(attribute.String("e2e.marker", "needle"), attribute.String("http.route", "/e2e/checkout")))
	_, db := tr.Start(rctx, "e2e-select-orders", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(now.Add(-800*time.Millisecond)),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql")))
	db.End(trace.WithTimestamp(now.Add(-300 * time.Millisecond)))
	root.AddEvent("e2e-event")
	root.End(trace.WithTimestamp(now))
	for i := range n {
		_, s := tr.Start(ctx, "e2e-quick", trace.WithTimestamp(now.Add(-time.Millisecond)))
		s.SetAttributes(attribute.Int("i", i))
		s.End(trace.WithTimestamp(now))
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		t.Fatalf("export to spantop: %v", err)
	}
	return n + 2
}

// The header says "received N", or "recv N" when the terminal is narrow.
var receivedRE = regexp.MustCompile(`\b(?:received|recv) (\d+)`)

func received(screen string) int {
	m := receivedRE.FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestTmuxWide(t *testing.T) {
	tm := startTerm(t, 200, 50)
	tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
	sent := sendSpans(t, grpcExporter(t, tm.grpc), 20)

	s := tm.waitFor(fmt.Sprintf("received %d", sent), func(s string) bool {
		return received(s) == sent && strings.Contains(s, "e2e-checkout") && strings.Contains(s, "e2e-select-orders")
	})
	if !strings.Contains(s, "e2e-shop") {
		t.Errorf("service name missing:\n%s", s)
	}

	// Operations: one row per (service, name, kind), with percentiles.
	tm.keys("o")
	s = tm.waitText("operations", "p99", "e2e-quick")
	if !regexp.MustCompile(`e2e-quick\s.*\b20\b`).MatchString(s) {
		t.Errorf("operations view lacks e2e-quick with count 20:\n%s", s)
	}

	// Tasks sorted by total time: the slow root is first; enter opens it.
	tm.keys("t")
	tm.waitText("Total")
	tm.keys("g", "Enter")
	s = tm.waitText("trace id", "e2e.marker", "needle")
	if !strings.Contains(s, "e2e-checkout") || !strings.Contains(s, "e2e-event") {
		t.Errorf("details lack the span name or its event:\n%s", s)
	}
	tm.keys("Escape")
	tm.waitFor("the table again", func(s string) bool { return !strings.Contains(s, "trace id") && strings.Contains(s, "e2e-quick") })

	// space freezes the screen, and again resumes it.
	tm.keys("Space")
	tm.waitText("PAUSED")
	tm.keys("Space")
	tm.waitText("LIVE")

	tm.keys("q")
	if code := tm.waitExit(); code != 0 {
		t.Errorf("exit status %d after q, want 0", code)
	}
}

func TestTmuxSmall(t *testing.T) {
	tm := startTerm(t, 80, 24, "--ascii")
	tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
	sent := sendSpans(t, httpExporter(t, tm.http), 5) // OTLP/HTTP protobuf this time
	s := tm.waitFor(fmt.Sprintf("received %d", sent), func(s string) bool {
		return received(s) == sent && strings.Contains(s, "e2e-checkout")
	})
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 24 {
		t.Errorf("%d lines on a 24-line terminal", len(lines))
	}
	for i, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %d is %d cells wide: %q", i+1, n, l)
		}
	}
	tm.keys("o")
	tm.waitText("p50", "e2e-quick")
	tm.keys("t")
	tm.waitText("Total")
	tm.keys("g", "Enter")
	tm.waitText("trace id", "e2e-checkout")
	tm.keys("q")
	if code := tm.waitExit(); code != 0 {
		t.Errorf("exit status %d after q, want 0", code)
	}
}

func TestBinaryTakenPort(t *testing.T) {
	bin := spantopBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	addr := ln.Addr().String()

	cmd := exec.Command(bin, "--grpc", addr, "--http", freePort(t))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() == 0 {
		t.Fatalf("spantop on a taken port: %v, want a non-zero exit", err)
	}
	msg := stderr.String()
	if stdout.Len() != 0 || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, addr) || !strings.Contains(msg, "--grpc") {
		t.Errorf("stdout %q, stderr %q; want one line naming %s and --grpc", stdout.String(), msg, addr)
	}
}

func TestBinaryBadFlag(t *testing.T) {
	bin := spantopBinary(t)
	cmd := exec.Command(bin, "--max-memory", "lots")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("bad flag: %v, want exit status 2", err)
	}
	if !strings.Contains(stderr.String(), "--max-memory") {
		t.Errorf("stderr %q does not name the flag", stderr.String())
	}
}

// TestTmuxDemoRuntime runs `spantop demo` in a real terminal: the demo app
// (a child process running agentlib) fills the goroutines, the resources
// view with its hot mutex, goroutine details and the warnings panel.
func TestTmuxDemoRuntime(t *testing.T) {
	tm := startTerm(t, 200, 50, "demo")
	tm.waitFor("goroutines from the demo's execution trace", func(s string) bool {
		return regexp.MustCompile(`goroutines [1-9]`).MatchString(s) && regexp.MustCompile(`trace gens [1-9]`).MatchString(s)
	})
	tm.keys("r")
	tm.waitText("Resources", "agentlib.Mutex", "inventory.stock", "service")
	tm.keys("u")
	tm.waitText("Goid", "Wait")
	tm.keys("/")
	tm.keys("-l", "name=carrier-ack")
	tm.keys("Enter")
	// The editor closed and a leaked goroutine's row is there: the filter
	// and the header name carrier-ack and goroutines long before the demo
	// leaks its first one.
	leakRow := regexp.MustCompile(`(?m)^.*carrier-ack.*\bselect\b.*$`)
	tm.waitFor("a carrier-ack goroutine row", func(s string) bool {
		return strings.Contains(s, "(/ edits") && strings.Contains(s, "goroutines matching") && leakRow.MatchString(s)
	})
	tm.keys("g")
	tm.keys("Enter")
	s := tm.waitText("waits on", "Blocked at", "Created at", "idle by reason")
	if !strings.Contains(s, "select") {
		t.Errorf("the leaked goroutine does not wait in a select:\n%s", s)
	}
	tm.keys("Escape")
	time.Sleep(200 * time.Millisecond) // an Escape followed at once by a key reads as alt+key
	tm.keys("W")
	tm.waitText(" warnings ", "[--warn-")
	tm.keys("q")
	if code := tm.waitExit(); code != 0 {
		t.Errorf("exit status %d after q, want 0", code)
	}
	// The demo app went with spantop.
	logText, err := os.ReadFile(tm.log)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`workload running as process (\d+)`).FindSubmatch(logText)
	if m == nil {
		t.Fatalf("the log does not name the demo's process:\n%s", logText)
	}
	pid, _ := strconv.Atoi(string(m[1]))
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the demo process %d is still there after spantop exited (kill 0: %v)", pid, err)
	}
}
