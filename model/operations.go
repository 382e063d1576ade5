package model

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// opStats are an operation's figures at one moment, computed once per query
// for the operations that pass the filter.
type opStats struct {
	op            *operation
	rate          float64
	p50, p95, p99 int64
}

// Operations returns one window of the operations table. There are far
// fewer operations than spans (one per service, name and kind), so the
// filtered set is sorted in full; percentiles come from each histogram.
func (m *Model) Operations(q Query) Page[OpRow] {
	f, ferr := parseFilter(q.Filter)
	if ferr == nil && f != nil {
		ferr = checkOpFilter(f)
	}
	if ferr != nil {
		f = nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var ranks []uint32
	if q.Sort == OpService || q.Sort == OpName {
		ranks = m.syms.rankOf(func(mark func(Sym)) {
			for _, o := range m.aggs.ops {
				mark(o.name)
			}
			for _, s := range m.aggs.services {
				mark(s.name)
			}
		})
	}
	now := m.now().UnixNano()
	stats := make([]opStats, 0, len(m.aggs.ops))
	for _, o := range m.aggs.ops {
		if f != nil && !m.matchOp(f, o) {
			continue
		}
		stats = append(stats, opStats{op: o, rate: o.rate.rate(now),
			p50: int64(o.hist.Quantile(0.50)), p95: int64(o.hist.Quantile(0.95)), p99: int64(o.hist.Quantile(0.99))})
	}
	items := make([]item, len(stats))
	for i := range stats {
		k := m.opKeyOf(&stats[i], q.Sort, ranks)
		idk := stats[i].op.id
		if q.Desc {
			k, idk = -k, ^idk
		}
		items[i] = item{key: k, idk: idk, slot: uint32(i)}
	}
	sort.Slice(items, func(a, b int) bool { return less(items[a], items[b]) })

	rank, hasAnchor := -1, false
	if q.Anchor != 0 {
		for i, it := range items {
			if stats[it.slot].op.id == q.Anchor {
				rank, hasAnchor = i, true
				break
			}
		}
	}
	var plan windowPlan
	if hasAnchor {
		plan = planWindow(q, len(items), items[rank], rank, true)
	} else {
		plan = planWindow(q, len(items), item{}, 0, false)
	}
	window := items[min(plan.off, len(items)):min(plan.off+plan.limit, len(items))]
	page := Page[OpRow]{Total: len(items), Offset: plan.off, Selected: plan.selected, Rows: make([]OpRow, len(window))}
	if page.Selected >= len(window) {
		page.Selected = len(window) - 1
	}
	if ferr != nil {
		page.FilterErr = ferr.Error()
	}
	for j, it := range window {
		page.Rows[j] = m.opRow(&stats[it.slot], now)
	}
	return page
}

func (m *Model) opKeyOf(s *opStats, col Column, ranks []uint32) int64 {
	o := s.op
	rank := func(id Sym) int64 {
		if int(id) < len(ranks) {
			return int64(ranks[id])
		}
		return math.MaxUint32
	}
	switch col {
	case OpService:
		return rank(m.aggs.services[o.svc].name)
	case OpName:
		return rank(o.name)
	case OpKind:
		return int64(o.kind)
	case OpCount:
		return o.count
	case OpRate:
		return int64(s.rate * 1000)
	case OpInFlight:
		return o.inFlight
	case OpErrors:
		if o.count == 0 {
			return 0
		}
		return o.errors * 1_000_000 / o.count
	case OpP50:
		return s.p50
	case OpP95:
		return s.p95
	case OpP99:
		return s.p99
	case OpMax:
		return int64(o.hist.Max())
	case OpTotal:
		return o.total
	case OpBusy:
		return o.busy
	case OpIdle:
		return o.idle
	}
	return 0
}

func (m *Model) opRow(s *opStats, now int64) OpRow {
	o := s.op
	return OpRow{
		ID: o.id, Version: o.version, Service: m.syms.String(m.aggs.services[o.svc].name), Name: m.syms.String(o.name), Kind: o.kind,
		Count: o.count, Errors: o.errors, InFlight: o.inFlight, Rate: s.rate,
		P50: time.Duration(s.p50), P95: time.Duration(s.p95), P99: time.Duration(s.p99),
		Max: o.hist.Max(), Total: time.Duration(o.total), Busy: time.Duration(o.busy), Idle: time.Duration(o.idle),
		Spark: o.rate.last(now, sparkSeconds),
	}
}

// sparkSeconds is how many seconds of history an operation row carries.
const sparkSeconds = 30

func checkOpFilter(f *filter) error {
	for _, t := range f.terms {
		switch t.field {
		case fieldText, fieldName, fieldService, fieldKind:
		default:
			return fmt.Errorf("operations filter on name, service, kind or free text only")
		}
	}
	return nil
}

func (m *Model) matchOp(f *filter, o *operation) bool {
	svc := m.aggs.services[o.svc].name
	for k := range f.terms {
		t := &f.terms[k]
		var ok bool
		switch t.field {
		case fieldText:
			ok = t.matchSym(o.name, m.syms) || t.matchSym(svc, m.syms)
		case fieldName:
			ok = t.matchSym(o.name, m.syms)
		case fieldService:
			ok = t.matchSym(svc, m.syms)
		case fieldKind:
			ok = t.matchString(o.kind.String())
		}
		if !ok {
			return false
		}
	}
	return true
}
