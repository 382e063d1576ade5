package gotrace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	rtrace "runtime/trace"
	"testing"
	"time"

	"golang.org/x/exp/trace"

	"github.com/spantop/spantop/model"
)

// workloadGens returns the workload's header and generations; the tests
// below need at least three.
func workloadGens(t *testing.T) ([]byte, []testGen) {
	t.Helper()
	header, gens := splitTrace(t, getWorkload(t).raw)
	if len(gens) < 3 {
		t.Fatalf("%d generations, want at least 3", len(gens))
	}
	return header, gens
}

// readAll parses a whole trace file and returns its event count.
func readAll(t *testing.T, data []byte) int {
	t.Helper()
	rd, err := trace.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := rd.ReadEvent()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("after %d events: %v", n, err)
		}
		n++
	}
}

func TestEachGenerationLeavesAtOnce(t *testing.T) {
	header, gens := workloadGens(t)
	for _, eog := range []bool{true, false} {
		r, c := newTestReader(t, Options{})
		for i, g := range gens {
			offerAll(t, r, chunks(header, g, 7, 0, 4<<10, eog))
			settle(t, r)
			// The batch of a generation does not wait for the next one.
			if n := len(c.all()); n != i+1 {
				t.Fatalf("eog %v: %d batches after %d generations", eog, n, i+1)
			}
		}
		if st := r.Stats(); st.Gaps != 0 || st.Corrupt != 0 || st.DroppedChunks != 0 {
			t.Errorf("eog %v: %+v", eog, st)
		}
	}
}

func TestGapStartsAfresh(t *testing.T) {
	header, gens := workloadGens(t)
	r, c := newTestReader(t, Options{})
	offerAll(t, r, chunks(header, gens[0], 1, 0, 4<<10, true))
	// gens[1] is lost on the way.
	offerAll(t, r, chunks(header, gens[2], 1, 0, 4<<10, true))
	settle(t, r)
	st := r.Stats()
	if st.Gaps != 1 || st.Generations != 2 || st.Corrupt != 0 {
		t.Fatalf("stats %+v", st)
	}
	bs := c.all()
	if len(bs) != 2 {
		t.Fatalf("%d batches", len(bs))
	}
	// The sleeper lives across the gap: its totals go on from before it,
	// and the time in the gap is not accrued to any bucket.
	first, last := byName(bs[:1])["sleeper"], byName(bs)["sleeper"]
	if last.Polls <= first.Polls || last.Idle[model.WaitSleep] <= first.Idle[model.WaitSleep] {
		t.Errorf("sleeper before %+v after %+v", first, last)
	}
	gap := bs[1].Start - bs[0].End
	if gap < int64(500*time.Millisecond) {
		t.Fatalf("gap of %v", time.Duration(gap))
	}
	life := last.Ended - first.Created
	if sum := last.Busy + last.Sched + idleTotal(last); sum > life-gap*9/10 {
		t.Errorf("sleeper's accounted %v includes the %v gap (life %v)", time.Duration(sum), time.Duration(gap), time.Duration(life))
	}
	// The kept trace starts over after the gap and still reads as one trace.
	var buf bytes.Buffer
	if err := r.Save(&buf, testResource, 1); err != nil {
		t.Fatal(err)
	}
	if want := 16 + gens[2].bytes() + 1; buf.Len() != want {
		t.Errorf("saved %d bytes, want %d (the last generation)", buf.Len(), want)
	}
	readAll(t, buf.Bytes())
}

