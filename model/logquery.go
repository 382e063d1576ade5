package model

import (
	"slices"
	"sort"
	"time"
)

// Logs columns, in display order. LogTime sorts by arrival (the order of
// a live tail, which is time order per sender); LogTimestamp by the
// records' own timestamps.
const (
	LogTime Column = iota
	LogSeverity
	LogService
	LogBody
	LogTrace
	LogScope
	LogAttrs
	LogTimestamp
	LogColumns // number of log columns
)

// maxRowBody is how much of a body a table row carries (the view shows one
// line of it; details carry the whole body).
const maxRowBody = 1024

// LogRow is one row of the logs table.
type LogRow struct {
	ID           uint64
	Time         time.Time
	Severity     Severity
	SeverityText string
	Service      string
	// Body is the body's first maxRowBody bytes, as received (the UI
	// sanitises it); Truncated says it was cut here or at ingest.
	Body      string
	Truncated bool
	TraceID   TraceID
	SpanID    SpanID
	// HasTrace and HasSpan say whether the record carries trace context.
	HasTrace, HasSpan bool
	Scope             string
	Event             string
	Attrs             []Attr
}

// LogDetail is everything stored of one record, for its details page.
type LogDetail struct {
	LogRow
	// Body is the whole body (as cut at ingest, if it was over-long).
	Body     string
	Resource []Attr
	// Span is the display ID of the record's span when it is stored (a
	// link to its details), else 0; TraceSpans counts the trace's spans
	// stored.
	Span       uint64
	TraceSpans int
}

// LogMark says how many stored logs, and ERROR-or-worse logs, refer to a
// span or trace.
type LogMark struct {
	Logs, Errors int
}

// TimelineEntry is a span's event or log record, for its details page.
type TimelineEntry struct {
	Time time.Time
	// Exactly one of Event and Log is set.
	Event *EventDetail
	Log   *LogRow
}

// Logs answers one window of the logs table. Sorted by LogTime it costs
// the window only, with a filter also the records that arrived since the
// last query with that filter; other sorts scan the (matching) records.
// Offset FollowOffset gives the live tail.
func (m *Model) Logs(q Query) Page[LogRow] {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f, err := parseLogFilter(q.Filter)
	page := Page[LogRow]{Selected: -1}
	if err != nil {
		page.FilterErr, f = err.Error(), nil
	}
	s := m.logs
	if s == nil {
		return page
	}
	// The records in arrival order: all of them (IDs first…next-1), or
	// those matching the filter.
	total := s.stored
	idAt := func(i int) uint64 { return s.first + uint64(i) }
	indexOf := func(id uint64) (int, bool) { return int(id - s.first), s.has(id) }
	var matched []uint64
	if f != nil {
		s.matches.mu.Lock()
		defer s.matches.mu.Unlock()
		matched = m.matching(&s.matches, f, q.Filter)
		total = len(matched)
		idAt = func(i int) uint64 { return matched[i] }
		indexOf = func(id uint64) (int, bool) {
			i := sort.Search(len(matched), func(i int) bool { return matched[i] >= id })
			return i, i < len(matched) && matched[i] == id
		}
	}
	var ids []uint64
	var plan windowPlan
	if q.Sort == LogTime {
		anchorRank, hasAnchor := 0, false
		if q.Anchor != 0 {
			anchorRank, hasAnchor = indexOf(q.Anchor)
			if q.Desc {
				anchorRank = total - 1 - anchorRank
			}
		}
		plan = planWindow(q, total, item{}, anchorRank, hasAnchor)
		for r := plan.off; r < min(plan.off+plan.limit, total); r++ {
			if q.Desc {
				ids = append(ids, idAt(total-1-r))
			} else {
				ids = append(ids, idAt(r))
			}
		}
	} else {
		ranks := m.syms.rankOf(func(mark func(Sym)) {
			for _, svc := range m.aggs.services {
				mark(svc.name)
			}
			for i := range m.logs.metas {
				mark(m.logs.metas[i].scope)
			}
		})
		key := func(id uint64, e *logEntry, c *logChunk) item {
			var k int64
			switch q.Sort {
			case LogSeverity:
				k = int64(e.sev)
			case LogService:
				k = symKey(ranks, m.aggs.services[m.logs.metas[e.meta].svc].name)
			case LogBody:
				k = prefixKey(c.body(e))
			case LogTrace:
				k = prefixKey(e.traceID[:7])
			case LogScope:
				k = symKey(ranks, m.logs.metas[e.meta].scope)
			case LogAttrs:
				k = int64(e.nattr)
			case LogTimestamp:
				k = e.time
			}
			return sortItem(k, id, q.Desc)
		}
		var anchor item
		hasAnchor := false
		if _, ok := indexOf(q.Anchor); ok && q.Anchor != 0 {
			e, c := s.at(q.Anchor)
			anchor, hasAnchor = key(q.Anchor, e, c), true
		}
		var items []item
		items, total, plan = scanWindow(q, anchor, hasAnchor, func(offer func(item)) {
			if f == nil {
				s.each(func(id uint64, e *logEntry, c *logChunk) bool {
					offer(key(id, e, c))
					return true
				})
				return
			}
			for _, id := range matched {
				e, c := s.at(id)
				offer(key(id, e, c))
			}
		})
		for _, it := range items {
			ids = append(ids, itemID(it, q.Desc))
		}
	}
	page.Total, page.Offset, page.Selected = total, plan.off, plan.selected
	if page.Selected >= len(ids) {
		page.Selected = len(ids) - 1
	}
	page.Rows = make([]LogRow, 0, len(ids))
	for _, id := range ids {
		e, c := s.at(id)
		page.Rows = append(page.Rows, m.logRow(id, e, c, maxRowBody))
	}
	return page
}

