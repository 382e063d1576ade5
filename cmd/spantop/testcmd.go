package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/spantop/spantop/agentlib"
	"github.com/spantop/spantop/agentlib/testtrace"
)

// `spantop test` runs `go test -json` as its child and turns its events
// into spans: the run, each package, each test and subtest, in flight
// while they run. The spans go to spantop's own OTLP/gRPC listener, so
// they take the path received spans take (ingest → queue → model). The
// test binaries get TRACEPARENT naming the run's span and
// testtrace.RunEnv, so their own spans (agentlib/spantoptest) join their
// test's span; spans of any other SDK reading TRACEPARENT join the run.

// parseCommandLine is ParseArgs, except that the arguments of `spantop
// test` that are go test's are returned apart.
func parseCommandLine(args []string, env func(string) string) (Config, []string, error) {
	if len(args) == 0 || args[0] != "test" {
		cfg, err := ParseArgs(args, env)
		return cfg, nil, err
	}
	own, goTest := splitTestArgs(args[1:])
	cfg, err := ParseArgs(append([]string{"test"}, own...), env)
	return cfg, goTest, err
}

// splitTestArgs takes spantop's own flags (with two dashes, as spantop
// documents them) from the front of `spantop test`'s arguments; the rest,
// from the first other argument or after "--", is go test's.
func splitTestArgs(args []string) (own, goTest []string) {
	cfg := DefaultConfig()
	fs := newFlagSet(&cfg)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return own, args[i+1:]
		}
		if !strings.HasPrefix(a, "--") {
			return own, args[i:]
		}
		name, _, hasValue := strings.Cut(a[2:], "=")
		f := fs.Lookup(name)
		if f == nil {
			return own, args[i:]
		}
		own = append(own, a)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); hasValue || (ok && b.IsBoolFlag()) {
			continue
		}
		if i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	return own, nil
}

// testEvent is one line of go test -json (cmd/test2json).
type testEvent struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// Limits: a test's output kept for its span's events, and how long a span
// runs before it is shown in flight (as agentlib does).
const (
	testOutputLines  = 40
	testOutputLine   = 300
	testInflightWait = 250 * time.Millisecond
	testSnapshotTick = 500 * time.Millisecond
)

// testKey names a span of the run: a package (test "") or a test.
type testKey struct{ pkg, test string }

type testSpan struct {
	span  trace.Span
	start time.Time
	out   []testEvent // the last testOutputLines lines of output
}

// testRun turns the events into spans. One goroutine (feed) starts and
// ends spans; the snapshot loop sends those running; mu keeps a snapshot
// from being sent after its span's end.
type testRun struct {
	run    trace.TraceID
	rootID trace.SpanID
	exp    *agentlib.SpanExporter
	root   trace.Span
	// tracers has one provider per package, its service.
	providers map[string]*sdktrace.TracerProvider
	rootTP    *sdktrace.TracerProvider

	// module is the main module's path: packages in it are services
	// named by their path inside it, which fits a column.
	module string

	mu   sync.Mutex
	live map[testKey]*testSpan
	seq  int64
}

// wantID carries the span ID a span is to have to the ID generator.
type wantID struct{}

// chosenIDs gives each span the ID the run chose for it (testtrace.SpanID),
// so that the test binaries can name their test's span.
type chosenIDs struct{ run trace.TraceID }

func (g chosenIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	return g.run, g.NewSpanID(ctx, g.run)
}

func (g chosenIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	id, _ := ctx.Value(wantID{}).(trace.SpanID)
	return id
}

func newTestRun(exp *agentlib.SpanExporter) *testRun {
	r := &testRun{exp: exp, providers: map[string]*sdktrace.TracerProvider{}, live: map[testKey]*testSpan{}}
	_, _ = rand.Read(r.run[:])
	_, _ = rand.Read(r.rootID[:])
	r.rootTP = r.provider("go test")
	return r
}

