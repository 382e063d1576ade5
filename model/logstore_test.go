package model

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// logSpec describes a log record for tests in plain terms.
type logSpec struct {
	trace, span uint64
	sev         Severity
	body        string
	service     string
	attrs       map[string]string
	at          time.Time
}

func (m *Model) logBatch(specs ...logSpec) *Batch {
	b := &Batch{}
	svcIdx := map[string]uint32{}
	for _, s := range specs {
		idx := m.resourceIn(b, svcIdx, s.service)
		w := NewAttrWriter(m.Symbols())
		for k, v := range s.attrs {
			w.String([]byte(k), []byte(v))
		}
		data := append([]byte(s.body), w.Blob()...)
		r := LogRec{Time: s.at.UnixNano(), Severity: s.sev, Res: idx, Data: data, BodyLen: uint32(len(s.body)), NumAttrs: uint16(w.Len())}
		if s.trace != 0 {
			r.TraceID = traceID(s.trace)
		}
		if s.span != 0 {
			r.SpanID = spanID(s.span)
		}
		b.Logs = append(b.Logs, r)
	}
	return b
}

func logBodies(rows []LogRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Body
	}
	return out
}

func TestLogEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(logEntry{}); n != 64 {
		t.Fatalf("logEntry is %d bytes, want 64 (the 250-byte-per-record budget counts on it)", n)
	}
}

func TestLogsTailFilterAndDetails(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now()
	m.Apply(m.batch(spec{trace: 1, span: 1, name: "GET /cart", service: "api", start: now, dur: time.Millisecond}))
	m.Apply(m.logBatch(
		logSpec{trace: 1, span: 1, sev: SevInfo, body: "cart loaded", at: now, attrs: map[string]string{"user.id": "7"}},
		logSpec{trace: 1, span: 1, sev: SevWarn + 1, body: "slow cache", at: now.Add(time.Microsecond)},
		logSpec{trace: 2, span: 9, sev: SevError, body: "payment declined", service: "pay", at: now},
		logSpec{sev: SevDebug, body: "no trace context here", service: "worker", at: now},
	))
	h := m.Header()
	if h.Logs != 4 || h.LogErrors != 1 {
		t.Fatalf("header logs %d errors %d, want 4 and 1", h.Logs, h.LogErrors)
	}
	tail := m.Logs(Query{Sort: LogTime, Offset: FollowOffset, Limit: 2})
	if got := logBodies(tail.Rows); strings.Join(got, "|") != "payment declined|no trace context here" || tail.Offset != 2 || tail.Total != 4 {
		t.Fatalf("tail = %q offset %d total %d", got, tail.Offset, tail.Total)
	}
	for _, c := range []struct {
		filter string
		want   string
	}{
		{"severity>=warn", "slow cache|payment declined"},
		{"severity=warn", "slow cache"},
		{"level<info", "no trace context here"},
		{"service=pay", "payment declined"},
		{`body~^(cart|slow)`, "cart loaded|slow cache"},
		{"trace=" + traceID(2).String(), "payment declined"},
		{"trace=01000000", "cart loaded|slow cache|payment declined"},
		{"span=" + spanID(1).String(), "cart loaded|slow cache"},
		{"user.id=7", "cart loaded"},
		{"context", "no trace context here"},
		{"severity>warn", "payment declined"},
	} {
		p := m.Logs(Query{Sort: LogTime, Filter: c.filter, Limit: 10})
		if p.FilterErr != "" || strings.Join(logBodies(p.Rows), "|") != c.want {
			t.Errorf("filter %q: rows %q err %q, want %q", c.filter, logBodies(p.Rows), p.FilterErr, c.want)
		}
	}
	if p := m.Logs(Query{Filter: "severity>=loud"}); p.FilterErr == "" {
		t.Error("severity>=loud parsed without an error")
	}
	bySev := m.Logs(Query{Sort: LogSeverity, Desc: true, Limit: 1})
	if len(bySev.Rows) != 1 || bySev.Rows[0].Body != "payment declined" {
		t.Errorf("sorted by severity desc: %q", logBodies(bySev.Rows))
	}
	// Anchored on the record "slow cache", moved one down.
	anch := m.Logs(Query{Sort: LogTime, Anchor: 2, Move: 1, Row: 0, Limit: 2})
	if anch.Selected < 0 || anch.Rows[anch.Selected].Body != "payment declined" {
		t.Errorf("anchored window %q selected %d", logBodies(anch.Rows), anch.Selected)
	}

	d, ok := m.Log(1)
	if !ok || d.Body != "cart loaded" || d.Span == 0 || d.Service != "api" || len(d.Attrs) != 1 || len(d.Resource) != 1 {
		t.Fatalf("details %+v", d)
	}
	sd, _ := m.Span(d.Span)
	if sd.Name != "GET /cart" {
		t.Fatalf("the record's span link leads to %q", sd.Name)
	}
	if d, _ := m.Log(3); d.Span != 0 || d.TraceSpans != 0 {
		t.Errorf("a log whose spans never arrived links to span %d", d.Span)
	}
	if got := logBodies(m.SpanLogs(d.Span)); strings.Join(got, "|") != "cart loaded|slow cache" {
		t.Errorf("span logs %q", got)
	}
	if got := m.LogsOf(traceID(2), SpanID{}); len(got) != 1 {
		t.Errorf("logs of a trace with no spans: %d", len(got))
	}
	marks := m.TraceLogMarks(traceID(1))
	if mk := marks[spanID(1)]; mk.Logs != 2 || mk.Errors != 0 {
		t.Errorf("marks %+v", marks)
	}
	if mk := m.TraceLogs(traceID(2)); mk.Logs != 1 || mk.Errors != 1 {
		t.Errorf("trace 2 marks %+v", mk)
	}
}

