package model

import (
	"path"
	"strconv"
	"strings"
)

// Goroutines are rows of the span store with Kind KindGoroutine, so the
// tasks table sorts, filters, pages and retains them like spans. What only
// their details need lives in a goInfo beside the row. They are not in the
// in-flight index nor in any trace: their process finds them by goroutine
// ID.

// procKey identifies one traced session of one process: goroutine IDs are
// unique within it, and a new session (tracing restarted) starts over.
type procKey struct {
	svc     uint32
	session uint64
}

// process is a traced session of a service instance.
type process struct {
	key        procKey
	pid        int64            // process.pid of its resource, 0 when not sent
	goroutines map[int64]uint32 // goroutine ID → slot, while the row is stored
	lastSeen   int64            // local Unix ns of its last runtime batch
	gone       bool             // silent for too long, replaced by a new session, or said goodbye
	// silent marks a process gone only because no batch came for a while:
	// its session may speak again (its batches were late, not missing).
	silent bool
}

const (
	processBytes   = 256
	goEntryBytes   = 48  // one entry of process.goroutines
	goInfoBytes    = 480 // goInfo and its map entry
	frameBaseBytes = 48
)

// procLostAfter is how many heartbeats a process may stay silent before
// its goroutines are shown as lost: a trace generation and a metrics
// sample both arrive every second.
const procLostAfter = 5

// goInfo is a goroutine's details.
type goInfo struct {
	proc            *process
	goid, parent    int64
	name, startFunc string
	created, ended  int64
	state           GoState
	wait            WaitKind
	reason          string
	res             *syncRes
	since           int64
	busy, sched     int64
	idle            [WaitKinds]int64
	polls, preempts uint64
	wakes           uint64
	longestRun      int64
	waker           int64
	createStack     []Frame
	blockStack      []Frame
	run, schedLat   *smallHist
	// spans are the last spans it worked for (a ring).
	spans  [8]spanKey
	nspans int
	bytes  int64 // charged to the budget
	// accruedTo is the wall-clock end of the last generation its times
	// cover; gen is the model's count of generations when it was last sent.
	accruedTo int64
	gen       int64
	// called is the function a start helper called, read off a block
	// stack, for goroutines whose creation the trace did not see.
	called string
}

func (g *goInfo) addSpan(k spanKey) {
	n := min(g.nspans, len(g.spans))
	for i := range n {
		if g.spans[i] == k {
			return
		}
	}
	g.spans[g.nspans%len(g.spans)] = k
	g.nspans++
}

func framesBytes(fs []Frame) int64 {
	n := int64(24)
	for _, f := range fs {
		n += frameBaseBytes + int64(len(f.Func)+len(f.File))
	}
	return n
}

// processFor returns the process of a runtime batch, creating it; a new
// session of a service ends its older sessions in the same process (pid):
// replicas of a service without instance IDs are one service, each its
// own process.
func (m *Model) processFor(svc uint32, session uint64, pid, now int64) *process {
	k := procKey{svc, session}
	if p := m.rt.procs[k]; p != nil {
		return p
	}
	for ok, old := range m.rt.procs {
		if ok.svc == svc && (!old.gone || old.silent) && samePID(old.pid, pid) {
			old.silent = false // replaced: it will not speak again
			if !old.gone {
				m.processGone(old, now)
			}
		}
	}
	p := &process{key: k, pid: pid, goroutines: make(map[int64]uint32), lastSeen: now}
	m.rt.procs[k] = p
	m.rt.bytes += processBytes
	return p
}

// applyRuntime applies one generation of one process's execution trace.
func (m *Model) applyRuntime(rb *RuntimeBatch, svc uint32, now int64) {
	p := m.processFor(svc, rb.Session, rb.Resource.PID, now)
	if p.silent {
		m.reviveProcess(p)
	}
	if p.gone {
		return // a late batch of a session already replaced or ended
	}
	p.lastSeen = now
	m.rt.generations++
	res := make([]*syncRes, len(rb.SyncResources))
	for i := range rb.SyncResources {
		res[i] = m.applySyncRes(svc, rb.Session, &rb.SyncResources[i], now)
	}
	for i := range rb.Goroutines {
		m.applyGoroutine(p, &rb.Goroutines[i], res, rb.Start, now)
	}
	m.accrueBlocked(p, rb.End)
	for i := range rb.SpanTimes {
		m.applySpanTime(p, &rb.SpanTimes[i], now)
	}
}

