package gotrace

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/exp/trace"

	"github.com/spantop/spantop/model"
)

// Log categories agentlib writes with runtime/trace.Log (DESIGN.md §5).
const (
	// logSpan comes from the span processor's OnStart: the SDK opens a
	// runtime/trace task for the span right after it on the same goroutine,
	// and that task's end is the span's end. logSpanGo comes from
	// agentlib.Go: its goroutine works for the span, no task follows.
	// logSpanEnd is what agentlib sent at a span's end before it relied on
	// the task; it is still read.
	logSpan    = "spantop.span"
	logSpanGo  = "spantop.span.go"
	logSpanEnd = "spantop.span.end"
	logName    = "spantop.goroutine.name"
	// logNames is agentlib's registry of named goroutines, logged at each
	// session's start by the goroutine that started it: "<goid> <name>"
	// lines naming goroutines that began before the trace did.
	logNames     = "spantop.goroutine.names"
	logResource  = "spantop.res"
	spanKeyBytes = 16 + 8 // trace ID, span ID
)

const (
	// maxSpansPerGoroutine bounds the spans one goroutine works for at once.
	maxSpansPerGoroutine = 16
	// maxSpanGoroutines is how many goroutines a SpanTime names.
	maxSpanGoroutines = 8
	// maxWakers bounds the wakers counted per resource; 8 are reported.
	maxWakers   = 64
	wakersShown = 8
	// namedWindow is how much a goroutine may run between its spantop.res
	// log and the block it announces: a named lock spins a little first.
	namedWindow = 1_000_000 // 1ms
	// maxNameLen bounds names read from the trace; maxPendingNames the
	// names waiting for their goroutine.
	maxNameLen      = 128
	maxPendingNames = 4096
	// resourceIdleGens is how many generations a resource nobody waits on
	// is remembered; it is looked at every sweepEvery generations.
	resourceIdleGens = 600
	sweepEvery       = 64
)

// builder turns one stream's generations into RuntimeBatches. It keeps
// what has to outlive a generation: goroutines with their cumulative
// times, resources, spans and the clock. Every generation is read by a
// fresh trace.Reader: from Go 1.22 on a generation carries the status of
// every live goroutine, so it can be read on its own, and a gap or a
// corrupt generation never poisons the ones after it.
type builder struct {
	opts    *Options
	c       *counters
	res     model.Resource
	session uint64

	gs        map[trace.GoID]*goroutine
	resources map[resKey]*resource
	spans     map[spanKey]*spanAcc
	// tasks maps the runtime/trace tasks the SDK opened for spans to them.
	tasks map[trace.TaskID]spanKey
	// ended are the spans that ended lately: a goroutine started with an
	// ended span's context (agentlib.Go after the handler returned) does
	// not work for it, or its time would count into a span long over.
	ended endedSpans
	// names are agentlib's names of goroutines not seen yet (at most
	// maxPendingNames).
	names map[trace.GoID]string

	// The clock: mono = trace time + monoOff, wall = mono + wallOff. The
	// accounting runs on the monotonic clock, continuous across
	// generations; wall clock is for the reported instants.
	monoOff, wallOff int64
	haveWall         bool

	// This generation.
	epoch      uint64
	started    bool
	start, end int64 // mono
	stacks     map[trace.Stack]*stackInfo
	dirtySpans []*spanAcc
}

type goroutine struct {
	id              int64
	parent          int64
	name, startFunc string
	created, ended  int64 // mono; 0 when unknown
	state           model.GoState
	since           int64 // mono instant the current state began
	lastT           int64 // mono instant times are accrued up to; 0 after a gap
	busy, sched     int64
	idle            [model.WaitKinds]int64
	polls, preempts uint64
	longest         int64
	wakes           uint64
	waker           int64
	wait            model.WaitKind
	reason          string
	res             *resource
	block           *stackInfo
	createStack     []model.Frame
	createSent      bool
	runs, scheds    []int64
	spans           []*spanAcc
	named           *namedWait
	// opening is the span logged last here; while isOpening, the task the
	// SDK opens for it is still to begin.
	opening   spanKey
	isOpening bool
	seen      uint64 // the last epoch that mentioned it
	dirty     bool
}

// namedWait is a spantop.res announcement waiting for its block.
type namedWait struct {
	kind model.WaitKind
	name string
	busy int64 // the goroutine's busy time when it was announced
}

