package agentlib

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
)

// The execution trace stream, as runtime/trace writes it (Go 1.25 and
// 1.26, internal/trace/tracev2): a 16-byte header ("go 1.26 trace\0\0\0"),
// then batches. A batch is
//
//	EvEventBatch (1), uvarint generation, uvarint thread (M), uvarint
//	timestamp, uvarint size, then size bytes of events;
//
// EvExperimentalBatch (49) carries one more byte, the experiment, before the
// generation. Go 1.26 closes each generation with a one-byte
// EvEndOfGeneration (52) batch; Go 1.25 does not, and a generation ends
// where a batch of the next begins (or where the trace stops). Batches hold
// at most 64 KiB of events. A generation is self-contained: with the header
// in front, x/exp/trace reads it on its own.
const (
	evEventBatch        = 1
	evExperimentalBatch = 49
	evEndOfGeneration   = 52
	maxBatchSize        = 64 << 10
	traceHeaderLen      = 16
)

// Shipping of the trace. Variables so that tests can shorten them.
var (
	chunkMax         = 512 << 10 // bytes of batches in one log record
	traceExportLimit = 5 * time.Second
	budgetWindow     = 10 // seconds the byte budget is averaged over
	breakerCooldown  = time.Minute
	traceRetry       = time.Minute // retry trace.Start after it was taken
)

// Status messages (event_name spantop.agent.status).
const (
	msgTraceTaken            = "execution trace unavailable: runtime/trace is already started in this process; sending metrics only"
	msgTraceStoppedElsewhere = "execution trace stopped: runtime/trace.Stop was called elsewhere in this process; sending metrics only, retrying in a minute"
)

// minTraceQueueBytes keeps Options.TraceQueueBytes large enough for a
// generation of a small process (a generation may take half the queue).
const minTraceQueueBytes = 1 << 20

// generation is one whole generation of the trace, ready to ship: its
// batches cut into chunks at batch boundaries.
type generation struct {
	session int64
	gen     uint64
	header  [traceHeaderLen]byte
	chunks  [][]byte
	bytes   int64
}

// execTracer owns the trace: the writer given to runtime/trace, the
// bounded queue of whole generations, and the shipper that empties it.
type execTracer struct {
	a          *agent
	queueBytes int64
	budget     int64 // bytes per second; <= 0: none

	mu     sync.Mutex
	queue  []*generation
	queued int64
	wake   chan struct{}
	free   chan []byte // recycled chunk buffers

	dropped atomic.Uint64 // generations dropped, running count
	bytes   atomic.Uint64 // trace bytes sent
	sent    atomic.Uint64 // generations sent whole
	active  atomic.Int64  // the running session, 0 when none

	// Owned by the control goroutine.
	w        *traceWriter // nil while not tracing
	cooldown time.Duration
}

func newExecTracer(a *agent, queueBytes, budget int64) *execTracer {
	return &execTracer{
		a:          a,
		queueBytes: queueBytes,
		budget:     budget,
		wake:       make(chan struct{}, 1),
		free:       make(chan []byte, 8),
		cooldown:   breakerCooldown,
	}
}

// start begins a new trace session. It fails when runtime/trace is taken.
func (t *execTracer) start() error {
	w := &traceWriter{t: t, session: newSession(), cooldown: t.cooldown}
	w.lastWrite.Store(time.Now().UnixNano())
	if err := trace.Start(w); err != nil {
		return err
	}
	t.w = w
	t.active.Store(w.session)
	names.logAll()
	return nil
}

// stop ends the session; the last generation is queued if it is whole.
func (t *execTracer) stop() {
	if t.w == nil {
		return
	}
	// The generation ends every second with a write to w; if w has heard
	// nothing for longer, runtime/trace is not ours to stop any more.
	if trace.IsEnabled() && time.Since(time.Unix(0, t.w.lastWrite.Load())) < 5*time.Second {
		trace.Stop() // returns once the writer has had every byte
	}
	t.w.finish()
	t.w = nil
	t.active.Store(0)
}