func TestSenderDroppedGenerations(t *testing.T) {
	header, gens := workloadGens(t)
	r, c := newTestReader(t, Options{})
	offerAll(t, r, chunks(header, gens[0], 1, 0, 4<<10, true))
	settle(t, r)
	// The sender dropped a generation while behind, and says so; the
	// generation numbers themselves show no hole.
	g := gens[1]
	offerAll(t, r, chunks(header, g, 1, 1, 4<<10, true))
	settle(t, r)
	st := r.Stats()
	if st.Gaps != 1 || st.SenderDropped != 1 || st.Generations != 2 || len(c.all()) != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOutOfOrderChunks(t *testing.T) {
	header, gens := workloadGens(t)
	r, c := newTestReader(t, Options{})
	var all []*model.TraceChunk
	for _, g := range gens {
		all = append(all, chunks(header, g, 1, 0, 2<<10, true)...)
	}
	// Shuffle chunks within a window of 3: chunks of a generation come out
	// of order, and the next generation's first ones before the last of this.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+3 <= len(all); i += 3 {
		w := all[i : i+3]
		rng.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
	}
	offerAll(t, r, all)
	settle(t, r)
	if st := r.Stats(); st.Gaps != 0 || st.Corrupt != 0 || int(st.Generations) != len(gens) || len(c.all()) != len(gens) {
		t.Fatalf("stats %+v, %d batches", st, len(c.all()))
	}
}

func TestIncompleteGenerationIsGivenUp(t *testing.T) {
	header, gens := workloadGens(t)
	r, c := newTestReader(t, Options{})
	cs := chunks(header, gens[0], 1, 0, 1<<10, true)
	if len(cs) < 3 {
		t.Fatalf("%d chunks", len(cs))
	}
	offerAll(t, r, append(cs[:1:1], cs[2:]...)) // chunk 1 never comes
	offerAll(t, r, chunks(header, gens[1], 1, 0, 1<<10, true))
	settle(t, r)
	st := r.Stats()
	if st.Gaps != 1 || st.DroppedGenerations != 1 || st.Generations != 1 || len(c.all()) != 1 || st.Held != 0 {
		t.Fatalf("stats %+v", st)
	}
	// The missing chunk, arriving late, is refused.
	if err := r.Offer(cs[1]); !errors.Is(err, ErrDropped) {
		t.Errorf("late chunk: %v", err)
	}
}

func TestCorruptChunks(t *testing.T) {
	header, gens := workloadGens(t)
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	truncate := func(cs []*model.TraceChunk) {
		c := cs[len(cs)-1]
		c.Data = c.Data[:len(c.Data)-10]
	}
	scramble := func(cs []*model.TraceChunk) {
		// Valid framing, garbage events: only the parser can tell.
		for _, c := range cs {
			for p := 0; len(c.Data[p:]) > 0; {
				b, err := nextBatch(c.Data[p:], 26)
				if err != nil {
					t.Fatal(err)
				}
				if !b.eog {
					hdr := b.hdr
					for i := p + hdr; i < p+b.size; i++ {
						c.Data[i] = byte(rng.Uint32())
					}
				}
				p += b.size
			}
		}
	}
	cases := []struct {
		name   string
		spoil  func([]*model.TraceChunk)
		offerr error // what Offer answers for the spoilt generation
	}{
		{"random bytes", func(cs []*model.TraceChunk) { cs[0].Data = random }, ErrCorrupt},
		{"truncated batch", truncate, ErrCorrupt},
		{"bad header", func(cs []*model.TraceChunk) { cs[0].Header = []byte("go 1.26 trace\x00\x00X") }, ErrCorrupt},
		{"garbage events", scramble, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, c := newTestReader(t, Options{})
			offerAll(t, r, chunks(header, gens[0], 1, 0, 4<<10, true))
			bad := chunks(header, gens[1], 1, 0, 4<<10, true)
			for _, c := range bad {
				c.Data = bytes.Clone(c.Data)
			}
			tc.spoil(bad)
			var err error
			for _, c := range bad {
				if e := r.Offer(c); e != nil && err == nil {
					err = e
				}
			}
			if tc.offerr != nil && !errors.Is(err, tc.offerr) || tc.offerr == nil && err != nil {
				t.Errorf("offer: %v, want %v", err, tc.offerr)
			}
			offerAll(t, r, chunks(header, gens[2], 1, 0, 4<<10, true))
			settle(t, r)
			st := r.Stats()
			if st.Corrupt == 0 || st.Gaps == 0 || st.Held != 0 {
				t.Errorf("stats %+v", st)
			}
			// The generation after the corrupt one is read.
			bs := c.all()
			if len(bs) < 2 || bs[len(bs)-1].End <= bs[0].End {
				t.Fatalf("%d batches", len(bs))
			}
			t.Logf("stats %+v", st)
		})
	}
}