type resKey struct {
	kind model.WaitKind
	name string
	site string
}

type resource struct {
	key            resKey
	site           string
	waits          uint64
	total, maxWait int64
	samples        []int64
	wakers         map[int64]uint64
	touched        uint64 // epoch
	// waiters, waiting and longest describe the waits in progress at the
	// end of generation waitersEpoch.
	waiters          int
	waiting, longest int64
	waitersEpoch     uint64
	idx              int32
	alive            bool // in b.resources
}

type spanKey [spanKeyBytes]byte

type spanAcc struct {
	key               spanKey
	busy, sched, idle int64
	gs                []int64
	active            []*goroutine
	dirty             bool
}

func newBuilder(opts *Options, c *counters, res model.Resource, session uint64) *builder {
	return &builder{
		opts:      opts,
		c:         c,
		res:       res,
		session:   session,
		gs:        make(map[trace.GoID]*goroutine),
		resources: make(map[resKey]*resource),
		spans:     make(map[spanKey]*spanAcc),
		tasks:     make(map[trace.TaskID]spanKey),
		stacks:    make(map[trace.Stack]*stackInfo),
	}
}

// generation parses one whole generation and returns its batch, or the
// parser's error (a panic in the parser on hostile input included).
func (b *builder) generation(job *genJob) (batch *model.RuntimeBatch, events int, err error) {
	if job.fresh {
		b.restart()
	}
	b.epoch++
	b.started = false
	b.start, b.end = 0, 0
	clear(b.stacks)
	defer func() {
		if p := recover(); p != nil {
			batch, err = nil, fmt.Errorf("trace parser: %v", p)
			b.restart()
		}
	}()
	rd, err := trace.NewReader(io.MultiReader(bytes.NewReader(job.header), bytes.NewReader(job.data)))
	if err != nil {
		b.restart()
		return nil, 0, err
	}
	var perr error
	for {
		ev, err := rd.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			perr = err
			break
		}
		events++
		b.event(&ev)
	}
	if perr != nil {
		// What was read before the error stays in the totals and leaves
		// with the next batch; the next generation starts afresh.
		b.restart()
		return nil, events, perr
	}
	return b.finish(job), events, nil
}

// restart forgets what cannot be trusted across a gap: times are not
// accrued over it, and announcements are dropped.
func (b *builder) restart() {
	for _, g := range b.gs {
		g.lastT = 0
		g.named = nil
		g.isOpening = false
	}
}

func (b *builder) event(ev *trace.Event) {
	t := int64(ev.Time())
	switch ev.Kind() {
	case trace.EventSync:
		if cs := ev.Sync().ClockSnapshot; cs != nil {
			b.monoOff = int64(cs.Mono) - int64(cs.Trace)
			b.wallOff = cs.Wall.UnixNano() - int64(cs.Mono)
			b.haveWall = true
		}
		m := t + b.monoOff
		if !b.started {
			b.start, b.started = m, true
		}
		b.end = max(b.end, m)
	case trace.EventStateTransition:
		st := ev.StateTransition()
		if st.Resource.Kind == trace.ResourceGoroutine {
			b.end = max(b.end, t+b.monoOff)
			b.transition(ev, &st, t+b.monoOff)
		}
	case trace.EventLog:
		b.end = max(b.end, t+b.monoOff)
		b.log(ev, t+b.monoOff)
	case trace.EventTaskBegin:
		// The task the SDK opens right after a span's spantop.span log.
		if g := b.gs[ev.Goroutine()]; g != nil && g.isOpening {
			if len(b.tasks) < b.opts.MaxSpans {
				b.tasks[ev.Task().ID] = g.opening
			} else {
				b.c.overflow.Add(1)
			}
			g.isOpening = false
		}
	case trace.EventTaskEnd:
		if key, ok := b.tasks[ev.Task().ID]; ok {
			delete(b.tasks, ev.Task().ID)
			b.end = max(b.end, t+b.monoOff)
			b.spanEnd(key, t+b.monoOff)
		}
	}
}

func goState(s trace.GoState) model.GoState {
	switch s {
	case trace.GoRunning:
		return model.GoRunning
	case trace.GoRunnable:
		return model.GoRunnable
	case trace.GoWaiting:
		return model.GoWaiting
	case trace.GoSyscall:
		return model.GoSyscall
	}
	return model.GoExited
}

