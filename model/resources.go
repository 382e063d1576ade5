package model

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Resources returns one window of the resources view: every service, then
// the sync resources of agentlib apps. They number in the hundreds or
// thousands, not millions, so a query builds, filters and sorts them all.
func (m *Model) Resources(q Query) Page[ResourceRow] {
	f, ferr := parseFilter(q.Filter)
	if ferr != nil {
		f = nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now().UnixNano()
	rows := make([]ResourceRow, 0, len(m.aggs.services)+len(m.rt.resources))
	for i := range m.aggs.services {
		rows = append(rows, m.serviceRow(uint32(i), now))
	}
	for _, r := range m.rt.resources {
		rows = append(rows, m.resourceRow(r, now))
	}
	if f != nil {
		rows = slices.DeleteFunc(rows, func(r ResourceRow) bool { return !matchResource(f, &r) })
	}
	slices.SortStableFunc(rows, func(a, b ResourceRow) int {
		c := compareResources(&a, &b, q.Sort)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	page := Page[ResourceRow]{Total: len(rows), Selected: -1}
	if ferr != nil {
		page.FilterErr = ferr.Error()
	}
	rank, has := -1, false
	if q.Anchor != 0 {
		rank = slices.IndexFunc(rows, func(r ResourceRow) bool { return r.ID == q.Anchor })
		has = rank >= 0
	}
	plan := planWindow(q, len(rows), item{}, rank, has)
	page.Offset = plan.off
	page.Rows = rows[plan.off:min(plan.off+plan.limit, len(rows))]
	if has {
		page.Selected = min(plan.selected, len(page.Rows)-1)
	}
	return page
}

func compareResources(a, b *ResourceRow, col Column) int {
	switch col {
	case ResParent:
		return cmp.Compare(a.ParentName, b.ParentName)
	case ResKind:
		return cmp.Compare(a.Kind, b.Kind)
	case ResTotal:
		return cmp.Compare(a.Total, b.Total)
	case ResTarget:
		return cmp.Compare(a.Target, b.Target)
	case ResType:
		return cmp.Compare(a.Type, b.Type)
	case ResLocation:
		return cmp.Compare(a.Location, b.Location)
	case ResWaiters:
		return cmp.Compare(a.Waiters, b.Waiters)
	case ResWaitTotal:
		return cmp.Compare(a.WaitTotal, b.WaitTotal)
	case ResWaitMax:
		return cmp.Compare(a.WaitMax, b.WaitMax)
	case ResAttrs:
		return cmp.Compare(len(a.Attrs), len(b.Attrs))
	}
	return 0
}

// matchResource evaluates the filter terms that make sense for resources:
// free text, name, service, kind, location, target, id; others never match.
func matchResource(f *filter, r *ResourceRow) bool {
	name := ""
	for _, a := range r.Attrs {
		if a.Key == "name" {
			name = a.Value.String()
		}
	}
	for k := range f.terms {
		t := &f.terms[k]
		var ok bool
		switch t.field {
		case fieldText:
			ok = t.matchString(r.Kind) || t.matchString(r.Target) || t.matchString(r.Type) ||
				t.matchString(r.Location) || t.matchString(name)
		case fieldName:
			ok = t.matchString(name)
		case fieldService:
			ok = t.matchString(r.Target)
		case fieldKind:
			ok = t.matchString(r.Kind)
		case fieldLocation:
			ok = t.matchString(r.Location)
		case fieldTarget:
			ok = t.matchString(r.Type)
		case fieldID:
			ok = t.matchNum(int64(r.ID))
		case fieldDur:
			ok = t.matchNum(int64(r.WaitTotal))
		}
		if !ok {
			return false
		}
	}
	return true
}

func (m *Model) serviceRow(idx uint32, now int64) ResourceRow {
	s := m.aggs.services[idx]
	r := ResourceRow{
		ID: s.id, Kind: "service", Type: "process",
		// The sum of counters that only grow changes when any of them does.
		Version: m.rt.version + uint64(s.spans+s.errors),
		Target:  m.syms.String(s.name),
		Total:   time.Duration(max(now-s.since, 0)),
	}
	host := m.syms.String(s.host)
	if s.pid != 0 {
		host += ":" + strconv.FormatInt(s.pid, 10)
	}
	r.Location = strings.TrimPrefix(host, ":")
	r.Attrs = append(r.Attrs, Attr{Key: "spans/s", Value: Value{Type: ValueDouble, Float: s.rate.rate(now)}})
	if inst := m.syms.String(s.instance); inst != "" {
		r.Attrs = append(r.Attrs, Attr{Key: "instance", Value: Value{Type: ValueString, Str: inst}})
	}
	// Blocked now counts the goroutines its details list (stored, live,
	// waiting); the runtime's own count of waiting goroutines is among the
	// runtime figures.
	r.Waiters = m.waitingGoroutines(idx, nil, now, nil)
	rt := m.rt.svcRT[idx]
	if rt == nil || !rt.hasStats {
		r.Finished = now-s.since > int64(m.cfg.Linger) && s.rate.rate(now) == 0
		return r
	}
	st := &rt.stats
	r.WaitTotal = time.Duration(max(st.MutexWait, 0))
	add := func(k string, v int64, dur bool) {
		if v < 0 {
			return
		}
		if dur {
			r.Attrs = append(r.Attrs, Attr{Key: k, Value: Value{Type: ValueString, Str: time.Duration(v).String()}})
			return
		}
		r.Attrs = append(r.Attrs, Attr{Key: k, Value: Value{Type: ValueInt, Int: v}})
	}
	add("goroutines", st.Goroutines, false)
	add("heap", st.HeapBytes, false)
	add("gc", st.GCCycles, false)
	add("sched.p99", st.SchedP99, true)
	r.Finished = now-rt.at > int64(m.cfg.Linger)
	return r
}

func (m *Model) resourceRow(r *syncRes, now int64) ResourceRow {
	svc := m.aggs.services[r.svc]
	total, longest := r.waitFigures(now)
	row := ResourceRow{
		ID: r.id, Version: m.rt.version, Parent: svc.id, ParentName: m.syms.String(svc.name),
		Kind: r.kind.String(), Total: time.Duration(max(now-r.first, 0)),
		Target: m.syms.String(svc.name), Type: r.typeName(), Location: r.location,
		Waiters: r.waiters, WaitTotal: time.Duration(total), WaitMax: time.Duration(longest),
		Finished: r.waiters == 0 && now-r.last > int64(m.cfg.Linger),
	}
	if r.name != "" {
		row.Attrs = append(row.Attrs, Attr{Key: "name", Value: Value{Type: ValueString, Str: r.name}})
	}
	row.Attrs = append(row.Attrs, Attr{Key: "waits", Value: Value{Type: ValueInt, Int: int64(r.waits)}})
	return row
}

// Resource returns the details of a row of the resources view.
func (m *Model) Resource(id uint64) (ResourceDetail, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now().UnixNano()
	for i, s := range m.aggs.services {
		if s.id != id {
			continue
		}
		d := ResourceDetail{Row: m.serviceRow(uint32(i), now)}
		m.waitingGoroutines(uint32(i), nil, now, &d.Waiters)
		slices.SortFunc(d.Waiters, func(a, b GoroutineRef) int { return cmp.Compare(b.For, a.For) })
		if rt := m.rt.svcRT[uint32(i)]; rt != nil {
			if rt.hasStats {
				st := rt.stats
				d.Runtime = &st
			}
			d.Status = rt.status
		}
		return d, true
	}
	for _, r := range m.rt.resources {
		if r.id != id {
			continue
		}
		d := ResourceDetail{Row: m.resourceRow(r, now), Waits: r.waits, Ended: time.Duration(r.total),
			EndedMax: time.Duration(r.max), Wait: r.hist.Summary()}
		m.waitingGoroutines(r.svc, r, now, &d.Waiters)
		if p := m.rt.procs[procKey{r.svc, r.session}]; p != nil && !p.gone {
			for _, w := range r.wakers {
				ref := m.goRefByID(p, w.Goroutine)
				ref.Wakes = w.Wakes
				d.Wakers = append(d.Wakers, ref)
			}
		}
		slices.SortFunc(d.Waiters, func(a, b GoroutineRef) int { return cmp.Compare(b.For, a.For) })
		return d, true
	}
	return ResourceDetail{}, false
}

// waitingGoroutines counts the stored goroutines of a service's live
// processes that wait now — on res when it is set (then only in res's
// own session) — and appends them to refs when it is set.
func (m *Model) waitingGoroutines(svc uint32, res *syncRes, now int64, refs *[]GoroutineRef) int {
	n := 0
	for k, p := range m.rt.procs {
		if k.svc != svc || p.gone || (res != nil && k.session != res.session) {
			continue
		}
		for _, slot := range p.goroutines {
			g := m.rt.gos[slot]
			if g.state != GoWaiting || (res != nil && g.res != res) {
				continue
			}
			if c, i := m.store.at(slot); c.state[i] != StateWaiting {
				continue
			}
			n++
			if refs != nil {
				*refs = append(*refs, m.goRef(slot, g, now))
			}
		}
	}
	return n
}