func (m *Model) applyGoroutine(p *process, g *GoroutineRec, res []*syncRes, genStart, now int64) {
	slot, ok := p.goroutines[g.ID]
	fresh := !ok
	var info *goInfo
	if ok {
		info = m.rt.gos[slot]
		m.indexRemove(slot)
	} else {
		if !m.reserve(goInfoBytes + goEntryBytes + framesBytes(g.CreateStack)) {
			m.rt.droppedGoroutines++
			return
		}
		slot = m.store.alloc(spanKey{})
		c, i := m.store.at(slot)
		m.nextID++
		c.id[i] = m.nextID
		c.kind[i], c.svc[i] = KindGoroutine, p.key.svc
		c.cold[i].op = noSlot
		start := g.Created
		if start == 0 {
			start = genStart // it predates the trace: Total counts from when it was first seen
		}
		c.cold[i].start = start
		info = &goInfo{proc: p, goid: g.ID, bytes: goInfoBytes}
		m.rt.gos[slot] = info
		p.goroutines[g.ID] = slot
		m.rt.bytes += goInfoBytes + goEntryBytes
	}
	c, i := m.store.at(slot)
	wasLive := !fresh && (c.state[i] == StateRunning || c.state[i] == StateWaiting)
	m.updateGoInfo(info, g, res)
	info.gen = m.rt.generations

	// Columns of the row.
	// A goroutine started through a helper (agentlib.Go, WaitGroup.Go)
	// starts in the helper's closure; the helper's caller says more.
	fn, site := info.startFunc, userFrame(info.createStack)
	if isStartHelper(fn) {
		switch {
		case site.Func != "":
			fn = site.Func
		case info.called != "":
			fn = info.called
		}
	}
	name := info.name
	if name == "" {
		name = shortFunc(fn)
	}
	c.name[i] = m.syms.InternString(name)
	c.scope[i] = m.syms.InternString(funcPackage(fn))
	c.loc[i] = m.syms.InternString(frameSite(site))
	m.setGoFields(slot, info)
	m.setRuntimeCols(slot, info.busy, info.sched, sumIdle(&info.idle), info.polls)

	switch {
	case g.State == GoExited:
		if wasLive {
			m.stopRunning(slot)
			m.rt.goLive--
		}
		end := g.Ended
		if end == 0 {
			end = now
		}
		c.cold[i].end = end
		c.dur[i] = max(end-c.cold[i].start, 0)
		if fresh || c.state[i] != StateDone {
			c.state[i] = StateDone
			m.pushFIFO(slot, now)
		}
	default:
		c.state[i] = StateRunning
		if g.State == GoWaiting {
			c.state[i] = StateWaiting
		}
		c.dur[i] = runningDur(c.cold[i].start)
		if !wasLive {
			m.addRunning(slot)
			m.rt.goLive++
		}
	}
	c.cold[i].lastSeen = now
	m.indexAdd(slot)
	if g.State != GoExited {
		m.checkGoroutine(slot, info, now)
	}
}

func (m *Model) updateGoInfo(info *goInfo, g *GoroutineRec, res []*syncRes) {
	if g.Parent != 0 {
		info.parent = g.Parent
	}
	if g.Name != "" {
		info.name = g.Name
	}
	if g.StartFunc != "" {
		info.startFunc = g.StartFunc
	}
	if g.Created != 0 {
		info.created = g.Created
	}
	info.ended = g.Ended
	info.state, info.wait, info.reason, info.since = g.State, g.Wait, g.WaitReason, g.Since
	info.res = nil
	if g.Resource >= 0 && int(g.Resource) < len(res) {
		info.res = res[g.Resource]
	}
	info.busy, info.sched, info.idle = g.Busy, g.Sched, g.Idle
	info.polls, info.preempts, info.longestRun = g.Polls, g.Preempts, g.LongestRun
	info.wakes, info.waker = g.Wakes, g.Waker
	grow := int64(0)
	if g.CreateStack != nil {
		grow += framesBytes(g.CreateStack) - framesBytes(info.createStack)
		info.createStack = g.CreateStack
	}
	grow += framesBytes(g.BlockStack) - framesBytes(info.blockStack)
	info.blockStack = g.BlockStack
	if info.called == "" && isStartHelper(info.startFunc) {
		// The stack ends in the helper's closure; the frame above it is
		// the function it runs.
		for k := len(g.BlockStack) - 1; k > 0; k-- {
			if g.BlockStack[k].Func == info.startFunc {
				info.called = g.BlockStack[k-1].Func
				break
			}
		}
	}
	if g.State != GoWaiting {
		info.blockStack = nil
		grow -= framesBytes(g.BlockStack)
	}
	if len(g.RunSamples) > 0 && info.run == nil {
		info.run = new(smallHist)
		grow += smallBytes
	}
	if len(g.SchedSamples) > 0 && info.schedLat == nil {
		info.schedLat = new(smallHist)
		grow += smallBytes
	}
	for _, v := range g.RunSamples {
		info.run.record(v)
	}
	for _, v := range g.SchedSamples {
		info.schedLat.record(v)
	}
	info.bytes += grow
	m.rt.bytes += grow
}

