package agentlib

import (
	"context"
	"os"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

// Timing of the control loop. Variables so that tests can shorten them.
var (
	metricsInterval = time.Second     // runtime metrics, and the liveness check
	metricsLimit    = time.Second     // deadline of a metrics export
	probeLimit      = time.Second     // how long a probe waits for a connection
	probeMin        = time.Second     // first retry after spantop went away
	probeMax        = 5 * time.Second // retries back off up to this
	flushLimit      = 2 * time.Second // stop flushes at most this long
	downAfter       = 2               // failed exports in a row that mean spantop is gone
	statusMax       = 16              // status records held while they cannot be sent
)

var (
	startMu sync.Mutex
	running *agent                // the started agent, guarded by startMu
	current atomic.Pointer[agent] // the same, for the span processor's hot path
)

// agent is one Start's worth of agentlib.
type agent struct {
	opts  Options
	res   []attribute.KeyValue
	resPB *resourcepb.Resource
	cl    *client

	// adopting is true until the service is settled: the span processor
	// then hands the first span's resource attributes over on adoptCh.
	// res and resPB are written once, by Start or by the control goroutine
	// before anything is sent.
	adopting atomic.Bool
	adoptCh  chan []attribute.KeyValue

	up     atomic.Bool
	spans  *spanTable
	tracer *execTracer // nil with DisableExecutionTrace
	stats  agentStats

	// Written by Start and the control goroutine only.
	sampler        *sampler
	traceRetryAt   time.Time  // trace.Start was taken: try again then
	traceTakenSaid bool       // the status was sent for this connection
	trip           chan int64 // a session whose writer gave up

	statusMu   sync.Mutex
	statuses   []string
	statusWake chan struct{}

	ctx      context.Context // cancelled when stop gives up waiting
	cancel   context.CancelFunc
	ctrlCtx  context.Context // the control goroutine's; cancelled when stop begins
	ctrlStop context.CancelFunc
	stopping chan struct{}   // closed when stop begins
	flushCtx context.Context // the stop's context, bounded; set before stopping closes
	traceOff chan struct{}   // closed once the control goroutine has stopped the trace
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// Start connects agentlib to spantop and returns the function that stops
// it. It returns at once: spantop need not be running. Until spantop
// answers, agentlib sends nothing, keeps only a bounded table of live
// spans, and does not run the execution trace; it looks for spantop every
// few seconds (backing off up to 5s), and while spantop is there it sends
// runtime metrics every second, span snapshots and the execution trace.
// When spantop goes away the trace stops; when it comes back a new trace
// session starts.
//
// ctx bounds Start only; agentlib runs until stop is called. Start fails
// only on a malformed endpoint, or when agentlib is already started.
//
// stop sends what is pending for at most 2s or until its ctx is done, then
// releases every goroutine, the connection and runtime/trace. Calling it
// more than once is safe; later calls return the first call's result.
func Start(ctx context.Context, opts Options) (stop func(context.Context) error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ep, sec, err := resolveTarget(&opts)
	if err != nil {
		return nil, err
	}
	startMu.Lock()
	defer startMu.Unlock()
	if running != nil {
		return nil, errAlreadyStarted
	}
	cl, err := newClient(ep, sec)
	if err != nil {
		return nil, err
	}
	a := &agent{
		opts:       opts,
		cl:         cl,
		spans:      newSpanTable(),
		trip:       make(chan int64, 1),
		statusWake: make(chan struct{}, 1),
		stopping:   make(chan struct{}),
		traceOff:   make(chan struct{}),
	}
	a.adoptCh = make(chan []attribute.KeyValue, 1)
	if namedByUser(&opts, os.Getenv) {
		a.setResource(nil)
	} else {
		a.adopting.Store(true) // the span processor hands over the first span's resource
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.ctrlCtx, a.ctrlStop = context.WithCancel(a.ctx)
	if !opts.DisableExecutionTrace {
		qb := opts.TraceQueueBytes
		if qb <= 0 {
			qb = defaultTraceQueueBytes
		}
		qb = max(qb, minTraceQueueBytes)
		budget := opts.TraceBudget
		if budget == 0 {
			budget = defaultTraceBudget
		}
		a.tracer = newExecTracer(a, qb, budget)
	}
	a.sampler = newSampler(a)
	running = a
	current.Store(a)
	a.spawn(a.control)
	a.spawn(a.spanLoop)
	a.spawn(a.logsLoop)
	return a.stop, nil
}

func (a *agent) stop(ctx context.Context) error {
	a.stopOnce.Do(func() {
		current.CompareAndSwap(a, nil)
		if ctx == nil {
			ctx = context.Background()
		}
		fctx, cancel := context.WithTimeout(ctx, flushLimit)
		defer cancel()
		a.flushCtx = fctx
		a.ctrlStop() // a probe need not finish
		close(a.stopping)
		done := make(chan struct{})
		go func() {
			a.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-fctx.Done():
			a.stopErr = ctx.Err()
		}
		// In-flight exports end here; the goroutines then return at once.
		a.cancel()
		<-done
		if a.tracer != nil {
			a.tracer.stop() // no-op unless the control goroutine could not (a panic)
		}
		if err := a.cl.conn.Close(); err != nil && a.stopErr == nil {
			a.stopErr = err
		}
		startMu.Lock()
		if running == a {
			running = nil
		}
		startMu.Unlock()
	})
	return a.stopErr
}

// spawn runs f on an agent goroutine. A panic in agentlib must not take the
// application down: it is recovered, counted, and f restarts after a pause
// (unless the agent is stopping).
func (a *agent) spawn(f func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for !a.runRecovered(f) {
			select {
			case <-a.stopping:
				return
			case <-time.After(time.Second):
			}
		}
	}()
}

func (a *agent) runRecovered(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			a.stats.panics.Add(1)
			ok = false
		}
	}()
	f()
	return true
}