// lost forgets a session that runtime/trace ended without us: the
// writer has had its last byte.
func (t *execTracer) lost() {
	t.w.finish()
	t.w = nil
	t.active.Store(0)
}

func (t *execTracer) running() bool { return t.w != nil }

// sessionNow reports whether a session runs, and which, from any goroutine.
func (t *execTracer) sessionNow() (bool, int64) {
	s := t.active.Load()
	return s != 0, s
}

// newSession returns a random positive session number.
func newSession() int64 {
	for {
		if s := rand.Int64(); s != 0 {
			return s
		}
	}
}

// commit queues a whole generation; when the queue is over its bound the
// oldest generations go (whole) and are counted.
func (t *execTracer) commit(g *generation) {
	t.mu.Lock()
	if g.bytes > t.queueBytes {
		t.mu.Unlock()
		t.drop(g)
		return
	}
	var old []*generation
	for t.queued+g.bytes > t.queueBytes && len(t.queue) > 0 {
		old = append(old, t.queue[0])
		t.queued -= t.queue[0].bytes
		t.queue[0] = nil
		t.queue = t.queue[1:]
	}
	t.queue = append(t.queue, g)
	t.queued += g.bytes
	t.mu.Unlock()
	for _, o := range old {
		t.drop(o)
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *execTracer) pop() *generation {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) == 0 {
		return nil
	}
	g := t.queue[0]
	t.queue[0] = nil
	t.queue = t.queue[1:]
	t.queued -= g.bytes
	return g
}

// purge drops everything queued (spantop went away).
func (t *execTracer) purge() {
	for g := t.pop(); g != nil; g = t.pop() {
		t.drop(g)
	}
}

func (t *execTracer) drop(g *generation) {
	t.dropped.Add(1)
	t.release(g)
}

func (t *execTracer) release(g *generation) {
	for i, c := range g.chunks {
		if cap(c) == chunkMax {
			select {
			case t.free <- c[:0]:
			default:
			}
		}
		g.chunks[i] = nil
	}
}

func (t *execTracer) newChunk() []byte {
	select {
	case c := <-t.free:
		return c
	default:
		return make([]byte, 0, chunkMax)
	}
}

// queuedBytes is for tests and Stats.
func (t *execTracer) queuedBytes() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.queued
}

// ship sends queued generations, chunk by chunk, while spantop is there.
// A generation that cannot be sent whole is dropped and counted.
func (t *execTracer) ship(ctx context.Context, limit time.Duration) {
	for g := t.pop(); g != nil; g = t.pop() {
		if !t.a.up.Load() {
			t.drop(g)
			continue
		}
		ok := true
		for i, c := range g.chunks {
			rec := t.record(g, i, c)
			if err := t.a.cl.export(ctx, methodLogs, t.a.logsRequest(rec), limit); err != nil {
				t.a.stats.exportErrors.Add(1)
				ok = false
				break
			}
			t.bytes.Add(uint64(len(c)))
		}
		if ok {
			t.sent.Add(1)
			t.release(g)
		} else {
			t.drop(g)
		}
	}
}

// record is the log record carrying chunk i of g.
func (t *execTracer) record(g *generation, i int, c []byte) *logspb.LogRecord {
	now := uint64(time.Now().UnixNano())
	attrs := []*commonpb.KeyValue{
		kv("spantop.trace.session", intValue(g.session)),
		kv("spantop.trace.generation", intValue(int64(g.gen))),
		kv("spantop.trace.chunk", intValue(int64(i))),
		kv("spantop.trace.final", boolValue(i == len(g.chunks)-1)),
		kv("spantop.trace.dropped_generations", intValue(int64(t.dropped.Load()))),
	}
	if i == 0 {
		attrs = append(attrs, kv("spantop.trace.header", bytesValue(g.header[:])))
	}
	return &logspb.LogRecord{
		TimeUnixNano:         now,
		ObservedTimeUnixNano: now,
		EventName:            "spantop.go.trace",
		Body:                 bytesValue(c),
		Attributes:           attrs,
	}
}

