package model

import "time"

// Span returns the details of the span with display ID id.
func (m *Model) Span(id uint64) (SpanDetail, bool) {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	slot, ok := m.findSlot(id)
	if !ok {
		return SpanDetail{}, false
	}
	c, i := m.store.at(slot)
	cold := &c.cold[i]
	svc := m.aggs.services[c.svc[i]]
	d := SpanDetail{
		ID: id, TraceID: cold.traceID, SpanID: cold.spanID, Parent: cold.parent,
		Name: m.syms.String(c.name[i]), Kind: c.kind[i], State: c.state[i], Status: cold.status,
		Start:        time.Unix(0, cold.start),
		Duration:     time.Duration(durKey(c.dur[i], now)),
		Service:      m.syms.String(svc.name),
		Scope:        m.syms.String(c.scope[i]),
		ScopeVersion: m.syms.String(cold.scopeVer),
		Location:     m.syms.String(c.loc[i]),
		Attrs:        DecodeAttrs(cold.attrs, m.syms),
		Resource:     DecodeAttrs(svc.attrs, m.syms),
		SnapshotSeq:  cold.seq,
		TraceSpans:   m.traceSpans(cold.traceID),
		Warnings:     m.warnings(slot),
	}
	if c.state[i] == StateDone || c.state[i] == StateError {
		d.End = time.Unix(0, cold.end)
	}
	if rt := c.rt; rt != nil && (rt.busy[i] != 0 || rt.sched[i] != 0 || rt.idle[i] != 0) {
		d.HasTimes = true
		d.Busy, d.Sched, d.Idle = time.Duration(rt.busy[i]), time.Duration(rt.sched[i]), time.Duration(rt.idle[i])
	}
	if e := cold.ext; e != nil {
		d.StatusMsg, d.TraceState = e.StatusMessage, e.TraceState
		d.DroppedAttrs, d.DroppedEvents, d.DroppedLinks = e.DroppedAttrs, e.DroppedEvents, e.DroppedLinks
		for _, ev := range e.Events {
			d.Events = append(d.Events, EventDetail{Time: time.Unix(0, ev.Time), Name: ev.Name, Attrs: DecodeAttrs(ev.Attrs, m.syms)})
		}
		for _, l := range e.Links {
			d.Links = append(d.Links, LinkDetail{TraceID: l.TraceID, SpanID: l.SpanID, Attrs: DecodeAttrs(l.Attrs, m.syms)})
		}
	}
	return d, true
}

func (m *Model) traceSpans(id TraceID) int {
	if t := m.tr.byKey[traceKey(id)]; t != nil {
		return int(t.count)
	}
	return 0
}