func TestSpanTimelineInterleavesEventsAndLogs(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now()
	b := m.batch(spec{trace: 1, span: 1, name: "work", start: now, dur: time.Second})
	b.Spans[0].Ext = &SpanExt{Events: []Event{{Time: now.Add(10 * time.Millisecond).UnixNano(), Name: "e1"}, {Time: now.Add(30 * time.Millisecond).UnixNano(), Name: "e2"}}}
	m.Apply(b)
	m.Apply(m.logBatch(
		logSpec{trace: 1, span: 1, body: "l2", at: now.Add(20 * time.Millisecond)},
		logSpec{trace: 1, span: 1, body: "l1", at: now.Add(5 * time.Millisecond)},
		logSpec{trace: 1, span: 2, body: "other span", at: now},
	))
	var got []string
	for _, e := range m.SpanTimeline(1) {
		if e.Log != nil {
			got = append(got, e.Log.Body)
		} else {
			got = append(got, e.Event.Name)
		}
	}
	if strings.Join(got, ",") != "l1,e1,l2,e2" {
		t.Fatalf("timeline %v", got)
	}
}

func TestLogsRetentionAndBudget(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Minute, MaxMemory: 8 << 20})
	now := clk.Now()
	m.Apply(m.logBatch(logSpec{trace: 1, span: 1, sev: SevError, body: "old", at: now}))
	clk.Advance(2 * time.Minute)
	m.Apply(m.logBatch(logSpec{body: "new", at: clk.Now()}))
	m.Sweep()
	p := m.Logs(Query{Limit: 10})
	if got := logBodies(p.Rows); len(got) != 1 || got[0] != "new" {
		t.Fatalf("after retention: %q", got)
	}
	if mk := m.TraceLogs(traceID(1)); mk.Logs != 0 {
		t.Errorf("an expired log still counts in its trace: %+v", mk)
	}
	// Far more than fits: the oldest go, the budget holds, and every
	// record is either stored or counted as evicted.
	body := strings.Repeat("x", 100)
	const n = 200_000
	for i := 0; i < n; i += 1000 {
		var specs []logSpec
		for j := range 1000 {
			specs = append(specs, logSpec{trace: uint64(i + j + 10), span: 1, body: body, at: clk.Now()})
		}
		m.Apply(m.logBatch(specs...))
	}
	h := m.Header()
	if h.MemoryUsed > h.MemoryBudget {
		t.Fatalf("memory %d over budget %d", h.MemoryUsed, h.MemoryBudget)
	}
	// Logs alone can always make room: ingest must not be told to refuse.
	if h.OverBudget {
		t.Fatalf("a store of logs alone refuses at the door: %+v", h)
	}
	if h.LogsEvicted == 0 || int64(h.Logs)+h.LogsEvicted != n+1 {
		t.Fatalf("stored %d + evicted %d != %d", h.Logs, h.LogsEvicted, n+1)
	}
	newest := m.Logs(Query{Offset: FollowOffset, Limit: 1})
	if newest.Rows[0].TraceID != traceID(n-1+10) {
		t.Errorf("the newest record was not kept")
	}
	if mk := m.TraceLogs(traceID(10)); mk.Logs != 0 {
		t.Errorf("an evicted record's trace still counts it")
	}
}