// accrueBlocked brings the idle time of a process's blocked goroutines
// up to a generation's end. The reader sends a goroutine only when it did
// something, so one blocked all generation long is not in the batch, but
// its idle time grew all the same.
func (m *Model) accrueBlocked(p *process, end int64) {
	for _, slot := range p.goroutines {
		g := m.rt.gos[slot]
		if g.gen == m.rt.generations {
			g.accruedTo = end // just sent: its figures are as of end
			continue
		}
		if g.state != GoWaiting && g.state != GoSyscall || g.accruedTo == 0 || end <= g.accruedTo {
			continue
		}
		kind := g.wait
		if g.state == GoSyscall {
			kind = WaitSyscall
		}
		g.idle[kind] += end - g.accruedTo
		g.accruedTo = end
		m.indexRemove(slot)
		m.setRuntimeCols(slot, g.busy, g.sched, sumIdle(&g.idle), g.polls)
		m.indexAdd(slot)
	}
}

// setGoFields writes the Fields column of a goroutine row: what it is
// doing, in the words a filter can match (goid=12 wait=chan recv).
func (m *Model) setGoFields(slot uint32, g *goInfo) {
	w := m.rt.writer
	w.Reset()
	w.Int([]byte("goid"), g.goid)
	w.String([]byte("state"), []byte(g.state.String()))
	if g.state == GoWaiting {
		w.String([]byte("wait"), []byte(g.wait.String()))
		if g.res != nil {
			where := g.res.name
			if where == "" {
				where = g.res.location
			}
			w.String([]byte("on"), []byte(where))
		} else if g.reason != "" {
			w.String([]byte("reason"), []byte(g.reason))
		}
	}
	if g.parent != 0 {
		w.Int([]byte("parent"), g.parent)
	}
	c, i := m.store.at(slot)
	blob := w.Blob()
	m.store.setBlobs(c, i, blob, nil)
	c.nattr[i] = uint16(w.Len())
	c.cold[i].ver++
}

func sumIdle(idle *[WaitKinds]int64) int64 {
	var n int64
	for _, v := range idle {
		n += v
	}
	return n
}

// funcPackage returns the package path of a function name as the runtime
// prints it ("net/http.(*conn).serve" → "net/http").
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}

// shortFunc drops a function name's import path but for the package's
// own name ("net/http.(*conn).serve" → "http.(*conn).serve"): the Target
// column has the full package.
func shortFunc(fn string) string {
	if slash := strings.LastIndexByte(funcPackage(fn), '/'); slash >= 0 {
		return fn[slash+1:]
	}
	return fn
}

// startHelpers start goroutines on behalf of their caller.
var startHelpers = []string{"github.com/spantop/spantop/agentlib.", "sync.(*WaitGroup).Go", "golang.org/x/sync/errgroup."}

