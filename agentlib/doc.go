// Package agentlib lets spantop see inside a Go application: spans while
// they run, goroutines (from the execution trace) and runtime metrics. The
// application imports it; it talks OTLP/gRPC to spantop on a connection of
// its own and sends nothing anywhere else.
//
//	stop, err := agentlib.Start(ctx, agentlib.Options{})
//	if err != nil { … }                       // only a malformed endpoint
//	defer stop(context.Background())
//	tp := sdktrace.NewTracerProvider(
//		sdktrace.WithBatcher(exp),
//		sdktrace.WithSpanProcessor(agentlib.SpanProcessor()))
//	agentlib.Go(ctx, "consumer", func(ctx context.Context) { … })
//	mu := agentlib.NewMutex("cache")
//	sem := agentlib.NewSemaphore("db-conns", 20)
//
// # Harmless by design
//
// Start returns at once, whether spantop runs or not. agentlib never blocks
// an application goroutine on the network: the span processor touches a
// bounded table, the execution trace is copied into a bounded queue, and
// all sending happens on agentlib's own goroutines with deadlines. Every
// bound drops (whole trace generations, or spans) and counts what it drops
// rather than grow (see ReadStats). A panic in agentlib's own code is
// recovered. While spantop is away nothing is sent and the execution trace
// is off; agentlib looks for spantop again every few seconds and, when it
// is back, starts a new trace session.
//
// Only one runtime/trace.Start may run in a process. While agentlib holds
// it, another trace.Start (for example /debug/pprof/trace) fails; if
// another holds it, agentlib says so in a status record and sends metrics
// only, trying again every minute; if something else calls
// runtime/trace.Stop, agentlib's session ends, it says so and tries again a
// minute later. A runtime/trace.FlightRecorder can run alongside it.
//
// # Endpoint and resource
//
// spantop's address is Options.Endpoint, else SPANTOP_ENDPOINT, else
// OTEL_EXPORTER_OTLP_ENDPOINT when that names a loopback address, else
// 127.0.0.1:4317. Each may be host:port or a URL (http://, https://); the
// OTLP/HTTP port 4318 is read as spantop's gRPC port 4317.
//
// Metrics and logs go under a resource that names the service as the
// application's spans do: service.name is Options.ServiceName, else the
// first span's (agentlib waits up to 2s after Start for one, and takes its
// service.namespace and service.instance.id too), else OTEL_SERVICE_NAME,
// else OTEL_RESOURCE_ATTRIBUTES', else "unknown_service:<executable>"; plus
// process.pid, process.runtime.name ("go"), process.runtime.version and
// host.name, Options.ResourceAttributes and OTEL_RESOURCE_ATTRIBUTES. Spans go under
// exactly their tracer provider's resource, so that spantop matches a
// snapshot with the span the application's own exporter sends.
//
// # Wire conventions (DESIGN.md §5)
//
// In-flight spans (TraceService): a live span older than 250ms is sent with
// end_time_unix_nano = 0 and the attributes spantop.span.inflight = true
// (bool) and spantop.snapshot.seq (int, 1, 2, … per span), and re-sent
// every second while it lives. When a span that was sent in flight ends,
// its ended version is sent too and replaces the snapshot in spantop. With
// Options.ExportSpans every ended span is sent.
//
// Execution trace (LogsService): runtime/trace output, cut into log records
// with event_name "spantop.go.trace" and a bytes body holding whole batches
// of exactly one generation (for Go 1.26, the generation's one-byte
// EndOfGeneration batch is its last). Attributes:
//
//	spantop.trace.session              int    random, new with every trace.Start
//	spantop.trace.generation           int    the runtime's generation number
//	spantop.trace.chunk                int    0, 1, … within the generation
//	spantop.trace.final                bool   true on the generation's last chunk
//	spantop.trace.header               bytes  the 16-byte trace header, on chunk 0
//	spantop.trace.dropped_generations  int    generations dropped so far (running count)
//
// Chunks of a generation are sent in order and only whole generations are
// sent; header + chunk bodies in order is a trace x/exp/trace can read.
// The trace is limited by Options.TraceBudget (bytes per second over 10s):
// above it agentlib stops tracing and says why.
//
// Status (LogsService): event_name "spantop.agent.status", string body,
// e.g. "execution trace unavailable: runtime/trace is already started in
// this process; sending metrics only", or the budget breaker tripping. The
// stop function sends one last status, after the last trace generation,
// with the attribute spantop.agent.goodbye = true: the process's
// goroutines have exited (a process that goes silent instead is lost).
//
// Trace annotations (runtime/trace.Log, while tracing runs):
//
//	spantop.span            24 bytes: trace ID (16) + span ID (8); in OnStart, just before
//	                        the SDK opens the span's task, whose end is the span's end
//	spantop.span.go         the same 24 bytes; by Go, on the goroutine it starts
//	spantop.goroutine.name  the name given to Go
//	spantop.goroutine.names "<goid> <name>" lines: the goroutines of Go still running,
//	                        logged at each session's start by the goroutine that started it
//	spantop.res             "mutex:<name>" or "semaphore:<name>", on a goroutine about to wait
//
// Runtime metrics (MetricsService), every second, int data points; values
// in ns, bytes or counts:
//
//	spantop.go.goroutines            gauge  all goroutines
//	spantop.go.goroutines.state      gauge  by attribute state = running|runnable|waiting|syscall (Go ≥ 1.26)
//	spantop.go.heap.bytes            gauge  heap occupied by objects (/memory/classes/heap/objects:bytes)
//	spantop.go.heap.goal             gauge  the next GC's heap goal
//	spantop.go.gc.cycles             sum    completed GC cycles, cumulative
//	spantop.go.gc.pause              sum    stop-the-world GC pauses, ns, cumulative (from the pause histogram)
//	spantop.go.sched.latency.p50     gauge  scheduling latency since the previous sample, ns
//	spantop.go.sched.latency.p99     gauge  likewise, 99th percentile
//	spantop.go.mutex.wait            sum    time blocked on sync.Mutex/RWMutex, ns, cumulative
//	spantop.agent.spans.dropped      sum    spans agentlib could not track or send (bounds)
//	spantop.agent.trace.dropped_generations  sum  trace generations dropped
//	spantop.agent.trace.bytes        sum    execution trace bytes sent
//
// Sums are cumulative and monotonic, starting when Start was called.
package agentlib
