package replay

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spantop/spantop/model"
)

// Max is the Speed that plays as fast as the model applies.
const Max = 0

// Options configure an Engine.
type Options struct {
	// Speed is the playback speed: 1 the recorded speed, 4 four times
	// faster, Max (0) as fast as the model applies.
	Speed float64
	// Model configures each World's model (its Clock is the replay's).
	Model model.Config
	// Paused starts the engine paused at the start.
	Paused bool
}

// State is where a playback is, for the replay line.
type State struct {
	// Now is the replay clock; Start and End are the recording's first and
	// last times (recorded Unix ns).
	Now, Start, End int64
	// Pos records of Len are applied.
	Pos, Len int
	Paused   bool
	Speed    float64
	// Seeking is set while a rebuild runs (the screen shows the old model).
	Seeking bool
}

// AtEnd reports whether every record is applied.
func (s State) AtEnd() bool { return s.Pos >= s.Len }

type cmdKind uint8

const (
	cmdPause cmdKind = iota
	cmdResume
	cmdToggle
	cmdStep
	cmdSeekBy
	cmdSeekTo
	cmdSpeed
)

type command struct {
	kind cmdKind
	arg  int64
	f    float64
}

// Engine plays a Recording into a World. Run is its only goroutine that
// touches the World; the control methods send it commands and may be
// called from any goroutine (the UI's).
type Engine struct {
	rec  *Recording
	opts Options
	cmds chan command

	world atomic.Pointer[World]
	// retired are worlds a seek replaced whose memory is not yet given to
	// the pool: a reader still had them (Run's goroutine only).
	retired []*World
	// filling is set while the pool is being filled for the next seek.
	filling atomic.Bool
	filled  sync.WaitGroup
	pos     atomic.Int64
	paused  atomic.Bool
	speed   atomic.Uint64 // float64 bits
	seeking atomic.Bool
	// started tells Run it may go: a rebuild may have been built first.
	wallBase time.Time
	recBase  int64
}

// New returns an engine at the start of rec with an empty World.
func New(rec *Recording, opts Options) *Engine {
	if opts.Model.Pool == nil {
		// Every seek back builds a world: the next takes the last one's memory.
		opts.Model.Pool = model.NewSpanPool()
	}
	e := &Engine{rec: rec, opts: opts, cmds: make(chan command, 64)}
	e.world.Store(newWorld(opts.Model, rec.Start()-1))
	e.paused.Store(opts.Paused)
	e.speed.Store(math.Float64bits(opts.Speed))
	return e
}

// World is the world on screen now. A goroutine other than Run's reads
// its model through Use instead.
func (e *Engine) World() *World { return e.world.Load() }

// Use returns the world on screen now for a reader on another goroutine,
// who calls done when finished with it: a seek may replace the world
// meanwhile, but gives its memory to the next world only once no reader
// has it.
func (e *Engine) Use() (w *World, done func()) {
	for {
		w := e.world.Load()
		w.readers.Add(1)
		if e.world.Load() == w {
			return w, w.leave
		}
		w.leave() // replaced in between: it may be recycled; take the new one
	}
}

// retire puts a replaced world's span memory back in the pool once no
// reader has it (Use), now or at a later seek.
func (e *Engine) retire(w *World) {
	w.close()
	e.retired = append(e.retired, w)
	kept := e.retired[:0]
	for _, old := range e.retired {
		if old.readers.Load() == 0 {
			old.Model.Recycle()
		} else {
			kept = append(kept, old)
		}
	}
	clear(e.retired[len(kept):])
	e.retired = kept
}

// Recording is what the engine plays.
func (e *Engine) Recording() *Recording { return e.rec }

// State reports where the playback is.
func (e *Engine) State() State {
	return State{
		Now: e.World().now.Load(), Start: e.rec.Start(), End: e.rec.End(),
		Pos: int(e.pos.Load()), Len: len(e.rec.Records),
		Paused: e.paused.Load(), Speed: math.Float64frombits(e.speed.Load()),
		Seeking: e.seeking.Load(),
	}
}

func (e *Engine) send(c command) {
	select {
	case e.cmds <- c:
	default: // the engine is behind on commands; a key press is not worth blocking the UI
	}
}

// Pause stops the clock; ingest of the recording stops with it.
func (e *Engine) Pause() { e.send(command{kind: cmdPause}) }

// Resume plays on from where the clock stands.
func (e *Engine) Resume() { e.send(command{kind: cmdResume}) }

// TogglePause pauses or resumes.
func (e *Engine) TogglePause() { e.send(command{kind: cmdToggle}) }

// Step pauses and applies the next request.
func (e *Engine) Step() { e.send(command{kind: cmdStep}) }

// SeekBy moves the clock by d (back when negative).
func (e *Engine) SeekBy(d time.Duration) { e.send(command{kind: cmdSeekBy, arg: int64(d)}) }

// SeekTo moves the clock to the recorded time t (Unix ns).
func (e *Engine) SeekTo(t int64) { e.send(command{kind: cmdSeekTo, arg: t}) }

// ToStart moves to the start of the recording.
func (e *Engine) ToStart() { e.SeekTo(math.MinInt64) }

// ToEnd applies everything.
func (e *Engine) ToEnd() { e.SeekTo(math.MaxInt64) }

// SetSpeed changes the speed (Max for as fast as possible).
func (e *Engine) SetSpeed(s float64) { e.send(command{kind: cmdSpeed, f: s}) }