func isStartHelper(fn string) bool {
	for _, p := range startHelpers {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// userFrame is the first frame of a creation stack that is not the
// runtime's or a start helper's: where the program asked for the goroutine.
func userFrame(stack []Frame) Frame {
	for _, f := range stack {
		if !strings.HasPrefix(f.Func, "runtime.") && !isStartHelper(f.Func) {
			return f
		}
	}
	if len(stack) > 0 {
		return stack[0]
	}
	return Frame{}
}

// frameSite is "file.go:line" of a frame.
func frameSite(f Frame) string {
	if f.File == "" {
		return ""
	}
	return path.Base(f.File) + ":" + strconv.Itoa(f.Line)
}

// setRuntimeCols sets the busy/sched/idle/polls columns of a slot.
func (m *Model) setRuntimeCols(slot uint32, busy, sched, idle int64, polls uint64) {
	c, i := m.store.at(slot)
	if c.rt == nil {
		c.rt = new(rtCols)
		m.rt.bytes += rtColsBytes
	}
	c.rt.busy[i], c.rt.sched[i], c.rt.idle[i] = busy, sched, idle
	c.rt.polls[i] = uint32(min(polls, 1<<32-1))
	c.cold[i].ver++
}

// capBusy keeps a span's Busy within its Total once the Total is known
// (a finished span's dur; a running one's is negative).
// Busy adds up the goroutines that worked for a span, so goroutines
// running for it in parallel would add up past its wall time; the
// goroutines' own rows keep each one's time.
func capBusy(c *spanChunk, i int) {
	if c.rt != nil && c.dur[i] >= 0 && c.rt.busy[i] > c.dur[i] {
		c.rt.busy[i] = c.dur[i]
	}
}

// addRunning puts a live goroutine on the list of rows whose Total grows
// with the clock (it shares the in-flight spans' list, without their
// operation bookkeeping).
func (m *Model) addRunning(slot uint32) {
	m.unshelve(slot)
	c, i := m.store.at(slot)
	c.cold[i].runIdx = uint32(len(m.ret.running))
	m.ret.running = append(m.ret.running, slot)
}

// samePID reports whether two process.pid values may be one process (an
// unknown pid matches any).
func samePID(a, b int64) bool { return a == 0 || b == 0 || a == b }

// processGone marks a silent or replaced process: its live goroutines are
// shown as lost, its resources have no waiters any more.
func (m *Model) processGone(p *process, now int64) { m.processEnded(p, now, false) }

// processExited ends the processes of svc (and pid) that said goodbye:
// their goroutines exited with them; nothing is lost.
func (m *Model) processExited(svc uint32, pid, now int64) {
	for k, p := range m.rt.procs {
		if k.svc == svc && (!p.gone || p.silent) && samePID(p.pid, pid) {
			if p.silent {
				m.reviveProcess(p) // it was late, not gone: a goodbye means its goroutines exited
			}
			m.processEnded(p, now, true)
		}
	}
}

func (m *Model) processEnded(p *process, now int64, exited bool) {
	p.gone = true
	m.rt.version++
	for _, slot := range p.goroutines {
		c, i := m.store.at(slot)
		if st := c.state[i]; st != StateRunning && st != StateWaiting {
			continue
		}
		m.indexRemove(slot)
		m.stopRunning(slot)
		m.rt.goLive--
		if exited {
			c.state[i] = StateDone
			c.cold[i].end = now
			c.dur[i] = max(now-c.cold[i].start, 0)
			if g := m.rt.gos[slot]; g != nil {
				g.state, g.ended, g.blockStack = GoExited, now, nil
				m.setGoFields(slot, g)
			}
		} else {
			c.state[i] = StateLost
			c.dur[i] = max(p.lastSeen-c.cold[i].start, 0)
			m.rt.goLost++
		}
		m.pushFIFO(slot, now)
		m.indexAdd(slot)
	}
	for _, r := range m.rt.resources {
		if r.svc == p.key.svc && r.session == p.key.session {
			r.stopWaiting()
		}
	}
	if len(p.goroutines) == 0 {
		m.dropProcess(p)
	}
}

func (m *Model) dropProcess(p *process) {
	delete(m.rt.procs, p.key)
	m.rt.bytes -= processBytes
}

// removeGoroutine forgets a goroutine row's details; remove does the rest.
func (m *Model) removeGoroutine(slot uint32) {
	g := m.rt.gos[slot]
	delete(m.rt.gos, slot)
	if g == nil {
		return
	}
	m.rt.bytes -= g.bytes + goEntryBytes
	p := g.proc
	if s, ok := p.goroutines[g.goid]; ok && s == slot {
		delete(p.goroutines, g.goid)
	}
	if p.gone && len(p.goroutines) == 0 {
		m.dropProcess(p)
	}
}

// sweepProcesses marks processes silent for procLostAfter heartbeats gone.
func (m *Model) sweepProcesses(now int64) {
	after := int64(procLostAfter) * int64(m.cfg.Heartbeat)
	for _, p := range m.rt.procs {
		if !p.gone && now-p.lastSeen > after {
			m.processGone(p, now)
			p.silent = true
		}
	}
}

// reviveProcess brings back a process judged silent whose session spoke
// again. A generation sends only the goroutines that changed, so those
// that did not come back from what was known when it went quiet; the
// batch being applied then updates the rest.
func (m *Model) reviveProcess(p *process) {
	p.gone, p.silent = false, false
	m.rt.version++
	for _, slot := range p.goroutines {
		c, i := m.store.at(slot)
		g := m.rt.gos[slot]
		if c.state[i] != StateLost || g == nil || g.state == GoExited {
			continue
		}
		m.indexRemove(slot)
		m.rt.goLost--
		c.cold[i].gen++ // its retention entry is void
		c.state[i] = StateRunning
		if g.state == GoWaiting {
			c.state[i] = StateWaiting
		}
		c.dur[i] = runningDur(c.cold[i].start)
		m.addRunning(slot)
		m.rt.goLive++
		m.indexAdd(slot)
	}
}

// applySpanTime records what goroutines spent for a span: on the span's
// row if it is stored, else kept until it arrives (spans are often
// exported after the trace generation that saw them run).
func (m *Model) applySpanTime(p *process, st *SpanTime, now int64) {
	k := spanKey{st.TraceID, st.SpanID}
	for _, gid := range st.Goroutines {
		if slot, ok := p.goroutines[gid]; ok {
			m.rt.gos[slot].addSpan(k)
		}
	}
	if slot, ok := m.lookup(k); ok {
		m.setSpanRuntime(slot, st.Busy, st.Sched, st.Idle)
		return
	}
	m.rt.pending.put(k, pendingTimes{busy: st.Busy, sched: st.Sched, idle: st.Idle, at: now})
}

func (m *Model) setSpanRuntime(slot uint32, busy, sched, idle int64) {
	m.indexRemove(slot)
	m.setRuntimeCols(slot, busy, sched, idle, 0)
	c, i := m.store.at(slot)
	capBusy(c, i) // a finished span's Total is known (finish caps the others)
	m.indexAdd(slot)
}

// pendingTimes are span times waiting for their span.
type pendingTimes struct {
	busy, sched, idle int64
	at                int64
}

// pendingSpanTimes is a bounded map of span times whose span has not
// arrived; the oldest go first.
type pendingSpanTimes struct {
	m     map[spanKey]pendingTimes
	order []spanKey // ring, oldest at head
	head  int
}

const maxPendingSpanTimes = 16 << 10

func (p *pendingSpanTimes) put(k spanKey, t pendingTimes) {
	if p.m == nil {
		p.m = make(map[spanKey]pendingTimes)
		p.order = make([]spanKey, 0, maxPendingSpanTimes)
	}
	if _, ok := p.m[k]; ok {
		p.m[k] = t
		return
	}
	if len(p.order) < maxPendingSpanTimes {
		p.order = append(p.order, k)
	} else {
		delete(p.m, p.order[p.head])
		p.order[p.head] = k
		p.head = (p.head + 1) % len(p.order)
	}
	p.m[k] = t
}

func (p *pendingSpanTimes) take(k spanKey) (pendingTimes, bool) {
	t, ok := p.m[k]
	if ok {
		delete(p.m, k) // its ring entry is overwritten in time
	}
	return t, ok
}

// bytes charges the pending map at its bound once it exists.
func (p *pendingSpanTimes) bytes() int64 {
	if p.m == nil {
		return 0
	}
	return maxPendingSpanTimes * (24 + 32 + 24 + 16)
}

// applySample stores a process's runtime metrics on its service.
func (m *Model) applySample(s *RuntimeSample, now int64) {
	svc := m.serviceFor(&s.Resource)
	rt := m.svcRuntime(svc)
	rt.stats, rt.hasStats, rt.at = s.Stats, true, now
	rt.goroutines.note(s.Stats.Goroutines, m.cfg.Warn.Growth)
}

func (m *Model) applyStatus(s *AgentStatus, now int64) {
	svc := m.serviceFor(&s.Resource)
	if s.Goodbye {
		m.processExited(svc, s.Resource.PID, now)
		return
	}
	rt := m.svcRuntime(svc)
	rt.status, rt.statusAt = s.Message, now
}

// serviceRuntime is what agentlib told about a service's process.
type serviceRuntime struct {
	stats    RuntimeStats
	hasStats bool
	at       int64
	status   string
	statusAt int64
	// goroutines follows the goroutine count.
	goroutines growth
}

func (m *Model) svcRuntime(svc uint32) *serviceRuntime {
	rt := m.rt.svcRT[svc]
	if rt == nil {
		rt = &serviceRuntime{}
		m.rt.svcRT[svc] = rt
		m.rt.bytes += 256
	}
	return rt
}