func (r *testRun) provider(service string) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(
		sdktrace.WithIDGenerator(chosenIDs{r.run}),
		sdktrace.WithBatcher(sharedExporter{r.exp}, sdktrace.WithBatchTimeout(200*time.Millisecond)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
}

// sharedExporter is the run's exporter as each provider sees it: a
// provider's Shutdown must not close the connection the others use.
type sharedExporter struct{ *agentlib.SpanExporter }

func (sharedExporter) Shutdown(context.Context) error { return nil }

// service names a package's spans: its path inside the main module,
// else its import path.
func (r *testRun) service(pkg string) string {
	switch {
	case r.module == "":
	case pkg == r.module:
		return path.Base(pkg)
	case strings.HasPrefix(pkg, r.module+"/"):
		return strings.TrimPrefix(pkg, r.module+"/")
	}
	return pkg
}

// mainModule is the path of the module go test runs in, or "".
func mainModule() string {
	out, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// traceparent is the TRACEPARENT value naming the run's span.
func (r *testRun) traceparent() string {
	return fmt.Sprintf("00-%s-%s-01", r.run, r.rootID)
}

func (r *testRun) startRoot(name string, at time.Time) {
	ctx := context.WithValue(context.Background(), wantID{}, r.rootID)
	_, r.root = r.rootTP.Tracer("spantop test").Start(ctx, name, trace.WithTimestamp(at), trace.WithSpanKind(trace.SpanKindInternal))
	r.mu.Lock()
	r.live[rootKey] = &testSpan{span: r.root, start: at}
	r.mu.Unlock()
}

// start begins the span of k (and of its package or parent test, if
// go test has not said they started).
func (r *testRun) start(k testKey, at time.Time) *testSpan {
	if s := r.live[k]; s != nil {
		return s
	}
	parentID := r.rootID
	switch {
	case k.test != "":
		parent := testKey{pkg: k.pkg, test: testtrace.Parent(k.test)}
		r.start(parent, at)
		parentID = testtrace.SpanID(r.run, parent.pkg, parent.test)
	}
	tp := r.providers[k.pkg]
	if tp == nil {
		tp = r.provider(r.service(k.pkg))
		r.providers[k.pkg] = tp
	}
	pctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: r.run, SpanID: parentID, TraceFlags: trace.FlagsSampled}))
	ctx := context.WithValue(pctx, wantID{}, testtrace.SpanID(r.run, k.pkg, k.test))
	// The name says which test; the result (set at the end) is the one
	// attribute, so that the Fields column shows it.
	name := k.test
	var attrs []attribute.KeyValue
	if k.test == "" {
		// A package is named as its service, by its path in the module.
		name, attrs = r.service(k.pkg), []attribute.KeyValue{attribute.String("test.suite.name", k.pkg)}
	}
	_, sp := tp.Tracer("spantop test").Start(ctx, name, trace.WithTimestamp(at), trace.WithAttributes(attrs...))
	s := &testSpan{span: sp, start: at}
	r.live[k] = s
	return s
}

// handle applies one event. The caller holds r.mu.
func (r *testRun) handle(e testEvent) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Action == "build-output" || e.Package == "" {
		r.rootOutput(e) // a build error says why a package failed
		return
	}
	k := testKey{pkg: e.Package, test: e.Test}
	switch e.Action {
	case "start", "run":
		r.start(k, e.Time)
	case "output":
		s := r.start(k, e.Time)
		if len(s.out) == testOutputLines {
			s.out = append(s.out[:0], s.out[1:]...)
		}
		s.out = append(s.out, e)
	case "pass", "fail", "skip":
		s := r.start(k, e.Time)
		r.end(k, s, e)
	}
}