func (b *builder) transition(ev *trace.Event, st *trace.StateTransition, t int64) {
	id := st.Resource.Goroutine()
	from, to := st.Goroutine()
	g := b.gs[id]
	if g == nil {
		if to == trace.GoNotExist || to == trace.GoUndetermined {
			return
		}
		if len(b.gs) >= b.opts.MaxGoroutines {
			// Counted once per generation per goroutine: at its creation or status.
			if from == trace.GoNotExist || from == trace.GoUndetermined {
				b.c.overflow.Add(1)
			}
			return
		}
		g = &goroutine{id: int64(id), state: goState(to), since: t, lastT: t, seen: b.epoch, dirty: true}
		b.gs[id] = g
		if name, ok := b.names[id]; ok {
			g.name = name
			delete(b.names, id)
		}
		if from == trace.GoNotExist {
			g.created = t
			if p := ev.Goroutine(); p != trace.NoGoroutine {
				g.parent = int64(p)
			}
			if si := b.stack(ev.Stack()); si != nil {
				g.createStack = si.frames
			}
			if si := b.stack(st.Stack); si != nil && len(si.frames) > 0 {
				g.startFunc = si.frames[0].Func
			}
		} else if si := b.stack(st.Stack); si != nil {
			g.startFunc = si.outer
		}
		switch g.state {
		case model.GoWaiting:
			b.block(g, st.Reason, st.Stack)
		case model.GoSyscall:
			b.block(g, "syscall", st.Stack)
		}
		return
	}
	g.seen = b.epoch
	if from == trace.GoUndetermined {
		// A status at the start of a generation. It confirms what is
		// known, or resets it after a gap.
		ns := goState(to)
		if g.lastT == 0 {
			g.lastT = t
		}
		if ns == g.state {
			if (ns == model.GoWaiting || ns == model.GoSyscall) && g.block == nil && st.Stack != trace.NoStack {
				b.block(g, g.reason, st.Stack)
			}
			return
		}
		b.accrue(g, t)
		b.leave(g, t)
		g.state, g.since, g.dirty = ns, t, true
		switch ns {
		case model.GoWaiting:
			b.block(g, "", st.Stack)
		case model.GoSyscall:
			b.block(g, "syscall", st.Stack)
		}
		return
	}
	b.accrue(g, t)
	old := g.state
	g.dirty = true
	if old == model.GoRunning && to != trace.GoRunning {
		b.endRun(g, t)
	}
	switch to {
	case trace.GoNotExist:
		b.leave(g, t)
		b.exit(g, t)
		return
	case trace.GoRunning:
		if old == model.GoRunnable {
			g.polls++
			g.scheds = sample(g.scheds, t-g.since)
		}
	case trace.GoRunnable:
		if old == model.GoRunning && st.Reason == "preempted" {
			g.preempts++
		}
		if old == model.GoWaiting {
			b.wake(g, ev)
		}
	}
	b.leave(g, t)
	g.state, g.since = goState(to), t
	switch to {
	case trace.GoWaiting:
		b.block(g, st.Reason, st.Stack)
	case trace.GoSyscall:
		b.block(g, "syscall", st.Stack)
	}
}

func sample(s []int64, d int64) []int64 {
	if len(s) < model.MaxSamples {
		s = append(s, d)
	}
	return s
}

// accrue adds the time since g.lastT to the bucket of g's state, and to
// the spans g works for.
func (b *builder) accrue(g *goroutine, t int64) {
	if g.lastT == 0 {
		g.lastT = t
		return
	}
	d := t - g.lastT
	if d <= 0 {
		return
	}
	g.lastT = t
	var busy, sched, idle int64
	switch g.state {
	case model.GoRunning:
		g.busy += d
		busy = d
	case model.GoRunnable:
		g.sched += d
		sched = d
	case model.GoWaiting:
		g.idle[g.wait] += d
		idle = d
	case model.GoSyscall:
		g.idle[model.WaitSyscall] += d
		idle = d
	default:
		return
	}
	for _, sp := range g.spans {
		sp.busy += busy
		sp.sched += sched
		sp.idle += idle
		b.markSpan(sp)
	}
}

func (b *builder) endRun(g *goroutine, t int64) {
	d := t - g.since
	g.longest = max(g.longest, d)
	g.runs = sample(g.runs, d)
}

