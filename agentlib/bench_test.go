package agentlib

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	rtrace "runtime/trace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// The overhead benchmarks send to a receiver in a child process (this test
// binary, started with receiverEnv set), so that receiving costs the
// measured process nothing: CPU is read with getrusage(RUSAGE_SELF).
const receiverEnv = "AGENTLIB_FAKE_RECEIVER"

// discardCodec takes requests without decoding them and answers with an
// empty message: the cheapest OTLP receiver there is.
type discardCodec struct{}

func (discardCodec) Marshal(any) ([]byte, error) { return nil, nil }
func (discardCodec) Unmarshal([]byte, any) error { return nil }
func (discardCodec) Name() string                { return "proto" }

type discardTraces struct {
	coltracepb.UnimplementedTraceServiceServer
}

func (discardTraces) Export(context.Context, *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

type discardLogs struct {
	collogspb.UnimplementedLogsServiceServer
}

func (discardLogs) Export(context.Context, *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	return &collogspb.ExportLogsServiceResponse{}, nil
}

type discardMetrics struct {
	colmetricspb.UnimplementedMetricsServiceServer
}

func (discardMetrics) Export(context.Context, *colmetricspb.ExportMetricsServiceRequest) (*colmetricspb.ExportMetricsServiceResponse, error) {
	return &colmetricspb.ExportMetricsServiceResponse{}, nil
}

// runReceiverProcess serves until its stdin closes, having printed its
// address on stdout.
func runReceiverProcess() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(discardCodec{}))
	coltracepb.RegisterTraceServiceServer(srv, discardTraces{})
	collogspb.RegisterLogsServiceServer(srv, discardLogs{})
	colmetricspb.RegisterMetricsServiceServer(srv, discardMetrics{})
	go func() { _ = srv.Serve(lis) }()
	fmt.Println(lis.Addr().String())
	_, _ = bufio.NewReader(os.Stdin).ReadString(0) // returns when the parent goes
	srv.Stop()
}

// startReceiver runs the discarding receiver in a child process.
func startReceiver(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), receiverEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("receiver: %v", err)
	}
	return strings.TrimSpace(line)
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startBenchAgent starts agentlib against a child-process receiver and
// waits for the execution trace to run.
func startBenchAgent(b *testing.B) {
	b.Helper()
	stop, err := Start(context.Background(), Options{Endpoint: startReceiver(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stop(context.Background()) })
	deadline := time.Now().Add(10 * time.Second)
	for !ReadStats().Tracing {
		if time.Now().After(deadline) {
			b.Fatal("agentlib did not start tracing")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func BenchmarkMutexUncontended(b *testing.B) {
	b.Run("sync.Mutex", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock() //lint:ignore SA2001 an empty critical section is what is measured
		}
	})
	b.Run("agentlib.Mutex", func(b *testing.B) {
		mu := NewMutex("bench")
		for b.Loop() {
			mu.Lock()
			mu.Unlock() //lint:ignore SA2001 an empty critical section is what is measured
		}
	})
}

func BenchmarkSemaphoreUncontended(b *testing.B) {
	b.Run("chan", func(b *testing.B) {
		sem := make(chan struct{}, 4)
		for b.Loop() {
			sem <- struct{}{}
			<-sem
		}
	})
	b.Run("agentlib.Semaphore", func(b *testing.B) {
		sem := NewSemaphore("bench", 4)
		ctx := context.Background()
		for b.Loop() {
			if err := sem.Acquire(ctx); err != nil {
				b.Fatal(err)
			}
			sem.Release()
		}
	})
	b.Run("agentlib.Semaphore.TryAcquire", func(b *testing.B) {
		sem := NewSemaphore("bench", 4)
		for b.Loop() {
			if !sem.TryAcquire() {
				b.Fatal("no token")
			}
			sem.Release()
		}
	})
}

// burn spins the CPU for about the given time, measured once by calibrate.
func burn(iters int) uint64 {
	x := uint64(88172645463325252)
	for range iters {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var (
	calibrateOnce sync.Once
	itersPerUs    int
	sink          atomic.Uint64 // keeps burn from being optimised away
)

func itersFor(d time.Duration) int {
	calibrateOnce.Do(func() {
		const n = 20_000_000
		best := time.Duration(1 << 62)
		for range 3 {
			t0 := time.Now()
			sink.Add(burn(n))
			best = min(best, time.Since(t0))
		}
		itersPerUs = max(1, int(n/best.Microseconds()))
	})
	return int(d.Microseconds()) * itersPerUs
}

// discardExporter stands for the application's own span exporter, the
// same with and without agentlib.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// workerPool is a small service: a dispatcher hands jobs to 8 workers over
// a channel; each job is a span with ~100µs of CPU and a call (a child span,
// ~20µs) to one of 2 "database" goroutines over another channel.
type workerPool struct {
	jobs chan poolJob
	db   chan dbCall
	wg   sync.WaitGroup
}

type poolJob struct {
	ctx  context.Context
	done chan<- struct{}
}

type dbCall struct {
	ctx   context.Context
	reply chan struct{}
}

func newWorkerPool(tr trace.Tracer, jobWork, dbWork int) *workerPool {
	p := &workerPool{jobs: make(chan poolJob), db: make(chan dbCall)}
	for range 2 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for c := range p.db {
				_, s := tr.Start(c.ctx, "db.query", trace.WithSpanKind(trace.SpanKindClient))
				sink.Add(burn(dbWork))
				s.End()
				c.reply <- struct{}{}
			}
		}()
	}
	for range 8 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			reply := make(chan struct{})
			for j := range p.jobs {
				ctx, s := tr.Start(j.ctx, "job", trace.WithSpanKind(trace.SpanKindServer))
				sink.Add(burn(jobWork / 2))
				p.db <- dbCall{ctx: ctx, reply: reply}
				<-reply
				sink.Add(burn(jobWork / 2))
				s.End()
				j.done <- struct{}{}
			}
		}()
	}
	return p
}