// tick is how often a playback at recorded speed wakes to apply what is due.
const tick = 20 * time.Millisecond

// maxBurst is how many records a playback at Max applies between looks at
// its commands.
const maxBurst = 256

// Run plays until ctx ends; at the end of the recording it waits for
// commands (seeking back plays again).
func (e *Engine) Run(ctx context.Context) {
	defer func() { e.World().close() }()
	t := time.NewTicker(tick)
	defer t.Stop()
	e.rebase()
	for {
		w := e.World()
		playing := !e.paused.Load() && int(e.pos.Load()) < len(e.rec.Records)
		if playing {
			e.playDue(w)
			if int(e.pos.Load()) >= len(e.rec.Records) {
				// The end pauses: a seek from there stays where it lands.
				e.paused.Store(true)
				e.prefill(w)
			}
		}
		w.drainRuntime()
		if playing && e.speedNow() == Max {
			select {
			case c := <-e.cmds:
				e.handle(c)
			case <-ctx.Done():
				return
			default:
			}
			continue
		}
		select {
		case c := <-e.cmds:
			e.handle(c)
		case <-t.C:
			if !e.paused.Load() && e.speedNow() != Max {
				w.advance(min(e.clockNow(), e.rec.End()))
			}
		case <-ctx.Done():
			return
		}
	}
}

func (e *Engine) speedNow() float64 { return math.Float64frombits(e.speed.Load()) }

// rebase restarts the wall-clock reference at the world's clock.
func (e *Engine) rebase() {
	e.wallBase, e.recBase = time.Now(), e.World().now.Load()
}

// clockNow is where the replay clock stands at the recorded speed.
func (e *Engine) clockNow() int64 {
	return e.recBase + int64(float64(time.Since(e.wallBase))*e.speedNow())
}

// playDue applies what the clock has reached (a burst at Max).
func (e *Engine) playDue(w *World) {
	recs := e.rec.Records
	pos := int(e.pos.Load())
	if e.speedNow() == Max {
		end := min(pos+maxBurst, len(recs))
		w.applyAll(recs[pos:end])
		e.pos.Store(int64(end))
		return
	}
	now := e.clockNow()
	for pos < len(recs) && recs[pos].Time <= now {
		w.apply(&recs[pos])
		pos++
	}
	e.pos.Store(int64(pos))
}

func (e *Engine) handle(c command) {
	switch c.kind {
	case cmdPause:
		e.paused.Store(true)
	case cmdResume:
		e.paused.Store(false)
	case cmdToggle:
		e.paused.Store(!e.paused.Load())
	case cmdStep:
		e.paused.Store(true)
		if pos := int(e.pos.Load()); pos < len(e.rec.Records) {
			e.World().apply(&e.rec.Records[pos])
			e.pos.Store(int64(pos + 1))
		}
	case cmdSeekBy:
		e.seek(e.World().now.Load() + c.arg)
	case cmdSeekTo:
		e.seek(c.arg)
	case cmdSpeed:
		e.speed.Store(math.Float64bits(c.f))
	}
	e.rebase()
}

// seek moves the clock to t, clamped to the recording (its start is just
// before the first request): forward applies the records up to t, back
// rebuilds a new World from the start.
func (e *Engine) seek(t int64) {
	t = max(min(t, e.rec.End()), e.rec.Start()-1)
	w := e.World()
	if t >= w.now.Load() {
		e.pos.Store(int64(e.applyUntil(w, int(e.pos.Load()), t)))
		w.advance(t)
		e.prefill(w)
		return
	}
	e.seeking.Store(true)
	defer e.seeking.Store(false)
	nw := newWorld(e.opts.Model, e.rec.Start()-1)
	pos := e.applyUntil(nw, 0, t)
	nw.advance(t)
	e.world.Store(nw)
	e.pos.Store(int64(pos))
	e.retire(w)
	e.prefill(nw)
}

// prefill readies, in the background, as much span memory as w holds for
// the next seek back (see model.SpanPool.Fill).
func (e *Engine) prefill(w *World) {
	if !e.filling.CompareAndSwap(false, true) {
		return
	}
	e.filled.Add(1)
	go func() {
		defer e.filled.Done()
		defer e.filling.Store(false)
		e.opts.Model.Pool.Fill(w.Model)
	}()
}

// applyUntil applies records from pos while their time is ≤ t and
// returns the position after them.
func (e *Engine) applyUntil(w *World, pos int, t int64) int {
	recs := e.rec.Records
	end := pos
	for end < len(recs) && recs[end].Time <= t {
		end++
	}
	w.applyAll(recs[pos:end])
	return end
}

// PlayAll applies the whole recording into the engine's World without
// running the engine, moves the clock to after past the last request (as a
// live snapshot waits for late exports), and waits up to settle for
// execution traces still being parsed. Do not call it while Run runs.
func (e *Engine) PlayAll(after, settle time.Duration) *World {
	w := e.World()
	e.pos.Store(int64(e.applyUntil(w, int(e.pos.Load()), math.MaxInt64)))
	w.advance(e.rec.End() + int64(after))
	deadline := time.Now().Add(settle)
	quiet := 0
	for time.Now().Before(deadline) && quiet < 5 {
		time.Sleep(20 * time.Millisecond)
		if len(w.runtime) == 0 {
			quiet++
		} else {
			quiet = 0
		}
		w.drainRuntime()
	}
	return w
}