func TestSaveOpensInGoToolTrace(t *testing.T) {
	header, gens := workloadGens(t)
	r, _ := newTestReader(t, Options{})
	for _, g := range gens {
		offerAll(t, r, chunks(header, g, 1, 0, 4<<10, false))
	}
	settle(t, r)
	if !r.Has(testResource, 1) || !r.Has(testResource, 0) || r.Has(testResource, 2) {
		t.Fatal("Has")
	}
	other := testResource
	other.Attrs = []byte("service.name=other")
	if r.Has(other, 0) {
		t.Fatal("Has for another process")
	}
	var buf bytes.Buffer
	if err := r.Save(&buf, testResource, 0); err != nil {
		t.Fatal(err)
	}
	// The whole trace is younger than 10s: all of it is kept.
	if n, want := readAll(t, buf.Bytes()), readAll(t, getWorkload(t).raw); n != want {
		t.Errorf("saved trace has %d events, the original %d", n, want)
	}
	if err := r.Save(io.Discard, other, 0); !errors.Is(err, ErrNoTrace) {
		t.Errorf("Save of an unknown process: %v", err)
	}
	if testing.Short() {
		return
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	path := filepath.Join(t.TempDir(), "saved.trace")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "tool", "trace", "-d=parsed", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool trace: %v\n%s", err, out[max(0, len(out)-2000):])
	}
	if !bytes.Contains(out, []byte("spantop.goroutine.name")) {
		t.Errorf("go tool trace output lacks the workload's logs")
	}
}

func TestKeepIsBounded(t *testing.T) {
	header, gens := workloadGens(t)
	// Room for about one generation per stream.
	keep := int64(gens[0].bytes()+gens[1].bytes()) * 2
	r, _ := newTestReader(t, Options{KeepBytes: keep})
	for session := range uint64(3) {
		for _, g := range gens {
			offerAll(t, r, chunks(header, g, session+1, 0, 4<<10, true))
		}
		settle(t, r)
	}
	if st := r.Stats(); st.Kept > keep || st.Kept == 0 {
		t.Fatalf("kept %d, budget %d", st.Kept, keep)
	}
	var buf bytes.Buffer
	if err := r.Save(&buf, testResource, 3); err != nil {
		t.Fatal(err)
	}
	readAll(t, buf.Bytes())
}

func TestBudgetsDropAndCount(t *testing.T) {
	header, gens := workloadGens(t)
	budget := int64(gens[0].bytes() / 2)
	r, c := newTestReader(t, Options{MaxStreamBytes: budget})
	var dropped int
	for _, ch := range chunks(header, gens[0], 1, 0, 1<<10, true) {
		if err := r.Offer(ch); errors.Is(err, ErrDropped) {
			dropped++
		}
		if st := r.Stats(); st.Held > budget {
			t.Fatalf("held %d over the budget %d", st.Held, budget)
		}
	}
	settle(t, r)
	st := r.Stats()
	if dropped == 0 || st.DroppedChunks != uint64(dropped) || st.DroppedGenerations != 1 || st.Held != 0 || len(c.all()) != 0 {
		t.Fatalf("dropped %d, stats %+v", dropped, st)
	}
	// Too many streams.
	r2, _ := newTestReader(t, Options{MaxStreams: 1})
	offerAll(t, r2, chunks(header, gens[0], 1, 0, 64<<10, true)[:1])
	if err := r2.Offer(chunks(header, gens[0], 2, 0, 64<<10, true)[0]); !errors.Is(err, ErrDropped) {
		t.Errorf("second stream: %v", err)
	}
}