// end finishes a test's or package's span with its outcome: a failure is
// an error with the failing lines as the status and all its output as
// events; a skip says so, with its reason.
func (r *testRun) end(k testKey, s *testSpan, e testEvent) {
	delete(r.live, k)
	result := map[string]string{"pass": "pass", "fail": "fail", "skip": "skipped"}[e.Action]
	s.span.SetAttributes(attribute.String("test.case.result.status", result))
	if e.Action != "pass" {
		for _, o := range s.out {
			line := strings.TrimRight(o.Output, "\n")
			if line == "" || strings.HasPrefix(strings.TrimSpace(line), "=== ") {
				continue
			}
			s.span.AddEvent(sanitizeLine(line), trace.WithTimestamp(o.Time))
		}
	}
	if e.Action == "fail" {
		s.span.SetStatus(codes.Error, failureMessage(s.out, k))
	}
	s.span.End(trace.WithTimestamp(maxTime(e.Time, s.start)))
}

// rootKey is the run's own span among the live ones.
var rootKey = testKey{pkg: "\x00root"}

// rootOutput keeps a line for the run's span: go test's own messages and
// build errors, shown as its events when the run fails. The caller holds
// r.mu.
func (r *testRun) rootOutput(e testEvent) {
	s := r.live[rootKey]
	if s == nil || strings.TrimSpace(e.Output) == "" {
		return
	}
	if len(s.out) == testOutputLines {
		s.out = append(s.out[:0], s.out[1:]...)
	}
	s.out = append(s.out, e)
}

// stderrLines is go test's stderr: each line goes to the log and to the
// run's span.
type stderrLines struct {
	r   *testRun
	log io.Writer
}

func (w stderrLines) Write(p []byte) (int, error) {
	_, _ = w.log.Write(p)
	w.r.mu.Lock()
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.r.rootOutput(testEvent{Time: time.Now(), Output: l})
	}
	w.r.mu.Unlock()
	return len(p), nil
}

func maxTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// failureMessage is the first line a test wrote that says where it
// failed (file.go:N: …), else "FAIL".
func failureMessage(out []testEvent, k testKey) string {
	for _, o := range out {
		line := strings.TrimSpace(o.Output)
		if i := strings.Index(line, ".go:"); i > 0 && !strings.HasPrefix(line, "---") {
			return sanitizeLine(line)
		}
	}
	if k.test == "" {
		return "FAIL " + k.pkg
	}
	return "FAIL " + k.test
}

func sanitizeLine(s string) string {
	if len(s) > testOutputLine {
		s = strings.ToValidUTF8(s[:testOutputLine], "") + "…" // the cut may split a rune
	}
	return s
}

// snapshots sends the spans running longer than testInflightWait as
// in-flight snapshots until ctx ends.
func (r *testRun) snapshots(ctx context.Context) {
	t := time.NewTicker(testSnapshotTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		r.seq++
		var spans []sdktrace.ReadOnlySpan
		for _, s := range r.live {
			if ro, ok := s.span.(sdktrace.ReadOnlySpan); ok && time.Since(s.start) >= testInflightWait {
				spans = append(spans, ro)
			}
		}
		if len(spans) > 0 {
			// Under mu: no span ends (and is queued) before its snapshot is sent.
			_ = r.exp.ExportInFlight(ctx, spans, r.seq)
		}
		r.mu.Unlock()
	}
}