// wake records who unblocked g: the goroutine the unblocking event ran on.
func (b *builder) wake(g *goroutine, ev *trace.Event) {
	w := ev.Goroutine()
	if w == trace.NoGoroutine || int64(w) == g.id {
		return
	}
	g.wakes++
	g.waker = int64(w)
	if r := g.res; r != nil {
		if r.wakers == nil {
			r.wakers = make(map[int64]uint64)
		}
		if _, ok := r.wakers[int64(w)]; ok || len(r.wakers) < maxWakers {
			r.wakers[int64(w)]++
		}
	}
}

// leave ends g's wait, if it waits, before it changes state.
func (b *builder) leave(g *goroutine, t int64) {
	if g.state != model.GoWaiting && g.state != model.GoSyscall {
		return
	}
	if r := g.res; r != nil {
		d := max(t-g.since, 0)
		r.waits++
		r.total += d
		r.maxWait = max(r.maxWait, d)
		r.samples = sample(r.samples, d)
		r.touched = b.epoch
	}
	g.res, g.block, g.reason, g.wait = nil, nil, "", model.WaitOther
}

// block records what g, now waiting or in a system call, waits on.
func (b *builder) block(g *goroutine, reason string, stk trace.Stack) {
	si := b.stack(stk)
	kind := model.WaitSyscall
	if reason != "syscall" {
		kind = classify(reason, si)
	}
	g.wait, g.reason, g.block = kind, reason, si
	if si != nil && g.startFunc == "" {
		g.startFunc = si.outer
	}
	site := ""
	if si != nil {
		site = si.site
	}
	var key resKey
	if n := g.named; n != nil {
		g.named = nil
		if g.busy-n.busy <= namedWindow && kind != model.WaitSyscall {
			key = resKey{kind: n.kind, name: n.name}
			g.wait = n.kind
		}
	}
	if key.name == "" {
		if site == "" || kind == model.WaitGC {
			return
		}
		if si.res != nil && si.resKind == kind && si.res.alive {
			si.res.touched = b.epoch
			g.res = si.res
			return
		}
		key = resKey{kind: kind, site: site}
	}
	r := b.resources[key]
	if r == nil {
		if len(b.resources) >= b.opts.MaxResources {
			b.c.overflow.Add(1)
			return
		}
		r = &resource{key: key, site: site, alive: true}
		b.resources[key] = r
	}
	r.touched = b.epoch
	g.res = r
	if key.name == "" {
		si.res, si.resKind = r, kind
	}
}

func (b *builder) exit(g *goroutine, t int64) {
	g.state, g.since, g.ended, g.dirty = model.GoExited, t, t, true
	for _, sp := range g.spans {
		sp.active = slices.DeleteFunc(sp.active, func(x *goroutine) bool { return x == g })
		b.markSpan(sp)
	}
	g.spans, g.named = nil, nil
}

func (b *builder) stack(s trace.Stack) *stackInfo {
	if s == trace.NoStack {
		return nil
	}
	if si, ok := b.stacks[s]; ok {
		return si
	}
	var frames []model.Frame
	outer := ""
	for f := range s.Frames() {
		if len(frames) < maxFrames {
			frames = append(frames, model.Frame{Func: f.Func, File: f.File, Line: int(f.Line)})
		}
		if f.Func != "runtime.goexit" && f.Func != "" {
			outer = f.Func
		}
	}
	si := newStackInfo(frames)
	si.outer = outer
	b.stacks[s] = si
	return si
}

func (b *builder) log(ev *trace.Event, t int64) {
	l := ev.Log()
	if l.Category == logNames {
		b.nameGoroutines(l.Message)
		return
	}
	g := b.gs[ev.Goroutine()]
	if g == nil {
		return
	}
	g.seen = b.epoch
	switch l.Category {
	case logSpan, logSpanGo:
		if len(l.Message) == spanKeyBytes {
			key := spanKey([]byte(l.Message))
			b.accrue(g, t)
			b.spanStart(g, key)
			if l.Category == logSpan {
				g.opening, g.isOpening = key, true
			}
		}
	case logSpanEnd:
		if len(l.Message) == spanKeyBytes {
			b.spanEnd(spanKey([]byte(l.Message)), t)
		}
	case logName:
		g.name = clip(l.Message)
		g.dirty = true
	case logResource:
		kind, name, ok := parseNamed(l.Message)
		if ok {
			b.accrue(g, t)
			g.named = &namedWait{kind: kind, name: name, busy: g.busy}
		}
	}
}