// logsRequest wraps records in agentlib's resource and scope.
func (a *agent) logsRequest(recs ...*logspb.LogRecord) *logspb.LogsData {
	return &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  a.resPB,
		ScopeLogs: []*logspb.ScopeLogs{{Scope: agentScope(), LogRecords: recs}},
	}}}
}

// traceWriter is the io.Writer given to runtime/trace. Write runs on the
// runtime/trace goroutine and never blocks on anything but a short mutex:
// it copies the bytes into the generation being gathered, cut at batch
// boundaries, and queues the generation when it is whole. It never fails:
// an error would make runtime/trace give up on the rest of the trace.
type traceWriter struct {
	t       *execTracer
	session int64

	header  [traceHeaderLen]byte
	headerN int
	carry   []byte // the start of a batch split across writes

	state     genState
	curGen    uint64
	cur       *generation
	window    rateWindow
	lastWrite atomic.Int64  // Unix ns of the last Write
	cooldown  time.Duration // before the next session, should the breaker trip
	tripped   bool
	broken    bool
}

type genState uint8

const (
	genNone      genState = iota // between generations
	genGathering                 // copying batches into cur
	genSkipping                  // dropping the rest of curGen
)

// Write implements io.Writer.
func (w *traceWriter) Write(p []byte) (int, error) {
	n := len(p)
	w.lastWrite.Store(time.Now().UnixNano())
	defer func() {
		if r := recover(); r != nil {
			w.fail(fmt.Sprintf("execution trace stopped: internal error: %v", r))
		}
	}()
	if w.broken || w.tripped {
		return n, nil
	}
	if w.headerN < traceHeaderLen {
		c := copy(w.header[w.headerN:], p)
		w.headerN += c
		p = p[c:]
		if w.headerN == traceHeaderLen && string(w.header[:3]) != "go " {
			w.fail(fmt.Sprintf("execution trace stopped: unexpected header %q", w.header[:]))
			return n, nil
		}
	}
	if len(p) == 0 {
		return n, nil
	}
	if len(w.carry) > 0 {
		w.carry = append(w.carry, p...)
		if rest := w.parse(w.carry); len(rest) != len(w.carry) {
			w.carry = append(w.carry[:0], rest...)
		}
		return n, nil
	}
	if rest := w.parse(p); len(rest) > 0 {
		w.carry = append(w.carry[:0], rest...)
	}
	return n, nil
}

// parse hands each whole batch of b to batch and returns the incomplete
// tail.
func (w *traceWriter) parse(b []byte) []byte {
	for len(b) > 0 && !w.broken && !w.tripped {
		size, gen, err := batchLen(b)
		if err != nil {
			w.fail("execution trace stopped: " + err.Error())
			return nil
		}
		if size == 0 {
			return b
		}
		w.batch(gen, b[:size], b[0] == evEndOfGeneration)
		b = b[size:]
	}
	return nil
}

// batchLen returns the length of the batch at the start of b and its
// generation, or 0 if b does not hold all of it yet.
func batchLen(b []byte) (int, uint64, error) {
	pos := 1
	switch b[0] {
	case evEndOfGeneration:
		return 1, 0, nil
	case evEventBatch:
	case evExperimentalBatch:
		pos = 2
	default:
		return 0, 0, fmt.Errorf("expected a batch, found event type %d", b[0])
	}
	var hdr [4]uint64 // generation, thread, timestamp, size
	for i := range hdr {
		if pos >= len(b) {
			return 0, 0, nil
		}
		v, n := binary.Uvarint(b[pos:])
		if n == 0 {
			return 0, 0, nil
		}
		if n < 0 {
			return 0, 0, fmt.Errorf("bad varint in a batch header")
		}
		hdr[i] = v
		pos += n
	}
	if hdr[3] > maxBatchSize {
		return 0, 0, fmt.Errorf("batch of %d bytes, more than the format allows", hdr[3])
	}
	total := pos + int(hdr[3])
	if len(b) < total {
		return 0, 0, nil
	}
	return total, hdr[0], nil
}

