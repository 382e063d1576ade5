package agentlib

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
)

var header126 = []byte("go 1.26 trace\x00\x00\x00")

// mkBatch builds a batch of the given generation with size bytes of events.
func mkBatch(gen uint64, m uint64, size int) []byte {
	b := []byte{evEventBatch}
	b = binary.AppendUvarint(b, gen)
	b = binary.AppendUvarint(b, m)
	b = binary.AppendUvarint(b, 1000+gen)
	b = binary.AppendUvarint(b, uint64(size))
	for i := range size {
		b = append(b, byte(gen)+byte(i))
	}
	return b
}

// testTracer is an execTracer with an agent that is only what the writer
// touches: the up flag, status records and the trip signal.
func testTracer(queueBytes, budget int64) *execTracer {
	a := &agent{trip: make(chan int64, 1), statusWake: make(chan struct{}, 1)}
	a.up.Store(true)
	return newExecTracer(a, queueBytes, budget)
}

func (t *execTracer) popAll() []*generation {
	var out []*generation
	for g := t.pop(); g != nil; g = t.pop() {
		out = append(out, g)
	}
	return out
}

// checkChunks checks that every chunk of g holds whole batches of g's
// generation (and the end marker, last) and returns them joined.
func checkChunks(t *testing.T, g *generation) []byte {
	t.Helper()
	var all []byte
	for i, c := range g.chunks {
		if len(c) == 0 || len(c) > chunkMax {
			t.Fatalf("gen %d chunk %d: %d bytes", g.gen, i, len(c))
		}
		for b := c; len(b) > 0; {
			n, gen, err := batchLen(b)
			if err != nil || n == 0 {
				t.Fatalf("gen %d chunk %d: not whole batches (n %d, err %v)", g.gen, i, n, err)
			}
			if b[0] == evEndOfGeneration {
				if i != len(g.chunks)-1 || n != len(b) {
					t.Fatalf("gen %d: end-of-generation marker not last", g.gen)
				}
			} else if gen != g.gen {
				t.Fatalf("gen %d chunk %d: holds a batch of generation %d", g.gen, i, gen)
			}
			b = b[n:]
		}
		all = append(all, c...)
	}
	return all
}

func TestTraceWriterFraming(t *testing.T) {
	// Two generations with batches up to the format's limit, so that they
	// take several chunks, closed by Go 1.26's end-of-generation marker.
	var want [2][]byte
	stream := slices.Clone(header126)
	for gi, gen := range []uint64{5, 6} {
		for i := range 20 {
			b := mkBatch(gen, uint64(i%3), []int{maxBatchSize, 10, 40000, 0}[i%4])
			want[gi] = append(want[gi], b...)
		}
		want[gi] = append(want[gi], evEndOfGeneration)
		stream = append(stream, want[gi]...)
	}
	splits := map[string]func(int) int{
		"one write":     func(int) int { return len(stream) },
		"byte by byte":  func(int) int { return 1 },
		"random pieces": func(int) int { return 1 + rand.IntN(100000) },
		"prime pieces":  func(int) int { return 4093 },
	}
	for name, next := range splits {
		t.Run(name, func(t *testing.T) {
			tr := testTracer(64<<20, -1)
			w := &traceWriter{t: tr, session: 7}
			for p := stream; len(p) > 0; {
				n := min(next(len(p)), len(p))
				if got, err := w.Write(p[:n]); got != n || err != nil {
					t.Fatalf("Write = %d, %v", got, err)
				}
				p = p[n:]
			}
			w.finish()
			gens := tr.popAll()
			if len(gens) != 2 {
				t.Fatalf("%d generations, want 2", len(gens))
			}
			for i, g := range gens {
				if g.gen != []uint64{5, 6}[i] || g.session != 7 || !bytes.Equal(g.header[:], header126) {
					t.Errorf("generation %d: gen %d session %d header %q", i, g.gen, g.session, g.header)
				}
				if len(g.chunks) < 2 {
					t.Errorf("generation %d: %d chunks; want several", i, len(g.chunks))
				}
				if got := checkChunks(t, g); !bytes.Equal(got, want[i]) {
					t.Errorf("generation %d: %d bytes differ from the %d written", i, len(got), len(want[i]))
				}
			}
			if tr.dropped.Load() != 0 || w.broken {
				t.Errorf("dropped %d, broken %v", tr.dropped.Load(), w.broken)
			}
		})
	}
}

