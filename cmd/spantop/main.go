// Command spantop is top for OpenTelemetry: it receives OTLP from your
// applications and shows their spans, operations and services live in the
// terminal. `spantop demo` also runs a built-in workload that sends to it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/stdr"
	"go.opentelemetry.io/otel"
	"google.golang.org/grpc/grpclog"

	"github.com/spantop/spantop/gotrace"
	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/ingest/forward"
	"github.com/spantop/spantop/ingest/record"
	"github.com/spantop/spantop/internal/hugepages"
	"github.com/spantop/spantop/internal/tracefeed"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

func main() {
	hugepages.Start() // the store's heap in huge pages (see the package)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == demoWorkloadCommand {
		return runDemoWorkload(args[1:], stderr)
	}
	cfg, testArgs, err := parseCommandLine(args, os.Getenv)
	var ue usageError
	switch {
	case errors.Is(err, errHelp):
		Usage(stdout)
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "spantop: %s (see 'spantop help')\n", ue.msg)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 2
	}
	switch cfg.Command {
	case "help":
		Usage(stdout)
		return 0
	case "version":
		fmt.Fprintf(stdout, "spantop %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}

	limitHeap(cfg, os.Getenv)
	ctx, sigs := watchSignals(context.Background(), stderr)
	defer sigs.stop()
	if code, ok := runAround(ctx, cfg, stdout, stderr); ok {
		return code
	}
	m := NewMain()
	m.Config = cfg
	m.TestArgs = testArgs
	if err := m.Open(); err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	if err := checkTerminal(); err != nil { // after Open: a taken port is the first thing to hear of
		_ = m.Close()
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	err = m.Run(ctx)
	if sig := sigs.received(); sig != nil {
		return exitStatus(sig)
	}
	if err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	return int(m.testExit.Load())
}

// Main is the program with its parts. Open builds and binds them, Run runs
// the UI until the user quits and then shuts everything down in order.
// End-to-end tests reuse it with their own UI and demo functions.
type Main struct {
	Config Config
	// TestArgs are go test's arguments under `spantop test`.
	TestArgs []string

	// UI runs the terminal UI until the user quits or ctx ends; nil means
	// ui.Run.
	UI func(ctx context.Context, src ui.Source, opts ui.Options) error
	// Demo runs the built-in workload against endpoint for `spantop demo`;
	// nil means a child process running demo.Run (see demoProcess).
	Demo func(ctx context.Context, endpoint string) error

	Model  *model.Model
	Queue  *ingest.Queue
	Server *ingest.Server
	// Traces reads the execution traces agentlib apps send.
	Traces *gotrace.Reader

	// flushes run in the shutdown once the receivers have stopped and
	// before the queue and the model's writer do (see atStop).
	flushes []shutdownStep

	// testExit is go test's exit status under `spantop test`, which
	// spantop exits with.
	testExit atomic.Int32
	// goTest wires a go test run in (testcmd.go).
	goTest goTestRun

	// workloadEnded says why the workload (the demo's shop, go test)
	// ended before spantop asked it to; the header shows it.
	workloadEnded atomic.Pointer[string]

	// runtimeDropped counts trace generations the queue refused.
	runtimeDropped atomic.Int64

	// Around the core (record.go, run.go): the recording, the forwarding
	// targets, the child process, and what went wrong with them.
	recorder   *record.Recorder
	forwards   []*forward.Target
	child      *child
	aroundErrs []string

	// Log receives diagnostics: the --log file, or nothing.
	Log     *log.Logger
	logFile *os.File
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig()}
}

// Open sets up logging, builds the model, the queue and the receivers, and
// binds the listeners. A listen error names the address and the flag.
func (m *Main) Open() error {
	if m.UI == nil {
		m.UI = ui.Run
	}
	if m.Demo == nil {
		m.Demo = m.demoProcess
	}
	var w io.Writer = io.Discard
	if m.Config.LogFile != "" {
		f, err := os.OpenFile(m.Config.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		m.logFile, w = f, f
	}
	m.Log = log.New(w, "", log.LstdFlags|log.Lmicroseconds)
	captureLibraryLogs(w)

	m.Model = model.New(modelConfig(m.Config))
	icfg := ingest.Config{
		GRPCAddr:    m.Config.GRPCAddr,
		HTTPAddr:    m.Config.HTTPAddr,
		MaxMessage:  int(m.Config.MaxMessage),
		MaxInflight: ingest.InflightBound(m.Config.MaxMemory),
		Token:       m.Config.Token,
		TLSCert:     m.Config.TLSCert,
		TLSKey:      m.Config.TLSKey,
		CORS:        m.Config.CORS,
	}
	m.Model.Counters().Bad.SetLog(m.logBadRequest)
	m.Queue = ingest.NewQueue(0, m.Model.Counters())
	m.Server = ingest.NewServer(icfg, m.Model.Symbols(), m.Model.Counters(), m.Queue)
	m.Traces = gotrace.New(gotrace.Options{Output: m.applyRuntime})
	m.Model.SetExecTraces(execTraces{r: m.Traces, queueDrops: &m.runtimeDropped})
	m.Server.ReadTraces(tracefeed.Sink{Reader: m.Traces})
	err := m.openAround()
	if err == nil {
		if err = m.Server.Start(); err != nil {
			m.closeAround(context.Background())
		}
	}
	if err != nil {
		_ = m.Traces.Close()
		m.Queue.Close()
		m.closeLog()
		return err
	}
	m.Log.Printf("spantop %s listening: %s", version, m.listening())
	return nil
}

// logBadRequest writes a refused request to --log with what to change.
func (m *Main) logBadRequest(r model.BadRequest, skipped int64) {
	if skipped > 0 {
		m.Log.Printf("bad requests: %d more not logged", skipped)
	}
	hint := ""
	if r.Hint != "" {
		hint = "; " + r.Hint
	}
	m.Log.Printf("bad request (%s) from %s: %s%s", r.Reason, r.Client, r.Detail, hint)
}

// listening describes the bound receivers for the header.
func (m *Main) listening() string {
	var parts []string
	if a := m.Server.GRPCAddr(); a != "" {
		parts = append(parts, "grpc "+a)
	}
	if a := m.Server.HTTPAddr(); a != "" {
		parts = append(parts, "http "+a)
	}
	// The protection comes first: a narrow header cuts the end.
	return m.protection() + strings.Join(parts, "  ")
}

// protection tells the header when spantop listens beyond loopback, and
// whether a token and TLS guard it.
func (m *Main) protection() string {
	exposed := false
	for _, a := range []string{m.Server.GRPCAddr(), m.Server.HTTPAddr()} {
		exposed = exposed || (a != "" && !ingest.IsLoopback(a))
	}
	var on []string
	if m.Config.Token != "" {
		on = append(on, "token")
	}
	if m.Config.TLSCert != "" {
		on = append(on, "TLS")
	}
	switch {
	case exposed && len(on) == 0:
		return "BEYOND LOOPBACK, no token, no TLS  "
	case exposed:
		return "beyond loopback, " + strings.Join(on, "+") + "  "
	case len(on) > 0:
		return strings.Join(on, "+") + "  "
	}
	return ""
}

// Shutdown budgets: quitting must feel immediate, and a stuck client must
// not hold spantop open.
const (
	demoStopWait   = 1 * time.Second
	serverStopWait = 500 * time.Millisecond
)

// Run starts the model's writer (and, for `spantop demo`, the workload),
// runs the UI until it exits or ctx ends, then stops the workload, the
// receivers and the writer in that order. It returns the UI's error.
func (m *Main) Run(ctx context.Context) error {
	wctx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		m.Model.Run(wctx, m.Queue.C())
	}()

	dctx, stopDemo := context.WithCancel(ctx)
	defer stopDemo()
	var demoDone chan error
	if run := m.workload(); run != nil {
		demoDone = make(chan error, 1)
		go func() {
			err := run(dctx)
			if err != nil && dctx.Err() == nil {
				m.Log.Printf("workload: %v", err)
				msg := err.Error()
				m.workloadEnded.Store(&msg)
			}
			demoDone <- err
		}()
	}

	if len(m.Config.Around.Child) > 0 && !m.goTest.child {
		if err := m.startChild(); err != nil {
			m.Log.Printf("%v", err)
			m.aroundErrs = append(m.aroundErrs, err.Error())
		}
	}
	uiErr := m.UI(ctx, source{Model: m.Model, traces: m.Traces}, ui.Options{
		Listen:  m.listening(),
		ASCII:   m.Config.ASCII,
		NoColor: m.Config.NoColor,
		Status:  m.aroundStatus,
	})
	if uiErr != nil {
		m.Log.Printf("ui: %v", uiErr)
	}
	m.Log.Printf("ui exited; shutting down")

	m.shutdown(stopDemo, demoDone, stopWriter, writerDone)
	return uiErr
}

// Close releases what Open acquired when Run is not called.
func (m *Main) Close() error {
	var err error
	if m.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), serverStopWait)
		err = m.Server.Shutdown(ctx)
		cancel()
	}
	m.closeAround(context.Background())
	if m.Traces != nil {
		_ = m.Traces.Close()
	}
	if m.Queue != nil {
		m.Queue.Close()
	}
	m.closeLog()
	return err
}

