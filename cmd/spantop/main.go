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
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/stdr"
	"go.opentelemetry.io/otel"
	"google.golang.org/grpc/grpclog"

	"github.com/spantop/spantop/gotrace"
	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/ingest/forward"
	"github.com/spantop/spantop/ingest/record"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == demoWorkloadCommand {
		return runDemoWorkload(args[1:], stderr)
	}
	cfg, err := ParseArgs(args, os.Getenv)
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code, ok := runAround(ctx, cfg, stdout, stderr); ok {
		return code
	}
	m := NewMain()
	m.Config = cfg
	if err := m.Open(); err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	return 0
}

// Main is the program with its parts. Open builds and binds them, Run runs
// the UI until the user quits and then shuts everything down in order.
// End-to-end tests reuse it with their own UI and demo functions.
type Main struct {
	Config Config

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

	m.Model = model.New(model.Config{Retain: m.Config.Retain, MaxMemory: m.Config.MaxMemory, Warn: m.Config.Warn})
	icfg := ingest.Config{
		GRPCAddr:   m.Config.GRPCAddr,
		HTTPAddr:   m.Config.HTTPAddr,
		MaxMessage: int(m.Config.MaxMessage),
	}
	m.Queue = ingest.NewQueue(icfg.QueueSpans, m.Model.Counters())
	m.Server = ingest.NewServer(icfg, m.Model.Symbols(), m.Model.Counters(), m.Queue)
	m.Traces = gotrace.New(gotrace.Options{Output: m.applyRuntime})
	m.Server.ReadTraces(traceSink{m.Traces})
	err := m.openAround()
	if err == nil {
		if err = m.Server.Start(); err != nil {
			m.closeAround()
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

// listening describes the bound receivers for the header.
func (m *Main) listening() string {
	var parts []string
	if a := m.Server.GRPCAddr(); a != "" {
		parts = append(parts, "grpc "+a)
	}
	if a := m.Server.HTTPAddr(); a != "" {
		parts = append(parts, "http "+a)
	}
	return strings.Join(parts, "  ")
}

// Shutdown budgets: quitting must feel immediate, and a stuck client must
// not hold spantop open.
const (
	demoStopWait   = 2 * time.Second
	serverStopWait = 2 * time.Second
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
	if m.Config.Command == "demo" {
		demoDone = make(chan error, 1)
		endpoint := m.Server.GRPCAddr()
		m.Log.Printf("demo: exporting to %s", endpoint)
		go func() { demoDone <- m.Demo(dctx, endpoint) }()
	}

	if len(m.Config.Around.Child) > 0 {
		if err := m.startChild(); err != nil {
			m.Log.Printf("%v", err)
			m.aroundErrs = append(m.aroundErrs, err.Error())
		}
	}
	uiErr := m.UI(ctx, source{Model: m.Model, traces: m.Traces, queueDrops: &m.runtimeDropped}, ui.Options{
		Listen:  m.listening(),
		ASCII:   m.Config.ASCII,
		NoColor: m.Config.NoColor,
		Status:  m.aroundStatus,
	})
	if uiErr != nil {
		m.Log.Printf("ui: %v", uiErr)
	}
	m.Log.Printf("ui exited; shutting down")

	// The demo and the child flush their last spans while the receivers
	// still listen.
	if m.child != nil {
		m.child.stop()
	}
	stopDemo()
	if demoDone != nil {
		select {
		case err := <-demoDone:
			if err != nil {
				m.Log.Printf("demo: %v", err)
			}
		case <-time.After(demoStopWait):
			m.Log.Printf("demo: still flushing after %v; not waiting", demoStopWait)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), serverStopWait)
	if err := m.Server.Shutdown(sctx); err != nil {
		m.Log.Printf("shutdown: %v", err)
	}
	cancel()
	m.closeAround()
	_ = m.Traces.Close() // its workers queue batches: stop them before the queue
	m.Queue.Close()
	stopWriter()
	<-writerDone
	m.Log.Printf("stopped: %d spans received", m.Model.Counters().Received.Load())
	m.closeLog()
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
	m.closeAround()
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
// ingest queue and requests being decoded.
func limitHeap(cfg Config, getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(heapLimit(cfg))
}

func heapLimit(cfg Config) int64 {
	return cfg.MaxMemory + cfg.MaxMemory/4 + 2*cfg.MaxMessage + 64<<20
}