func TestOfferDoesNotWaitForOutput(t *testing.T) {
	header, gens := workloadGens(t)
	release := make(chan struct{})
	r := New(Options{Output: func(*model.RuntimeBatch) { <-release }, QueueGenerations: 1})
	defer r.Close()
	defer close(release)
	start := time.Now()
	for round := range 5 {
		for _, g := range gens {
			g.gen += uint64(round * len(gens))
			for _, c := range chunks(header, g, 1, 0, 4<<10, true) {
				if err := r.Offer(c); err != nil && !errors.Is(err, ErrDropped) {
					t.Fatal(err)
				}
			}
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("offers took %v with the output stuck", d)
	}
	if st := r.Stats(); st.DroppedGenerations == 0 {
		t.Errorf("nothing dropped with the output stuck: %+v", st)
	}
}

func TestIdleStreamsClose(t *testing.T) {
	header, gens := workloadGens(t)
	r, _ := newTestReader(t, Options{IdleTimeout: 50 * time.Millisecond})
	cs := chunks(header, gens[0], 1, 0, 1<<10, true)
	offerAll(t, r, cs[:1]) // an incomplete generation, never finished
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Streams != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stream still open: %+v", r.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := r.Stats(); st.Held != 0 {
		t.Errorf("held %d after close", st.Held)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Offer(cs[1]); !errors.Is(err, ErrClosed) {
		t.Errorf("offer after close: %v", err)
	}
}

func TestGoroutineCap(t *testing.T) {
	header, gens := workloadGens(t)
	r, c := newTestReader(t, Options{MaxGoroutines: 5})
	for _, g := range gens {
		offerAll(t, r, chunks(header, g, 1, 0, 4<<10, true))
	}
	settle(t, r)
	st := r.Stats()
	if st.Overflow == 0 || st.Corrupt != 0 || int(st.Generations) != len(gens) {
		t.Fatalf("stats %+v", st)
	}
	for _, b := range c.all() {
		if len(b.Goroutines) > 5 {
			t.Errorf("%d goroutines in a batch, cap 5", len(b.Goroutines))
		}
	}
}

// liveWriter is what agentlib does with runtime/trace's output, in small:
// it frames each generation as it completes and offers it at once.
type liveWriter struct {
	t      *testing.T
	r      *Reader
	header []byte
	buf    []byte
	cur    testGen
	ends   []time.Time // when each generation was offered
}

func (w *liveWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if w.header == nil {
		if len(w.buf) < 16 {
			return len(p), nil
		}
		w.header, w.buf = bytes.Clone(w.buf[:16]), w.buf[16:]
	}
	for len(w.buf) > 0 {
		if w.buf[0] == 52 { // end of generation
			w.buf = w.buf[1:]
			w.cur.eog = true
			for _, c := range chunks(w.header, w.cur, 9, 0, 16<<10, true) {
				if err := w.r.Offer(c); err != nil {
					w.t.Errorf("offer: %v", err)
				}
			}
			w.ends = append(w.ends, time.Now())
			w.cur = testGen{}
			continue
		}
		b, err := nextBatch(w.buf, 26)
		if err == errShortBatch {
			break // the rest comes with the next write
		}
		if err != nil {
			w.t.Errorf("framing: %v", err)
			return len(p), nil
		}
		w.cur.gen = b.gen
		w.cur.batches = append(w.cur.batches, bytes.Clone(w.buf[:b.size]))
		w.buf = w.buf[b.size:]
	}
	return len(p), nil
}

// TestLiveLatency streams a running trace into the reader: each
// generation's batch comes out as soon as the generation ends, not a
// generation later.
func TestLiveLatency(t *testing.T) {
	type arrival struct {
		at    time.Time
		batch *model.RuntimeBatch
	}
	arrivals := make(chan arrival, 16)
	r := New(Options{Output: func(b *model.RuntimeBatch) { arrivals <- arrival{time.Now(), b} }})
	defer r.Close()
	w := &liveWriter{t: t, r: r}
	if err := rtrace.Start(w); err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(2200 * time.Millisecond)
	for time.Now().Before(stop) {
		time.Sleep(10 * time.Millisecond)
	}
	// Before the trace stops, at least two generations have been read.
	var got []arrival
	for len(got) < 2 {
		select {
		case a := <-arrivals:
			got = append(got, a)
		case <-time.After(2 * time.Second):
			rtrace.Stop()
			t.Fatalf("%d batches while tracing, %d generations offered", len(got), len(w.ends))
		}
	}
	rtrace.Stop()
	for i, a := range got {
		lag := a.at.Sub(w.ends[i])
		t.Logf("generation %d: batch %v after its end was offered, covers %v", i+1, lag, time.Duration(a.batch.End-a.batch.Start))
		if lag > 500*time.Millisecond {
			t.Errorf("generation %d: batch %v after the generation", i+1, lag)
		}
	}
}

// asGo123 rewrites a Go 1.26 generation into the Go 1.23 format: the
// sync batch (frequency and clock snapshot) becomes a lone frequency batch,
// and there is no end-of-generation marker.
func asGo123(t *testing.T, g testGen) testGen {
	t.Helper()
	out := testGen{gen: g.gen}
	for _, b := range g.batches {
		info, err := nextBatch(b, 26)
		if err != nil {
			t.Fatal(err)
		}
		data := b[info.hdr:]
		if data[0] == 50 && data[1] == 8 { // EvSync, EvFrequency
			freq, n := binary.Uvarint(data[2:])
			if n <= 0 {
				t.Fatal("bad frequency")
			}
			ev := binary.AppendUvarint([]byte{8}, freq)
			// Same framing (generation, M, timestamp), new size.
			p := 1
			for range 3 {
				_, n := binary.Uvarint(b[p:])
				p += n
			}
			nb := binary.AppendUvarint(bytes.Clone(b[:p]), uint64(len(ev)))
			b = append(nb, ev...)
		}
		out.batches = append(out.batches, b)
	}
	return out
}

func TestOldTraceWithoutClockSnapshot(t *testing.T) {
	_, gens := workloadGens(t)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r, c := newTestReader(t, Options{Now: func() time.Time { return now }})
	old := []byte("go 1.23 trace\x00\x00\x00")
	for _, g := range gens {
		offerAll(t, r, chunks(old, asGo123(t, g), 1, 0, 4<<10, false))
		settle(t, r)
	}
	st := r.Stats()
	bs := c.all()
	if st.Corrupt != 0 || len(bs) != len(gens) {
		t.Fatalf("stats %+v, %d batches", st, len(bs))
	}
	// Without clock snapshots the first generation is placed at its arrival.
	if bs[0].End != now.UnixNano() {
		t.Errorf("first generation ends at %v, arrived at %v", time.Unix(0, bs[0].End).UTC(), now)
	}
	for i := 1; i < len(bs); i++ {
		// Generations overlap a little: statuses are written after the next one began.
		if d := time.Duration(bs[i].Start - bs[i-1].End); d < -10*time.Millisecond || d > 10*time.Millisecond {
			t.Errorf("generation %d starts %v after the previous one ends", i+1, d)
		}
	}
	if g := byName(bs)["sleeper"]; !within(time.Duration(g.Idle[model.WaitSleep]), getWorkload(t).truth["sleeper"].sleep, 0.10) {
		t.Errorf("sleeper idle %v", time.Duration(g.Idle[model.WaitSleep]))
	}
}