func TestTraceWriterGo125(t *testing.T) {
	// Go 1.25 has no end-of-generation marker: a generation ends where the
	// next begins, and the last when the trace stops.
	tr := testTracer(64<<20, -1)
	w := &traceWriter{t: tr, session: 1}
	write := func(b []byte) {
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	write([]byte("go 1.25 trace\x00\x00\x00"))
	write(mkBatch(1, 1, 100))
	write(mkBatch(1, 2, 100))
	write(mkBatch(2, 1, 100))
	if gens := tr.popAll(); len(gens) != 1 || gens[0].gen != 1 || gens[0].bytes != 2*int64(len(mkBatch(1, 1, 100))) {
		t.Fatalf("after generation 2 began: %d generations queued", len(gens))
	}
	write(mkBatch(2, 2, 100))
	w.finish()
	if gens := tr.popAll(); len(gens) != 1 || gens[0].gen != 2 {
		t.Fatalf("after stop: %d generations queued", len(gens))
	}
}

func TestTraceWriterExperimentalBatch(t *testing.T) {
	tr := testTracer(64<<20, -1)
	w := &traceWriter{t: tr, session: 1}
	exp := []byte{evExperimentalBatch, 1}
	exp = binary.AppendUvarint(exp, 3)
	exp = binary.AppendUvarint(exp, 1)
	exp = binary.AppendUvarint(exp, 99)
	exp = binary.AppendUvarint(exp, 4)
	exp = append(exp, 1, 2, 3, 4)
	stream := slices.Concat(header126, mkBatch(3, 1, 10), exp, []byte{evEndOfGeneration})
	for _, b := range stream {
		_, _ = w.Write([]byte{b})
	}
	gens := tr.popAll()
	if len(gens) != 1 || !bytes.Equal(gens[0].chunks[0], stream[16:]) {
		t.Fatalf("experimental batch not kept whole: %d generations", len(gens))
	}
}

func TestTraceWriterBadStream(t *testing.T) {
	for name, stream := range map[string][]byte{
		"not a batch":   slices.Concat(header126, mkBatch(1, 1, 10), []byte{7, 1, 2, 3}),
		"batch too big": slices.Concat(header126, []byte{evEventBatch, 1, 1, 1, 0x81, 0x80, 0x08}),
		"bad varint":    slices.Concat(header126, []byte{evEventBatch}, bytes.Repeat([]byte{0xff}, 12)),
		"bad header":    []byte("not a go trace!!"),
	} {
		t.Run(name, func(t *testing.T) {
			tr := testTracer(64<<20, -1)
			w := &traceWriter{t: tr, session: 1}
			for range 2 {
				if n, err := w.Write(stream); n != len(stream) || err != nil {
					t.Fatalf("Write = %d, %v; the writer must never fail", n, err)
				}
			}
			w.finish()
			if !w.broken || len(tr.popAll()) != 0 {
				t.Errorf("broken %v; want the session given up", w.broken)
			}
			if len(tr.a.statuses) != 1 || !strings.HasPrefix(tr.a.statuses[0], "execution trace stopped: ") {
				t.Errorf("status records: %q", tr.a.statuses)
			}
			if len(tr.a.trip) != 1 {
				t.Error("the control goroutine was not told to stop the trace")
			}
		})
	}
}

func TestTraceGenerationTooBig(t *testing.T) {
	tr := testTracer(200<<10, -1) // a generation may take half: 100 KiB
	w := &traceWriter{t: tr, session: 1}
	stream := slices.Clone(header126)
	for range 3 {
		stream = append(stream, mkBatch(1, 1, 60000)...)
	}
	stream = append(stream, evEndOfGeneration)
	stream = append(stream, mkBatch(2, 1, 1000)...)
	stream = append(stream, evEndOfGeneration)
	_, _ = w.Write(stream)
	gens := tr.popAll()
	if len(gens) != 1 || gens[0].gen != 2 || tr.dropped.Load() != 1 {
		t.Fatalf("got %d generations (first %v), %d dropped; want generation 1 dropped whole, 2 kept", len(gens), gens, tr.dropped.Load())
	}
}

func TestTraceQueueDropsOldest(t *testing.T) {
	one := int64(len(mkBatch(1, 1, 50000)) + 1)
	tr := testTracer(3*one, -1)
	w := &traceWriter{t: tr, session: 1}
	_, _ = w.Write(header126)
	for gen := uint64(1); gen <= 5; gen++ {
		_, _ = w.Write(mkBatch(gen, 1, 50000))
		_, _ = w.Write([]byte{evEndOfGeneration})
	}
	var got []uint64
	for _, g := range tr.popAll() {
		got = append(got, g.gen)
	}
	if !slices.Equal(got, []uint64{3, 4, 5}) || tr.dropped.Load() != 2 || tr.queuedBytes() != 0 {
		t.Fatalf("queued generations %v, dropped %d; want the newest three kept, two dropped", got, tr.dropped.Load())
	}
}

func TestTraceBudgetBreaker(t *testing.T) {
	tr := testTracer(64<<20, 1000) // 1000 B/s: 10 kB in the window
	w := &traceWriter{t: tr, session: 1, cooldown: time.Minute}
	_, _ = w.Write(header126)
	for gen := uint64(1); gen <= 5; gen++ {
		_, _ = w.Write(mkBatch(gen, 1, 4000))
		_, _ = w.Write([]byte{evEndOfGeneration})
	}
	if !w.tripped || len(tr.a.trip) != 1 {
		t.Fatalf("tripped %v; want the breaker open after 10 kB", w.tripped)
	}
	if n := len(tr.popAll()); n != 2 {
		t.Errorf("%d generations queued; want the two before the budget ran out", n)
	}
	if len(tr.a.statuses) != 1 || !strings.Contains(tr.a.statuses[0], "above the budget") {
		t.Errorf("status records: %q", tr.a.statuses)
	}
}

func TestRateWindow(t *testing.T) {
	var r rateWindow
	if got := r.add(100, 5); got != 5 {
		t.Fatal(got)
	}
	r.add(105, 7)
	if got := r.add(109, 1); got != 13 {
		t.Errorf("within the window: %d, want 13", got)
	}
	if got := r.add(110, 0); got != 8 {
		t.Errorf("second 100 left the window: %d, want 8", got)
	}
	if got := r.add(200, 2); got != 2 {
		t.Errorf("after a long pause: %d, want 2", got)
	}
}

// received is one generation as reassembled from log records.
type received struct {
	session, gen int64
	header       []byte
	data         []byte
	chunks       int
	final        bool
}

func intAttr(t *testing.T, r *logspb.LogRecord, key string) int64 {
	t.Helper()
	v, ok := attrOf(r.Attributes, key)
	if !ok {
		t.Fatalf("trace record without %s", key)
	}
	if _, isInt := v.Value.(*commonpb.AnyValue_IntValue); !isInt {
		t.Fatalf("%s = %s, want an int", key, describe(v))
	}
	return v.GetIntValue()
}

// reassemble groups spantop.go.trace records by session and generation,
// checking the conventions: chunks numbered from 0 in order, the header
// on chunk 0 only, final on the last only, bodies of whole batches.
func reassemble(t *testing.T, recs []*logspb.LogRecord) []*received {
	t.Helper()
	type key struct{ session, gen int64 }
	byKey := map[key]*received{}
	var order []*received
	for _, r := range recs {
		k := key{intAttr(t, r, "spantop.trace.session"), intAttr(t, r, "spantop.trace.generation")}
		chunk := intAttr(t, r, "spantop.trace.chunk")
		intAttr(t, r, "spantop.trace.dropped_generations")
		g := byKey[k]
		if g == nil {
			g = &received{session: k.session, gen: k.gen}
			byKey[k] = g
			order = append(order, g)
		}
		if g.final {
			t.Fatalf("session %d gen %d: chunk %d after the final one", k.session, k.gen, chunk)
		}
		if chunk != int64(g.chunks) {
			t.Fatalf("session %d gen %d: chunk %d, want %d", k.session, k.gen, chunk, g.chunks)
		}
		hdr, hasHdr := attrOf(r.Attributes, "spantop.trace.header")
		if (chunk == 0) != hasHdr {
			t.Fatalf("session %d gen %d chunk %d: header present %v", k.session, k.gen, chunk, hasHdr)
		}
		if hasHdr {
			g.header = hdr.GetBytesValue()
			if len(g.header) != 16 || !bytes.HasPrefix(g.header, []byte("go 1.")) {
				t.Fatalf("header %q", g.header)
			}
		}
		fv, ok := attrOf(r.Attributes, "spantop.trace.final")
		if _, isBool := fv.GetValue().(*commonpb.AnyValue_BoolValue); !ok || !isBool {
			t.Fatalf("spantop.trace.final = %s, want a bool", describe(fv))
		}
		g.final = fv.GetBoolValue()
		body, isBytes := r.Body.GetValue().(*commonpb.AnyValue_BytesValue)
		if !isBytes || len(body.BytesValue) == 0 {
			t.Fatalf("trace record body %s, want bytes", describe(r.Body))
		}
		for b := body.BytesValue; len(b) > 0; {
			n, gen, err := batchLen(b)
			if err != nil || n == 0 {
				t.Fatalf("session %d gen %d chunk %d: body is not whole batches", k.session, k.gen, chunk)
			}
			if b[0] != evEndOfGeneration && int64(gen) != k.gen {
				t.Fatalf("generation %d holds a batch of generation %d", k.gen, gen)
			}
			b = b[n:]
		}
		g.data = append(g.data, body.BytesValue...)
		g.chunks++
	}
	return order
}

func TestExecutionTraceShipped(t *testing.T) {
	f := startFake(t)
	startAgent(t, Options{Endpoint: f.addr})
	waitFor(t, 10*time.Second, "tracing", func() bool { return ReadStats().Tracing })

	// Work for the trace to show: a span, a named goroutine, contention.
	tr := newTP(t).Tracer("test")
	ctx, span := tr.Start(context.Background(), "traced")
	done := make(chan struct{})
	Go(ctx, "worker-7", func(ctx context.Context) { close(done) })
	<-done
	mu := NewMutex("hot")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				mu.Lock()
				time.Sleep(time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	span.End()

	session := ReadStats().TraceSession
	var gens []*received
	waitFor(t, 15*time.Second, "three whole generations", func() bool {
		gens = reassemble(t, f.logList("spantop.go.trace"))
		n := 0
		for _, g := range gens {
			if g.final {
				n++
			}
		}
		return n >= 3
	})
	var all []byte
	for _, g := range gens {
		if g.session != session {
			t.Errorf("generation %d in session %d, want %d", g.gen, g.session, session)
		}
		if !g.final {
			continue
		}
		if bytes.Equal(g.header, header126) && g.data[len(g.data)-1] != evEndOfGeneration {
			t.Errorf("generation %d does not end with the end-of-generation marker", g.gen)
		}
		all = append(all, g.data...)
	}
	ids := spanIDs(span.SpanContext())
	for _, want := range []string{"spantop.span", ids, "traced", "spantop.span.go", "spantop.goroutine.name", "worker-7", "spantop.res", "mutex:hot"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the trace lacks %q", want)
		}
	}
}

// The 24-byte message ties a span to a goroutine.
func TestSpanIDs(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:  trace.SpanID{17, 18, 19, 20, 21, 22, 23, 24},
	})
	got := spanIDs(sc)
	want := string([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
	if got != want {
		t.Errorf("spanIDs = %x, want %x", got, want)
	}
}