func (m *Model) logRow(id uint64, e *logEntry, c *logChunk, maxBody int) LogRow {
	body := c.body(e)
	r := LogRow{
		ID: id, Time: time.Unix(0, e.time), Severity: e.sev, SeverityText: m.syms.String(m.logs.metas[e.meta].sevText),
		Service:   m.syms.String(m.aggs.services[m.logs.metas[e.meta].svc].name),
		Truncated: e.flags&logTruncated != 0 || len(body) > maxBody,
		TraceID:   e.traceID, SpanID: e.spanID,
		HasTrace: e.flags&logHasTrace != 0, HasSpan: e.flags&logHasSpan != 0,
		Scope: m.syms.String(m.logs.metas[e.meta].scope), Event: m.syms.String(m.logs.metas[e.meta].event),
		Attrs: DecodeAttrs(c.attrs(e), m.syms),
	}
	r.Body = string(body[:min(len(body), maxBody)])
	return r
}

// Log returns the details of the record with display ID id.
func (m *Model) Log(id uint64) (LogDetail, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.logs
	if s == nil || !s.has(id) {
		return LogDetail{}, false
	}
	e, c := s.at(id)
	d := LogDetail{LogRow: m.logRow(id, e, c, maxRowBody), Body: string(c.body(e)), Resource: DecodeAttrs(m.aggs.services[m.logs.metas[e.meta].svc].attrs, m.syms)}
	if e.flags&logHasTrace != 0 {
		d.TraceSpans = m.traceSpans(e.traceID)
		if e.flags&logHasSpan != 0 {
			if slot, ok := m.spanSlot(e.traceID, e.spanID); ok {
				sc, si := m.store.at(slot)
				d.Span = sc.id[si]
			}
		}
	}
	return d, true
}

// spanSlot finds a stored span by its wire IDs (a walk of its trace's
// spans; readers only).
func (m *Model) spanSlot(trace TraceID, span SpanID) (uint32, bool) {
	t := m.tr.byKey[traceKey(trace)]
	if t == nil {
		return 0, false
	}
	k := spanKey{trace, span}
	for slot := t.head; slot != noSlot; {
		if m.store.is(slot, k) {
			return slot, true
		}
		c, i := m.store.at(slot)
		slot = c.cold[i].nextT
	}
	return 0, false
}