func (p *workerPool) close() {
	close(p.jobs)
	close(p.db)
}

// poolCPU holds the agentlib-off figure for the overhead ratio.
var poolCPU struct {
	sync.Mutex
	off float64
}

// poolBatch is how many jobs one op of the worker-pool benchmarks hands out.
const poolBatch = 64

// runPool runs the worker pool, traced by tp, for b's loop and reports the
// CPU a job cost the whole process, ns.
func runPool(b *testing.B, tp *sdktrace.TracerProvider) float64 {
	jobWork, dbWork := itersFor(100*time.Microsecond), itersFor(20*time.Microsecond)
	p := newWorkerPool(tp.Tracer("bench"), jobWork, dbWork)
	defer p.close()
	done := make(chan struct{}, poolBatch)
	ctx := context.Background()
	runtime.GC()
	cpu0 := cpuTime(b)
	for b.Loop() {
		for range poolBatch {
			p.jobs <- poolJob{ctx: ctx, done: done}
		}
		for range poolBatch {
			<-done
		}
	}
	perJob := float64(cpuTime(b)-cpu0) / float64(b.N*poolBatch)
	b.ReportMetric(perJob, "cpu-ns/job")
	return perJob
}

// BenchmarkWorkerPool measures the CPU a job costs the whole process, with
// agentlib off and on (span processor, in-flight table, execution trace
// shipped to a receiver in another process). One op is a batch of 64 jobs.
func BenchmarkWorkerPool(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "agentlib=off"
		if on {
			name = "agentlib=on"
		}
		b.Run(name, func(b *testing.B) {
			opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(discardExporter{})}
			if on {
				startBenchAgent(b)
				opts = append(opts, sdktrace.WithSpanProcessor(SpanProcessor()))
			}
			tp := sdktrace.NewTracerProvider(opts...)
			defer func() { _ = tp.Shutdown(context.Background()) }()
			bytes0 := ReadStats().TraceBytes
			perJob := runPool(b, tp)
			if on {
				b.ReportMetric(float64(ReadStats().TraceBytes-bytes0)/float64(b.N*poolBatch), "trace-B/job")
			}
			poolCPU.Lock()
			defer poolCPU.Unlock()
			if !on {
				poolCPU.off = perJob
			} else if poolCPU.off > 0 {
				b.ReportMetric(100*(perJob/poolCPU.off-1), "overhead-%")
			}
			if on {
				st := ReadStats()
				if st.TraceDroppedGenerations > 0 || st.SpansDropped > 0 {
					b.Logf("agentlib dropped: %d generations, %d spans", st.TraceDroppedGenerations, st.SpansDropped)
				}
			}
		})
	}
}