// nameGoroutines applies a spantop.goroutine.names message. A goroutine
// the trace has not mentioned yet (a blocked one gets its status only when
// the generation ends) is named when it first appears.
func (b *builder) nameGoroutines(msg string) {
	for line := range strings.Lines(msg) {
		id, name, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if !ok || name == "" {
			continue
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			continue
		}
		if g := b.gs[trace.GoID(n)]; g != nil {
			if g.name == "" {
				g.name = clip(name)
				g.dirty = true
			}
			continue
		}
		if len(b.names) < maxPendingNames {
			if b.names == nil {
				b.names = make(map[trace.GoID]string)
			}
			b.names[trace.GoID(n)] = clip(name)
		}
	}
}

// parseNamed reads a spantop.res message: "mutex:<name>" or "semaphore:<name>".
func parseNamed(msg string) (model.WaitKind, string, bool) {
	kind, name, ok := strings.Cut(msg, ":")
	if !ok || name == "" {
		return 0, "", false
	}
	switch kind {
	case "mutex":
		return model.WaitMutex, clip(name), true
	case "semaphore":
		return model.WaitSemaphore, clip(name), true
	}
	return 0, "", false
}

func clip(s string) string {
	if len(s) > maxNameLen {
		s = s[:maxNameLen]
	}
	return strings.Clone(s)
}

func (b *builder) markSpan(sp *spanAcc) {
	if !sp.dirty {
		sp.dirty = true
		b.dirtySpans = append(b.dirtySpans, sp)
	}
}

func (b *builder) spanStart(g *goroutine, key spanKey) {
	if b.ended.has(key) {
		return
	}
	sp := b.spans[key]
	if sp == nil {
		if len(b.spans) >= b.opts.MaxSpans {
			b.c.overflow.Add(1)
			return
		}
		sp = &spanAcc{key: key}
		b.spans[key] = sp
	}
	if slices.Contains(g.spans, sp) {
		return
	}
	if len(g.spans) >= maxSpansPerGoroutine {
		b.c.overflow.Add(1)
		return
	}
	g.spans = append(g.spans, sp)
	sp.active = append(sp.active, g)
	if len(sp.gs) < maxSpanGoroutines && !slices.Contains(sp.gs, g.id) {
		sp.gs = append(sp.gs, g.id)
	}
	b.markSpan(sp)
}

// spanEnd stops every goroutine working for the span, wherever it ended.
func (b *builder) spanEnd(key spanKey, t int64) {
	b.ended.add(key)
	sp := b.spans[key]
	if sp == nil {
		return
	}
	for _, g := range sp.active {
		b.accrue(g, t)
		g.spans = slices.DeleteFunc(g.spans, func(x *spanAcc) bool { return x == sp })
	}
	sp.active = nil
	b.markSpan(sp)
}