// LogsOf returns the stored records of a trace, or of one span of it when
// span is not zero, oldest first (at most LogsPerSpanLimit, the newest).
// The trace's spans need not be stored.
func (m *Model) LogsOf(trace TraceID, span SpanID) []LogRow {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.logs == nil {
		return nil
	}
	var rows []LogRow
	m.logs.eachInTrace(trace, func(id uint64, e *logEntry, c *logChunk) bool {
		if span.IsZero() || e.spanID == span {
			rows = append(rows, m.logRow(id, e, c, maxRowBody))
		}
		return len(rows) < LogsPerSpanLimit
	})
	slices.Reverse(rows)
	return rows
}

// SpanLogs returns the logs of the span with display ID id, oldest first.
func (m *Model) SpanLogs(id uint64) []LogRow {
	m.mu.RLock()
	slot, ok := m.findSlot(id)
	var k spanKey
	if ok {
		k = m.store.key(slot)
	}
	m.mu.RUnlock()
	if !ok {
		return nil
	}
	return m.LogsOf(k.trace, k.span)
}

// SpanTimeline returns the events and logs of the span with display ID id
// interleaved in time order (an event before a log at the same instant).
func (m *Model) SpanTimeline(id uint64) []TimelineEntry {
	d, ok := m.Span(id)
	if !ok {
		return nil
	}
	logs := m.LogsOf(d.TraceID, d.SpanID)
	out := make([]TimelineEntry, 0, len(d.Events)+len(logs))
	for i := range d.Events {
		out = append(out, TimelineEntry{Time: d.Events[i].Time, Event: &d.Events[i]})
	}
	for i := range logs {
		out = append(out, TimelineEntry{Time: logs[i].Time, Log: &logs[i]})
	}
	slices.SortStableFunc(out, func(a, b TimelineEntry) int { return a.Time.Compare(b.Time) })
	return out
}

// TraceLogs counts the stored logs of a trace, for the traces table.
func (m *Model) TraceLogs(trace TraceID) LogMark {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.logs == nil {
		return LogMark{}
	}
	var mk LogMark
	m.logs.eachInTrace(trace, func(_ uint64, e *logEntry, _ *logChunk) bool {
		mk.Logs++
		if e.sev.IsError() {
			mk.Errors++
		}
		return true
	})
	return mk
}

// TraceLogMarks counts the stored logs of each span of a trace, for the
// waterfall's marks; logs with a trace ID and no span ID count under the
// zero SpanID.
func (m *Model) TraceLogMarks(trace TraceID) map[SpanID]LogMark {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.logs == nil {
		return nil
	}
	var marks map[SpanID]LogMark
	m.logs.eachInTrace(trace, func(_ uint64, e *logEntry, _ *logChunk) bool {
		if marks == nil {
			marks = make(map[SpanID]LogMark)
		}
		mk := marks[e.spanID]
		mk.Logs++
		if e.sev.IsError() {
			mk.Errors++
		}
		marks[e.spanID] = mk
		return true
	})
	return marks
}

// ErrorLogsByOperation counts the stored ERROR-or-worse logs of each
// operation (by operation ID) whose span is stored.
func (m *Model) ErrorLogsByOperation() map[uint64]int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.logs
	if s == nil {
		return nil
	}
	out := make(map[uint64]int)
	for _, id := range s.errIDs[s.errHead:] {
		if !s.has(id) {
			continue
		}
		e, _ := s.at(id)
		if e.flags&logHasSpan == 0 {
			continue
		}
		if slot, ok := m.spanSlot(e.traceID, e.spanID); ok {
			c, i := m.store.at(slot)
			out[m.aggs.ops[c.cold[i].op].id]++
		}
	}
	return out
}

// OperationErrorLogs counts the stored ERROR-or-worse logs of the
// operation with ID id.
func (m *Model) OperationErrorLogs(id uint64) int { return m.ErrorLogsByOperation()[id] }
