package replay

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/spantop/spantop/gotrace"
	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/internal/tracefeed"
	"github.com/spantop/spantop/model"
)

// World is one playback's state: a fresh model whose clock is the replay
// clock, and the execution-trace reader feeding it. Seeking back builds a
// new World and swaps it in when it has caught up.
type World struct {
	Model  *model.Model
	Traces *gotrace.Reader

	now       atomic.Int64 // this world's clock: recorded Unix ns
	readers   atomic.Int64 // goroutines reading it through Engine.Use
	feeder    *ingest.Feeder
	runtime   chan *model.RuntimeBatch
	lastSweep int64
	// runtimeDropped counts parsed generations the world had no room for.
	runtimeDropped atomic.Int64
	// finals counts the last chunks of generations handed to Traces: as
	// many generations are to come out of it.
	finals atomic.Uint64
}

// runtimeQueue is how many parsed generations may wait to be applied.
const runtimeQueue = 256

func newWorld(cfg model.Config, start int64) *World {
	w := &World{runtime: make(chan *model.RuntimeBatch, runtimeQueue)}
	w.now.Store(start)
	cfg.Clock = w.clock
	w.Model = model.New(cfg)
	w.Traces = gotrace.New(gotrace.Options{
		Output: func(b *model.RuntimeBatch) {
			select {
			case w.runtime <- b:
			default:
				w.runtimeDropped.Add(1)
			}
		},
		// A recording arrives faster than live: let generations queue
		// rather than drop them.
		QueueGenerations: 64,
	})
	w.feeder = ingest.NewFeeder(w.Model.Symbols(), w.Model.Counters(), applySink{w.Model}, tracefeed.Sink{Reader: w.Traces, Finals: &w.finals})
	return w
}

func (w *World) leave() { w.readers.Add(-1) }

func (w *World) clock() time.Time { return time.Unix(0, w.now.Load()) }

// Now is the world's replay clock.
func (w *World) Now() time.Time { return w.clock() }

// RuntimeDropped counts parsed execution-trace generations not applied.
func (w *World) RuntimeDropped() int64 { return w.runtimeDropped.Load() }

// sweepEvery is the model's sweep period, in recorded time.
const sweepEvery = int64(model.SweepEvery)

// advance moves the clock to t (never back) and sweeps when a sweep period
// of recorded time has passed.
func (w *World) advance(t int64) {
	if t > w.now.Load() {
		w.now.Store(t)
	}
	if now := w.now.Load(); now-w.lastSweep >= sweepEvery {
		w.lastSweep = now
		w.Model.Sweep()
	}
}

// apply feeds one record at its recorded time.
func (w *World) apply(r *Record) {
	w.advance(r.Time)
	_ = w.feeder.Feed(context.Background(), r.Signal, r.Proto) // counted by the model like live bad input
	w.drainRuntime()
}

// pipelineDepth is how many decoded batches may wait for the model.
const pipelineDepth = 64

// applyAll applies recs in order like apply, decoding them on a second
// goroutine while this one applies: a seek or a --speed max run goes at
// the pace of the slower of the two rather than of both added up.
func (w *World) applyAll(recs []Record) {
	if len(recs) == 0 {
		return
	}
	type decoded struct {
		at int64
		b  *model.Batch // nil: the record's end (it moves the clock)
	}
	ch := make(chan decoded, pipelineDepth)
	go func() {
		defer close(ch)
		var at int64
		sink := sinkFunc(func(b *model.Batch) {
			ch <- decoded{at, b}
		})
		f := ingest.NewFeeder(w.Model.Symbols(), w.Model.Counters(), sink, tracefeed.Sink{Reader: w.Traces, Finals: &w.finals})
		for i := range recs {
			at = recs[i].Time
			_ = f.Feed(context.Background(), recs[i].Signal, recs[i].Proto)
			if recs[i].Signal == ingest.SignalLogs {
				w.waitTraces()
			}
			ch <- decoded{at: at}
		}
	}()
	for d := range ch {
		w.advance(d.at)
		if d.b != nil {
			w.Model.Counters().Received.Add(int64(len(d.b.Spans)))
			w.Model.Apply(d.b)
		} else {
			w.drainRuntime()
		}
	}
}

// traceWait bounds how long a fast replay waits for one generation's parse.
const traceWait = 2 * time.Second

// waitTraces waits until the trace reader has parsed (or given up on)
// every generation completed so far, so that a fast replay applies each
// generation at its recorded time: live, the parse keeps up with the
// clock; at full speed it would fall behind, and goroutines whose
// generation has not arrived yet would look gone.
func (w *World) waitTraces() {
	want := w.finals.Load()
	deadline := time.Now().Add(traceWait)
	for {
		st := w.Traces.Stats()
		if st.Generations+st.DroppedGenerations+st.Corrupt >= want || time.Now().After(deadline) {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// sinkFunc is a BatchSink that hands batches to a function.
type sinkFunc func(*model.Batch)

func (f sinkFunc) Offer(_ context.Context, b *model.Batch) error {
	f(b)
	return nil
}

// drainRuntime applies the generations parsed so far.
func (w *World) drainRuntime() {
	for {
		select {
		case b := <-w.runtime:
			w.Model.Apply(&model.Batch{Runtime: b})
		default:
			return
		}
	}
}

func (w *World) close() { _ = w.Traces.Close() }

// applySink applies batches at once: the replay's goroutine is the model's
// only writer.
type applySink struct{ m *model.Model }

func (s applySink) Offer(_ context.Context, b *model.Batch) error {
	s.m.Counters().Received.Add(int64(len(b.Spans)))
	s.m.Apply(b)
	return nil
}