// finish closes the generation: times are accrued to its end and the
// batch is built from what changed.
func (b *builder) finish(job *genJob) *model.RuntimeBatch {
	if !b.started {
		return nil
	}
	end := b.end
	if !b.haveWall {
		// No clock snapshot (Go < 1.25): the generation ended about when it arrived.
		b.wallOff = job.arrived.UnixNano() - end
		b.haveWall = true
	}
	wall := func(m int64) int64 {
		if m == 0 {
			return 0
		}
		return m + b.wallOff
	}
	for _, g := range b.gs {
		if g.state == model.GoExited {
			continue
		}
		if g.seen != b.epoch {
			// Every live goroutine appears in every generation; one that
			// did not is gone, its end missed in a gap.
			b.leave(g, b.start)
			b.exit(g, b.start)
			continue
		}
		b.accrue(g, end)
		if g.state == model.GoRunning {
			// A run still going on counts once it is the longest.
			g.longest = max(g.longest, end-g.since)
		}
		if r := g.res; r != nil {
			if r.waitersEpoch != b.epoch {
				r.waiters, r.waiting, r.longest, r.waitersEpoch = 0, 0, 0, b.epoch
			}
			d := max(end-g.since, 0)
			r.waiters++
			r.waiting += d
			r.longest = max(r.longest, d)
			r.touched = b.epoch
		}
	}

	batch := &model.RuntimeBatch{
		Resource: b.res,
		Session:  b.session,
		Start:    wall(b.start),
		End:      wall(end),
		Bytes:    job.wire,
	}
	for _, r := range b.resources {
		if r.touched != b.epoch {
			r.idx = -1
			continue
		}
		r.idx = int32(len(batch.SyncResources))
		var waiters int
		var waiting, longest int64
		if r.waitersEpoch == b.epoch {
			waiters, waiting, longest = r.waiters, r.waiting, r.longest
		}
		batch.SyncResources = append(batch.SyncResources, model.SyncResourceRec{
			Kind:        r.key.kind,
			Name:        r.key.name,
			Location:    r.site,
			Waiters:     waiters,
			Waiting:     waiting,
			Longest:     longest,
			Waits:       r.waits,
			WaitTotal:   r.total,
			WaitMax:     r.maxWait,
			WaitSamples: r.samples,
			Wakers:      topWakers(r.wakers),
		})
		r.samples = nil
	}
	for id, g := range b.gs {
		if !g.dirty && g.state != model.GoRunning && g.state != model.GoRunnable {
			continue
		}
		rec := model.GoroutineRec{
			ID:           g.id,
			Parent:       g.parent,
			Name:         g.name,
			StartFunc:    g.startFunc,
			Created:      wall(g.created),
			Ended:        wall(g.ended),
			State:        g.state,
			Resource:     -1,
			Since:        wall(g.since),
			Busy:         g.busy,
			Sched:        g.sched,
			Idle:         g.idle,
			Polls:        g.polls,
			Preempts:     g.preempts,
			LongestRun:   g.longest,
			Wakes:        g.wakes,
			Waker:        g.waker,
			RunSamples:   g.runs,
			SchedSamples: g.scheds,
		}
		if !g.createSent {
			rec.CreateStack = g.createStack
			g.createSent, g.createStack = true, nil
		}
		if g.state == model.GoWaiting || g.state == model.GoSyscall {
			rec.Wait, rec.WaitReason = g.wait, g.reason
			if g.block != nil {
				rec.BlockStack = g.block.frames
			}
			if g.res != nil && g.res.idx >= 0 {
				rec.Resource = g.res.idx
			}
		}
		batch.Goroutines = append(batch.Goroutines, rec)
		g.runs, g.scheds, g.dirty = nil, nil, false
		if g.state == model.GoExited {
			delete(b.gs, id)
		}
	}
	slices.SortFunc(batch.Goroutines, func(a, b model.GoroutineRec) int { return cmp.Compare(a.ID, b.ID) })
	for _, sp := range b.dirtySpans {
		st := model.SpanTime{
			Busy:       sp.busy,
			Sched:      sp.sched,
			Idle:       sp.idle,
			Goroutines: slices.Clone(sp.gs),
		}
		copy(st.TraceID[:], sp.key[:16])
		copy(st.SpanID[:], sp.key[16:])
		batch.SpanTimes = append(batch.SpanTimes, st)
		sp.dirty = false
		if len(sp.active) == 0 {
			delete(b.spans, sp.key)
		}
	}
	clear(b.dirtySpans)
	b.dirtySpans = b.dirtySpans[:0]
	if b.epoch%sweepEvery == 0 {
		// A task of a span nobody works for any more has nothing to end.
		for id, key := range b.tasks {
			if b.spans[key] == nil {
				delete(b.tasks, id)
			}
		}
		for k, r := range b.resources {
			if r.touched+resourceIdleGens < b.epoch {
				r.alive = false
				delete(b.resources, k)
			}
		}
	}
	return batch
}

// topWakers returns the goroutines that gave the most wakes, most first.
func topWakers(m map[int64]uint64) []model.Waker {
	if len(m) == 0 {
		return nil
	}
	ws := make([]model.Waker, 0, len(m))
	for g, n := range m {
		ws = append(ws, model.Waker{Goroutine: g, Wakes: n})
	}
	slices.SortFunc(ws, func(a, b model.Waker) int {
		if c := cmp.Compare(b.Wakes, a.Wakes); c != 0 {
			return c
		}
		return cmp.Compare(a.Goroutine, b.Goroutine)
	})
	return ws[:min(len(ws), wakersShown)]
}