func TestLogsOldestGoFirstAcrossSpansAndLogs(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Hour, MaxMemory: 16 << 20})
	m.Apply(m.logBatch(logSpec{body: "first", at: clk.Now()}))
	clk.Advance(time.Second)
	for i := range 200 {
		var specs []spec
		for j := range 512 {
			specs = append(specs, spec{trace: uint64(i*512 + j + 1), span: 1, name: fmt.Sprint("op", j%5), start: clk.Now(), dur: time.Millisecond})
		}
		m.Apply(m.batch(specs...))
	}
	h := m.Header()
	if h.Evicted == 0 {
		t.Skip("budget not reached")
	}
	if h.Logs != 0 || h.LogsEvicted != 1 {
		t.Fatalf("the oldest item (a log) was not evicted first: logs %d evicted %d", h.Logs, h.LogsEvicted)
	}
}

func TestErrorLogsByOperationAndSorts(t *testing.T) {
	m, clk := newTestModel(Config{})
	now := clk.Now()
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "charge", service: "pay", start: now, dur: time.Millisecond},
		spec{trace: 2, span: 2, name: "charge", service: "pay", start: now, dur: time.Millisecond},
		spec{trace: 3, span: 3, name: "browse", service: "web", start: now, dur: time.Millisecond},
	))
	m.Apply(m.logBatch(
		logSpec{trace: 1, span: 1, sev: SevError, body: "declined", at: now.Add(3 * time.Second)},
		logSpec{trace: 2, span: 2, sev: SevFatal, body: "processor down", at: now.Add(time.Second)},
		logSpec{trace: 3, span: 3, sev: SevWarn, body: "slow", at: now.Add(2 * time.Second)},
		logSpec{trace: 9, span: 9, sev: SevError, body: "span never arrives", at: now},
	))
	ops := m.Operations(Query{Sort: OpName, Limit: 5}).Rows
	byName := map[string]uint64{}
	for _, o := range ops {
		byName[o.Name] = o.ID
	}
	counts := m.ErrorLogsByOperation()
	if counts[byName["charge"]] != 2 || counts[byName["browse"]] != 0 || len(counts) != 1 {
		t.Fatalf("error logs by operation %v (ops %v)", counts, byName)
	}
	if n := m.OperationErrorLogs(byName["charge"]); n != 2 {
		t.Errorf("charge: %d error logs", n)
	}
	bySeen := logBodies(m.Logs(Query{Sort: LogTimestamp, Limit: 4}).Rows)
	if strings.Join(bySeen, "|") != "span never arrives|processor down|slow|declined" {
		t.Errorf("by timestamp: %q", bySeen)
	}
	desc := logBodies(m.Logs(Query{Sort: LogTime, Desc: true, Limit: 2}).Rows)
	if strings.Join(desc, "|") != "span never arrives|slow" {
		t.Errorf("newest first: %q", desc)
	}
	filteredTail := m.Logs(Query{Sort: LogTime, Filter: "severity>=error", Offset: FollowOffset, Limit: 2})
	if got := logBodies(filteredTail.Rows); strings.Join(got, "|") != "processor down|span never arrives" || filteredTail.Total != 3 {
		t.Errorf("filtered tail %q total %d", got, filteredTail.Total)
	}
}

func TestFilteredLogsFollowArrivalsAndEvictions(t *testing.T) {
	m, clk := newTestModel(Config{Retain: time.Minute})
	add := func(bodies ...string) {
		var specs []logSpec
		for _, b := range bodies {
			sev := SevInfo
			if strings.HasPrefix(b, "E") {
				sev = SevError
			}
			specs = append(specs, logSpec{body: b, sev: sev, at: clk.Now()})
		}
		m.Apply(m.logBatch(specs...))
	}
	tail := func(filter string) string {
		p := m.Logs(Query{Sort: LogTime, Filter: filter, Offset: FollowOffset, Limit: 3})
		return fmt.Sprintf("%s (%d)", strings.Join(logBodies(p.Rows), ","), p.Total)
	}
	add("E1", "i1", "E2")
	if got := tail("severity>=error"); got != "E1,E2 (2)" {
		t.Fatalf("first: %s", got)
	}
	clk.Advance(2 * time.Minute)
	add("i2", "E3", "E4")
	if got := tail("severity>=error"); got != "E2,E3,E4 (4)" {
		t.Fatalf("after arrivals: %s", got)
	}
	m.Sweep() // the first three expire
	if got := tail("severity>=error"); got != "E3,E4 (2)" {
		t.Fatalf("after expiry: %s", got)
	}
	if got := tail("body~^i"); got != "i2 (1)" {
		t.Fatalf("another filter: %s", got)
	}
	if got := tail("severity>=error"); got != "E3,E4 (2)" {
		t.Fatalf("back to the first filter: %s", got)
	}
	p := m.Logs(Query{Sort: LogTime, Filter: "severity>=error", Anchor: 6, Move: -1, Limit: 3})
	if p.Selected < 0 || p.Rows[p.Selected].Body != "E3" {
		t.Fatalf("anchored in a filtered table: %q selected %d", logBodies(p.Rows), p.Selected)
	}
}