// BenchmarkIdle10kGoroutines measures what an idle process with 10,000
// parked goroutines spends per second of wall time, with agentlib off and
// on. One op is 100ms of idling.
func BenchmarkIdle10kGoroutines(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "agentlib=off"
		if on {
			name = "agentlib=on"
		}
		b.Run(name, func(b *testing.B) {
			park := make(chan struct{})
			var wg sync.WaitGroup
			for range 10000 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-park
				}()
			}
			defer func() {
				close(park)
				wg.Wait()
			}()
			if on {
				startBenchAgent(b)
			}
			time.Sleep(2 * time.Second) // past the first, larger generations
			runtime.GC()
			cpu0, wall0, bytes0 := cpuTime(b), time.Now(), ReadStats().TraceBytes
			for b.Loop() {
				time.Sleep(100 * time.Millisecond)
			}
			cpu, wall := cpuTime(b)-cpu0, time.Since(wall0)
			b.ReportMetric(float64(cpu.Microseconds())/wall.Seconds(), "cpu-µs/s")
			if on {
				b.ReportMetric(float64(ReadStats().TraceBytes-bytes0)/1024/wall.Seconds(), "trace-KiB/s")
			}
		})
	}
}

// nopProcessor stands for the application's own span processor: with any
// processor registered the SDK snapshots every ended span, so the baseline
// must have one too.
type nopProcessor struct{}

func (nopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (nopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (nopProcessor) Shutdown(context.Context) error                  { return nil }
func (nopProcessor) ForceFlush(context.Context) error                { return nil }

// BenchmarkSpanStartEnd is what the span processor adds to a span's start
// and end on the application's goroutine (no execution trace running).
func BenchmarkSpanStartEnd(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "agentlib=off"
		if on {
			name = "agentlib=on"
		}
		b.Run(name, func(b *testing.B) {
			opts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(nopProcessor{})}
			if on {
				stop, err := Start(context.Background(), Options{Endpoint: startReceiver(b), DisableExecutionTrace: true})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = stop(context.Background()) })
				opts = append(opts, sdktrace.WithSpanProcessor(SpanProcessor()))
			}
			tp := sdktrace.NewTracerProvider(opts...)
			defer func() { _ = tp.Shutdown(context.Background()) }()
			tr := tp.Tracer("bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, s := tr.Start(ctx, "op")
				s.End()
			}
		})
	}
}

// BenchmarkWorkerPoolParts splits agentlib's cost to the worker pool: the
// Go tracer alone (runtime/trace into io.Discard, which also makes the SDK
// open a task per span), the span processor alone (no execution trace), and
// both with the trace shipped, against neither.
func BenchmarkWorkerPoolParts(b *testing.B) {
	for _, mode := range []string{"off", "tracer", "spans", "all"} {
		b.Run("agentlib="+mode, func(b *testing.B) {
			opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(discardExporter{})}
			switch mode {
			case "tracer":
				if err := rtrace.Start(io.Discard); err != nil {
					b.Fatal(err)
				}
				defer rtrace.Stop()
			case "spans":
				stop, err := Start(context.Background(), Options{Endpoint: startReceiver(b), DisableExecutionTrace: true})
				if err != nil {
					b.Fatal(err)
				}
				defer func() { _ = stop(context.Background()) }()
				opts = append(opts, sdktrace.WithSpanProcessor(SpanProcessor()))
			case "all":
				startBenchAgent(b)
				opts = append(opts, sdktrace.WithSpanProcessor(SpanProcessor()))
			}
			tp := sdktrace.NewTracerProvider(opts...)
			defer func() { _ = tp.Shutdown(context.Background()) }()
			runPool(b, tp)
		})
	}
}

// BenchmarkGoStart is the cost of starting a goroutine with agentlib.Go
// (registered under its name while it runs) beside a go statement, and
// beside a go statement whose closure carries what Go's does (ctx, name,
// fn; the trace is off in both): the gap between the last two is what
// naming costs.
func BenchmarkGoStart(b *testing.B) {
	ctx := context.Background()
	b.Run("go", func(b *testing.B) {
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			go func() { wg.Done() }()
		}
		wg.Wait()
	})
	b.Run("go-carrying", func(b *testing.B) {
		var wg sync.WaitGroup
		name := "bench"
		for b.Loop() {
			wg.Add(1)
			fn := func(context.Context) { wg.Done() }
			go func() {
				if rtrace.IsEnabled() {
					rtrace.Log(ctx, "bench", name)
				}
				fn(ctx)
			}()
		}
		wg.Wait()
	})
	b.Run("agentlib.Go", func(b *testing.B) {
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			Go(ctx, "bench", func(context.Context) { wg.Done() })
		}
		wg.Wait()
	})
}