// batch adds one whole batch (or the end-of-generation marker, which
// belongs to the generation it closes: x/exp/trace wants it there).
func (w *traceWriter) batch(gen uint64, data []byte, eog bool) {
	if w.budgetExceeded(int64(len(data))) {
		return
	}
	if !eog && w.state != genNone && gen != w.curGen {
		w.finishGen() // Go 1.25: the next generation has begun
	}
	switch w.state {
	case genNone:
		if eog {
			return
		}
		w.state, w.curGen = genGathering, gen
		w.cur = &generation{session: w.session, gen: gen, header: w.header}
	case genSkipping:
		if eog {
			w.state = genNone
		}
		return
	}
	if !w.add(data) {
		w.t.drop(w.cur)
		w.cur = nil
		w.state = genSkipping
		if eog {
			w.state = genNone
		}
		return
	}
	if eog {
		w.finishGen()
	}
}

// add copies data into the current generation's chunks; false when the
// generation has outgrown what the queue could hold.
func (w *traceWriter) add(data []byte) bool {
	g := w.cur
	if g.bytes+int64(len(data)) > w.t.queueBytes/2 {
		return false
	}
	last := len(g.chunks) - 1
	if last < 0 || len(g.chunks[last])+len(data) > cap(g.chunks[last]) {
		c := w.t.newChunk()
		if len(data) > cap(c) {
			c = make([]byte, 0, len(data)) // cannot happen with chunkMax > a batch
		}
		g.chunks = append(g.chunks, c)
		last++
	}
	g.chunks[last] = append(g.chunks[last], data...)
	g.bytes += int64(len(data))
	return true
}

func (w *traceWriter) finishGen() {
	if w.state == genGathering && w.cur != nil && w.cur.bytes > 0 {
		w.t.commit(w.cur)
	}
	w.cur = nil
	w.state = genNone
}

// finish runs after trace.Stop: a Go 1.25 trace has no marker after its
// last generation, which is whole once the writer has had everything.
func (w *traceWriter) finish() {
	if w.broken || w.tripped {
		return
	}
	w.finishGen()
}

// fail gives up on this session: the stream cannot be followed.
func (w *traceWriter) fail(msg string) {
	if w.broken {
		return
	}
	w.broken = true
	if w.cur != nil {
		w.t.drop(w.cur)
		w.cur = nil
	}
	w.t.a.status(msg)
	w.t.a.signalTrip(w.session)
}

// budgetExceeded accounts n bytes against the budget and, once over it,
// trips the breaker: the writer drops everything from then on and the
// control goroutine stops the trace.
func (w *traceWriter) budgetExceeded(n int64) bool {
	if w.t.budget <= 0 {
		return false
	}
	total := w.window.add(time.Now().Unix(), n)
	if total <= w.t.budget*int64(budgetWindow) {
		return false
	}
	w.tripped = true
	if w.cur != nil {
		w.t.drop(w.cur)
		w.cur = nil
	}
	w.t.a.status(fmt.Sprintf("execution trace stopped: %.1f MiB/s over the last %ds is above the budget of %.1f MiB/s; sending metrics only, retrying in %s",
		float64(total)/float64(budgetWindow)/(1<<20), budgetWindow, float64(w.t.budget)/(1<<20), w.cooldown))
	w.t.a.signalTrip(w.session)
	return true
}

// rateWindow sums bytes per second over the last budgetWindow seconds.
type rateWindow struct {
	slots [60]int64
	sec   int64
}

func (r *rateWindow) add(now, n int64) int64 {
	size := int64(min(budgetWindow, len(r.slots)))
	if now > r.sec {
		for s := max(r.sec+1, now-size+1); s <= now; s++ {
			r.slots[s%size] = 0
		}
		r.sec = now
	}
	r.slots[now%size] += n
	var total int64
	for _, v := range r.slots[:size] {
		total += v
	}
	return total
}