// recoverHot is deferred by code agentlib runs on application goroutines.
func (a *agent) recoverHot() {
	if r := recover(); r != nil {
		a.stats.panics.Add(1)
	}
}

// control checks that spantop is there by sending runtime metrics every
// second, and starts and stops the execution trace accordingly. It owns
// the tracer's start and stop.
func (a *agent) control() {
	if a.resPB == nil && !a.settleService() {
		a.stopTraceFinal()
		return
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	fails := 0
	delay := probeMin
	for {
		select {
		case <-a.stopping:
			a.stopTraceFinal()
			return
		case session := <-a.trip:
			a.tripped(session)
			continue
		case <-timer.C:
		}
		req := a.sampler.sample()
		var err error
		if a.up.Load() {
			err = a.cl.export(a.ctrlCtx, methodMetrics, req, metricsLimit)
		} else {
			err = a.cl.probe(a.ctrlCtx, req, probeLimit)
		}
		if a.ctrlCtx.Err() != nil {
			// Stopping: the export was cut short, which says nothing of
			// spantop. The loop ends at the select above.
			continue
		}
		if accepted(err) {
			fails, delay = 0, probeMin
			a.up.Store(true)
			a.maybeStartTrace()
			timer.Reset(metricsInterval)
			continue
		}
		a.stats.exportErrors.Add(1)
		fails++
		if a.up.Load() && (fails >= downAfter || status.Code(err) == codes.Unavailable) {
			a.wentAway()
		}
		if a.up.Load() {
			timer.Reset(metricsInterval)
		} else {
			timer.Reset(delay)
			delay = min(2*delay, probeMax)
		}
	}
}

// identityWait is how long agentlib waits after Start for a span whose
// service it takes, when no option or OTEL_SERVICE_NAME names one.
var identityWait = 2 * time.Second

// settleService waits for the first span's resource (or identityWait, or
// stop) and builds agentlib's resource from it. It reports false when the
// agent is stopping.
func (a *agent) settleService() bool {
	t := time.NewTimer(identityWait)
	defer t.Stop()
	var span []attribute.KeyValue
	ok := true
	select {
	case span = <-a.adoptCh:
	case <-t.C:
	case <-a.stopping:
		ok = false
	}
	a.adopting.Store(false)
	a.setResource(span)
	return ok
}

func (a *agent) setResource(span []attribute.KeyValue) {
	a.res = resourceAttrs(&a.opts, os.Getenv, span)
	a.resPB = resourceProto(a.res)
}

// adopt hands a span's resource to settleService, once.
func (a *agent) adopt(attrs []attribute.KeyValue) {
	if a.adopting.CompareAndSwap(true, false) {
		select {
		case a.adoptCh <- attrs:
		default:
		}
	}
}

// wentAway is spantop gone: stop the trace, forget what waits for it.
func (a *agent) wentAway() {
	a.up.Store(false)
	a.traceTakenSaid = false
	if a.tracer != nil {
		a.tracer.stop()
		a.tracer.purge()
		a.tracer.cooldown = breakerCooldown
		a.traceRetryAt = time.Time{}
	}
	a.statusMu.Lock()
	a.statuses = a.statuses[:0]
	a.statusMu.Unlock()
}

// maybeStartTrace starts a trace session unless one runs, it is disabled,
// the breaker is open or runtime/trace was taken a short while ago.
func (a *agent) maybeStartTrace() {
	t := a.tracer
	if t == nil {
		return
	}
	if t.running() && !trace.IsEnabled() {
		// Someone else called trace.Stop (a library's deferred Stop after
		// its own Start failed, say): the session is over. Calling Stop
		// ourselves later could end another's trace, so only forget it.
		t.lost()
		a.traceRetryAt = time.Now().Add(traceRetry)
		a.status(msgTraceStoppedElsewhere)
		return
	}
	if t.running() {
		return
	}
	now := time.Now()
	if now.Before(a.traceRetryAt) {
		return
	}
	if err := t.start(); err != nil {
		a.traceRetryAt = now.Add(traceRetry)
		if !a.traceTakenSaid {
			a.traceTakenSaid = true
			a.status(msgTraceTaken)
		}
		return
	}
	a.traceTakenSaid = false
}

// tripped is the writer of session giving up (over budget, or an
// unreadable stream): stop the trace and wait before the next session; the
// wait doubles each time, up to 16 minutes, until spantop reconnects.
func (a *agent) tripped(session int64) {
	t := a.tracer
	if t == nil || !t.running() || t.w.session != session {
		return // that session has ended already
	}
	t.stop()
	a.traceRetryAt = time.Now().Add(t.cooldown)
	t.cooldown = min(2*t.cooldown, 16*time.Minute)
}

func (a *agent) stopTraceFinal() {
	if a.tracer != nil {
		a.tracer.stop()
	}
	close(a.traceOff)
}

// signalTrip asks the control goroutine to stop the trace session. It
// never blocks: it runs on the runtime/trace goroutine.
func (a *agent) signalTrip(session int64) {
	select {
	case a.trip <- session:
	default:
	}
}

// status queues a status record (event_name spantop.agent.status).
func (a *agent) status(msg string) {
	a.statusMu.Lock()
	if len(a.statuses) < statusMax {
		a.statuses = append(a.statuses, msg)
	}
	a.statusMu.Unlock()
	select {
	case a.statusWake <- struct{}{}:
	default:
	}
}

// logsLoop ships status records and trace generations, and flushes them
// once more when the agent stops.
func (a *agent) logsLoop() {
	var wake chan struct{}
	if a.tracer != nil {
		wake = a.tracer.wake
	}
	for {
		select {
		case <-a.statusWake:
		case <-wake:
		case <-a.stopping:
			select {
			case <-a.traceOff:
			case <-a.flushCtx.Done():
			}
			a.sendStatuses(a.flushCtx, time.Second)
			if a.tracer != nil {
				a.tracer.ship(a.flushCtx, time.Second)
			}
			a.sendGoodbye(a.flushCtx)
			return
		}
		a.sendStatuses(a.ctx, traceExportLimit)
		if a.tracer != nil {
			a.tracer.ship(a.ctx, traceExportLimit)
		}
	}
}

func (a *agent) sendStatuses(ctx context.Context, limit time.Duration) {
	if !a.up.Load() {
		return
	}
	a.statusMu.Lock()
	msgs := a.statuses
	a.statuses = nil
	a.statusMu.Unlock()
	if len(msgs) == 0 {
		return
	}
	now := uint64(time.Now().UnixNano())
	recs := make([]*logspb.LogRecord, len(msgs))
	for i, m := range msgs {
		recs[i] = &logspb.LogRecord{
			TimeUnixNano:         now,
			ObservedTimeUnixNano: now,
			EventName:            "spantop.agent.status",
			SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_WARN,
			SeverityText:         "WARN",
			Body:                 stringValue(m),
		}
	}
	if err := a.cl.export(ctx, methodLogs, a.logsRequest(recs...), limit); err != nil {
		a.stats.exportErrors.Add(1)
	}
}

// msgGoodbye is the body of the last status record, sent by stop with the
// attribute spantop.agent.goodbye = true: spantop shows the process's
// goroutines as exited, not lost (lost is for a process gone silent).
const msgGoodbye = "agentlib stopped: the process ended its telemetry cleanly"

// sendGoodbye sends the goodbye status, after the last trace generation.
func (a *agent) sendGoodbye(ctx context.Context) {
	if !a.up.Load() {
		return
	}
	now := uint64(time.Now().UnixNano())
	rec := &logspb.LogRecord{
		TimeUnixNano:         now,
		ObservedTimeUnixNano: now,
		EventName:            "spantop.agent.status",
		SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
		SeverityText:         "INFO",
		Body:                 stringValue(msgGoodbye),
		Attributes:           []*commonpb.KeyValue{kv("spantop.agent.goodbye", boolValue(true))},
	}
	if err := a.cl.export(ctx, methodLogs, a.logsRequest(rec), time.Second); err != nil {
		a.stats.exportErrors.Add(1)
	}
}

// agentStats are agentlib's counters.
type agentStats struct {
	spansUnsent   atomic.Uint64 // collected while spantop was away, or lost in a failed export
	spansSent     atomic.Uint64
	snapshotsSent atomic.Uint64
	exportErrors  atomic.Uint64
	panics        atomic.Uint64
}

// Stats are agentlib's counters, for an application that wants to show
// or log them. spantop receives the drop counts too.
type Stats struct {
	// Connected is true while spantop takes agentlib's data.
	Connected bool
	// Tracing is true while an execution trace session runs; TraceSession
	// is its spantop.trace.session number.
	Tracing      bool
	TraceSession int64
	// LiveSpans is the number of live spans tracked for snapshots.
	LiveSpans int
	// SnapshotsSent and SpansSent count in-flight snapshots and ended
	// spans sent to spantop.
	SnapshotsSent, SpansSent uint64
	// SpansDropped counts spans not tracked or not sent because a bound
	// was reached; SpansUnsent those left unsent because spantop was away
	// or an export failed.
	SpansDropped, SpansUnsent uint64
	// TraceGenerations and TraceBytes count the execution trace sent;
	// TraceDroppedGenerations the generations dropped whole.
	TraceGenerations, TraceBytes, TraceDroppedGenerations uint64
	// TraceQueued is the trace held in memory waiting to be sent, bytes.
	TraceQueued int64
	// ExportErrors counts failed exports; Panics the panics agentlib
	// recovered from in its own code.
	ExportErrors, Panics uint64
}

// ReadStats returns agentlib's counters, zero while it is not started.
func ReadStats() Stats {
	startMu.Lock()
	a := running
	startMu.Unlock()
	if a == nil {
		return Stats{}
	}
	s := Stats{
		Connected:     a.up.Load(),
		LiveSpans:     a.spans.live(),
		SnapshotsSent: a.stats.snapshotsSent.Load(),
		SpansSent:     a.stats.spansSent.Load(),
		SpansDropped:  a.spans.dropped.Load(),
		SpansUnsent:   a.stats.spansUnsent.Load(),
		ExportErrors:  a.stats.exportErrors.Load(),
		Panics:        a.stats.panics.Load(),
	}
	if t := a.tracer; t != nil {
		s.TraceGenerations = t.sent.Load()
		s.TraceBytes = t.bytes.Load()
		s.TraceDroppedGenerations = t.dropped.Load()
		s.TraceQueued = t.queuedBytes()
		s.Tracing, s.TraceSession = t.sessionNow()
	}
	return s
}