// finish ends what is still open (a package cut short), then the run,
// and flushes every span.
func (r *testRun) finish(exitErr error) {
	r.mu.Lock()
	now := time.Now()
	for k, s := range r.live {
		if k == rootKey {
			continue
		}
		r.end(k, s, testEvent{Time: now, Action: "fail", Package: k.pkg, Test: k.test})
	}
	if r.root != nil {
		if exitErr != nil {
			for _, o := range r.live[rootKey].out {
				r.root.AddEvent(sanitizeLine(strings.TrimRight(o.Output, "\n")), trace.WithTimestamp(o.Time))
			}
			r.root.SetStatus(codes.Error, "go test: "+exitErr.Error())
		}
		r.root.End(trace.WithTimestamp(now))
		delete(r.live, rootKey)
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, tp := range r.providers {
		_ = tp.Shutdown(ctx)
	}
	_ = r.rootTP.Shutdown(ctx)
	_ = r.exp.Shutdown(ctx)
}

// goTestRun is how a go test run is wired into Main: under `spantop
// test` (the zero value) and `spantop snapshot -- go test …`, where it
// takes the place of the command's plain child.
type goTestRun struct {
	// child is set when snapshot runs its command as spantop test does.
	child bool
	// goBin is the go command; "" is "go" from PATH.
	goBin string
	// echo writes go test's text where the user sees it (snapshot: its
	// stderr); nil under spantop test, whose TUI owns the terminal.
	echo *goTestEcho
	// done, when not nil, is closed once go test has ended and the run's
	// spans are flushed; err then says why go test did not run, if so.
	done chan struct{}
	err  error
}

// goTestCommand returns go test's arguments when a command is `go test
// …` (the go binary, by any path, with test first).
func goTestCommand(args []string) ([]string, bool) {
	if len(args) < 2 || args[1] != "test" {
		return nil, false
	}
	if b := path.Base(strings.ReplaceAll(args[0], "\\", "/")); b != "go" && b != "go.exe" {
		return nil, false
	}
	return args[2:], true
}

// runTests is `spantop test`'s workload: go test -json as a child, its
// events as spans sent to this spantop, until go test ends (spantop then
// stays open) or ctx does (go test is interrupted).
func (m *Main) runTests(ctx context.Context) (err error) {
	if m.goTest.done != nil {
		defer func() {
			m.goTest.err = err
			close(m.goTest.done)
		}()
	}
	endpoint := m.Server.GRPCAddr()
	exp, err := agentlib.NewSpanExporter(agentlib.Options{Endpoint: endpoint})
	if err != nil {
		m.testExit.Store(1)
		return err
	}
	r := newTestRun(exp)
	r.module = mainModule()
	args := append([]string{"test", "-json"}, m.TestArgs...)
	goBin := m.goTest.goBin
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.Command(goBin, args...)
	cmd.Env = append(childEnv(environ(), endpoint, m.Server.HTTPAddr()),
		"TRACEPARENT="+r.traceparent(), testtrace.RunEnv+"="+r.run.String())
	var stderr io.Writer = m.Log.Writer()
	if m.goTest.echo != nil {
		stderr = io.MultiWriter(stderr, m.goTest.echo.w)
	}
	cmd.Stderr = stderrLines{r: r, log: stderr}
	cmd.SysProcAttr = testProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	r.startRoot("go "+strings.Join(args, " "), time.Now())
	if err := cmd.Start(); err != nil {
		r.finish(err)
		m.testExit.Store(1)
		return fmt.Errorf("starting go test: %w", err)
	}
	m.Log.Printf("test: %s running as process %d, trace %s", strings.Join(cmd.Args, " "), cmd.Process.Pid, r.run)
	sctx, stopSnapshots := context.WithCancel(ctx)
	go r.snapshots(sctx)
	// Interrupt go test and its test binaries (one process group) when
	// spantop stops first.
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			interruptTests(cmd.Process)
		case <-stopped:
		}
	}()
	events := feedEvents(stdout, r, m, m.goTest.echo)
	waitErr := cmd.Wait()
	close(stopped)
	stopSnapshots()
	r.finish(waitErr)
	m.testExit.Store(int32(exitCode(cmd, waitErr)))
	m.Log.Printf("test: go test ended (%v) after %d events", waitErr, events)
	if ctx.Err() != nil {
		return nil
	}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) {
		return waitErr
	}
	return nil
}

// feedEvents reads go test -json until EOF; a line that is not an event
// (go test prints some build errors as text) is logged.
func feedEvents(out io.Reader, r *testRun, m *Main, echo *goTestEcho) int {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	n := 0
	for sc.Scan() {
		var e testEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			m.Log.Printf("test: %s", sc.Bytes())
			if echo != nil {
				echo.line(sc.Bytes(), nil)
			}
			continue
		}
		n++
		if echo != nil {
			echo.line(sc.Bytes(), &e)
		}
		r.mu.Lock()
		r.handle(e)
		r.mu.Unlock()
	}
	return n
}