// applyRuntime queues one parsed trace generation for the model. The
// reader's workers call it; a full queue makes them wait up to OfferWait,
// then the generation is dropped and counted, never held without bound.
func (m *Main) applyRuntime(b *model.RuntimeBatch) {
	if err := m.Queue.Offer(context.Background(), &model.Batch{Runtime: b}); err != nil {
		m.runtimeDropped.Add(1)
	}
}

func (m *Main) closeLog() {
	if m.logFile != nil {
		if err := m.logFile.Close(); err != nil {
			m.Log.SetOutput(io.Discard)
		}
		m.logFile = nil
	}
	if m.Log != nil {
		m.Log.SetOutput(io.Discard)
	}
	logSink.set(io.Discard)
}

// logSink receives what libraries would print (the standard logger, gRPC,
// the OTel SDK): the terminal belongs to the TUI, so it goes to --log or
// nowhere. Libraries are pointed at it once per process; Open swaps its
// target.
var (
	logSink     = &swapWriter{w: io.Discard}
	captureOnce sync.Once
)

func captureLibraryLogs(w io.Writer) {
	logSink.set(w)
	captureOnce.Do(func() {
		log.SetOutput(logSink)
		grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, logSink, logSink))
		l := log.New(logSink, "otel: ", log.LstdFlags|log.Lmicroseconds)
		otel.SetLogger(stdr.New(l))
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { l.Print(err) }))
	})
}

// swapWriter is an io.Writer whose destination can change at run time.
type swapWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *swapWriter) set(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

func (s *swapWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// limitHeap sets a soft limit on the Go heap from --max-memory, unless the
// user set GOMEMLIMIT. The model keeps what it stores within the budget; the
// limit makes the collector keep the whole process near it too, instead of
// letting the heap grow to twice what is live. The headroom covers the
// ingest queue and the requests in flight (bounded by ingest.InflightBound).
func limitHeap(cfg Config, getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(heapLimit(cfg))
}

func heapLimit(cfg Config) int64 {
	return cfg.MaxMemory + cfg.MaxMemory/4 + ingest.InflightBound(cfg.MaxMemory) + 32<<20
}
