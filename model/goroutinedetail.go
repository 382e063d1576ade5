package model

import (
	"cmp"
	"slices"
	"time"
)

func (m *Model) goRef(slot uint32, g *goInfo, now int64) GoroutineRef {
	c, i := m.store.at(slot)
	ref := GoroutineRef{ID: c.id[i], GoID: g.goid, Name: m.syms.String(c.name[i])} // as its row names it
	if g.since > 0 {
		ref.For = time.Duration(max(now-g.since, 0))
	}
	return ref
}

func (m *Model) goRefByID(p *process, goid int64) GoroutineRef {
	if slot, ok := p.goroutines[goid]; ok {
		return m.goRef(slot, m.rt.gos[slot], 0)
	}
	return GoroutineRef{GoID: goid}
}

// Goroutine returns the details of the goroutine row with display ID id.
func (m *Model) Goroutine(id uint64) (GoroutineDetail, bool) {
	d, ok := m.goroutine(id)
	if ok {
		d.CanSaveTrace = m.canSaveTrace(id)
	}
	return d, ok
}

func (m *Model) goroutine(id uint64) (GoroutineDetail, bool) {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	slot, ok := m.findSlot(id)
	if !ok {
		return GoroutineDetail{}, false
	}
	c, i := m.store.at(slot)
	g := m.rt.gos[slot]
	if c.kind[i] != KindGoroutine || g == nil {
		return GoroutineDetail{}, false
	}
	svc := m.aggs.services[c.svc[i]]
	d := GoroutineDetail{
		ID: id, GoID: g.goid, Name: g.name, StartFunc: g.startFunc,
		Service: m.syms.String(svc.name), Instance: m.syms.String(svc.instance),
		State: c.state[i], GoState: g.state, Wait: g.wait, WaitReason: g.reason,
		Total: time.Duration(durKey(c.dur[i], now)),
		Busy:  time.Duration(g.busy), Sched: time.Duration(g.sched),
		Polls: g.polls, Preempts: g.preempts, LongestRun: time.Duration(g.longestRun), Wakes: g.wakes,
		Run: g.run.summary(), SchedLat: g.schedLat.summary(),
		CreateStack: g.createStack, BlockStack: g.blockStack,
		Warnings: m.warnings(slot),
	}
	if g.since > 0 && (c.state[i] == StateRunning || c.state[i] == StateWaiting) {
		d.InState = time.Duration(max(now-g.since, 0))
	}
	if g.created > 0 {
		d.Created = time.Unix(0, g.created)
	}
	if g.ended > 0 {
		d.Ended = time.Unix(0, g.ended)
	}
	if g.res != nil && g.state == GoWaiting {
		d.Resource = g.res.id
	}
	for k, v := range g.idle {
		if v > 0 {
			d.Idle = append(d.Idle, WaitTime{Kind: WaitKind(k), Time: time.Duration(v)})
		}
	}
	slices.SortFunc(d.Idle, func(a, b WaitTime) int { return cmp.Compare(b.Time, a.Time) })
	if g.parent != 0 {
		d.Parent = m.goRefByID(g.proc, g.parent)
	}
	if g.waker != 0 {
		d.Waker = m.goRefByID(g.proc, g.waker)
	}
	for j := range min(g.nspans, len(g.spans)) {
		k := g.spans[(g.nspans-1-j)%len(g.spans)] // newest first
		ref := SpanRef{TraceID: k.trace, SpanID: k.span}
		if s, ok := m.lookup(k); ok {
			sc, si := m.store.at(s)
			ref.ID, ref.Name = sc.id[si], m.syms.String(sc.name[si])
			if sc.rt != nil {
				ref.Busy, ref.Sched, ref.Idle = time.Duration(sc.rt.busy[si]), time.Duration(sc.rt.sched[si]), time.Duration(sc.rt.idle[si])
			}
		}
		d.Spans = append(d.Spans, ref)
	}
	return d, true
}

// GoroutineOrigin tells which process and trace session a goroutine row
// came from, as the trace reader keys them, and the service's name.
func (m *Model) GoroutineOrigin(id uint64) (res Resource, session uint64, service string, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	slot, found := m.findSlot(id)
	if !found {
		return Resource{}, 0, "", false
	}
	g := m.rt.gos[slot]
	if g == nil {
		return Resource{}, 0, "", false
	}
	s := m.aggs.services[g.proc.key.svc]
	res = Resource{ServiceName: s.name, InstanceID: s.instance, HostName: s.host, PID: s.pid, Attrs: s.attrs}
	return res, g.proc.key.session, m.syms.String(s.name), true
}
