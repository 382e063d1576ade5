package ui

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/spantop/spantop/model"
)

// demoNow is the clock of the demo model: a fixed instant, so screens
// with times in them can be compared with golden files.
var demoNow = time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)

// demoTrace is the ID of the demo model's checkout trace.
var demoTrace = model.TraceID{0xc0, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}

type demoSpan struct {
	span, parent uint64
	name, svc    string
	kind         model.SpanKind
	from, to     time.Duration // from the trace's start; to 0: in flight
	err          bool
}

// demoSpans is a checkout: a fan-out, a slow query on the critical path,
// a retry that failed, a call still in flight, and two spans whose parent
// never arrived.
var demoSpans = []demoSpan{
	{1, 0, "POST /checkout", "frontend", model.KindServer, 0, 412 * time.Millisecond, false},
	{2, 1, "session.load", "frontend", model.KindInternal, 1 * time.Millisecond, 5 * time.Millisecond, false},
	{3, 1, "POST /checkout", "frontend", model.KindClient, 6 * time.Millisecond, 405 * time.Millisecond, false},
	{4, 3, "POST /checkout", "checkout", model.KindServer, 8 * time.Millisecond, 403 * time.Millisecond, false},
	{5, 4, "auth.v1.AuthService/Check", "checkout", model.KindClient, 9 * time.Millisecond, 14 * time.Millisecond, false},
	{6, 5, "auth.v1.AuthService/Check", "auth", model.KindServer, 10 * time.Millisecond, 13 * time.Millisecond, false},
	{7, 6, "redis GET", "auth", model.KindClient, 10500 * time.Microsecond, 12 * time.Millisecond, false},
	{8, 4, "cart.validate", "checkout", model.KindInternal, 15 * time.Millisecond, 19 * time.Millisecond, false},
	{9, 4, "POST /reserve", "checkout", model.KindClient, 20 * time.Millisecond, 36 * time.Millisecond, false},
	{10, 9, "POST /reserve", "inventory", model.KindServer, 21 * time.Millisecond, 35 * time.Millisecond, false},
	{11, 10, "UPDATE stock", "inventory", model.KindClient, 22 * time.Millisecond, 34 * time.Millisecond, false},
	{12, 4, "POST /charge", "checkout", model.KindClient, 37 * time.Millisecond, 120 * time.Millisecond, true},
	{13, 12, "POST /charge", "payments", model.KindServer, 38 * time.Millisecond, 119 * time.Millisecond, true},
	{14, 13, "fraud.score", "payments", model.KindInternal, 40 * time.Millisecond, 48 * time.Millisecond, false},
	{15, 4, "POST /charge", "checkout", model.KindClient, 125 * time.Millisecond, 390 * time.Millisecond, false},
	{16, 15, "POST /charge", "payments", model.KindServer, 126 * time.Millisecond, 389 * time.Millisecond, false},
	{17, 16, "fraud.score", "payments", model.KindInternal, 127 * time.Millisecond, 135 * time.Millisecond, false},
	{18, 16, "INSERT payments", "payments", model.KindClient, 136 * time.Millisecond, 388 * time.Millisecond, false},
	{19, 4, "INSERT orders", "checkout", model.KindClient, 391 * time.Millisecond, 400 * time.Millisecond, false},
	{20, 4, "send orders", "checkout", model.KindProducer, 400 * time.Millisecond, 401 * time.Millisecond, false},
	{21, 20, "process orders", "shipping", model.KindConsumer, 402 * time.Millisecond, 0, false},
	{22, 21, "SELECT shipments", "shipping", model.KindClient, 403 * time.Millisecond, 0, false},
	{23, 99, "cache.fill", "inventory", model.KindInternal, 50 * time.Millisecond, 70 * time.Millisecond, false},
	{24, 99, "cache.write", "inventory", model.KindInternal, 71 * time.Millisecond, 74 * time.Millisecond, false},
}

// demoModel builds a model with the checkout trace and five minutes of
// one operation's history, on a fixed clock.
func demoModel() *model.Model {
	var mu sync.Mutex
	now := demoNow.Add(-5 * time.Minute)
	m := model.New(model.Config{Retain: time.Hour, Clock: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	syms := m.Symbols()
	services := []string{"frontend", "checkout", "auth", "inventory", "payments", "shipping"}
	var res []model.Resource
	resOf := map[string]uint32{}
	for i, s := range services {
		w := model.NewAttrWriter(syms)
		w.String([]byte("service.name"), []byte(s))
		res = append(res, model.Resource{ServiceName: syms.InternString(s), Attrs: w.Blob()})
		resOf[s] = uint32(i)
	}
	sid := func(n uint64) model.SpanID {
		var s model.SpanID
		binary.BigEndian.PutUint64(s[:], n)
		return s
	}
	// Five minutes of POST /charge on payments: slower in the middle.
	for step := range 60 {
		b := &model.Batch{Resources: res}
		for k := range 3 + step%4 {
			var t model.TraceID
			binary.BigEndian.PutUint64(t[8:], uint64(step*100+k+1))
			t[0] = 0xaa
			d := time.Duration(20+k*7+step) * time.Millisecond
			if step > 20 && step < 35 {
				d *= 4
			}
			start := now.Add(-d)
			b.Spans = append(b.Spans, model.SpanRec{TraceID: t, SpanID: sid(1), Start: start.UnixNano(), End: now.UnixNano(),
				Name: syms.InternString("POST /charge"), Kind: model.KindServer, Res: resOf["payments"],
				Status: model.StatusCode(map[bool]int{true: 2, false: 0}[k == 0 && step%9 == 0])})
		}
		m.Apply(b)
		mu.Lock()
		now = now.Add(5 * time.Second)
		mu.Unlock()
	}
	mu.Lock()
	now = demoNow
	mu.Unlock()
	t0 := demoNow.Add(-420 * time.Millisecond)
	b := &model.Batch{Resources: res}
	for _, s := range demoSpans {
		r := model.SpanRec{TraceID: demoTrace, SpanID: sid(s.span), Parent: sid(s.parent), Name: syms.InternString(s.name),
			Kind: s.kind, Res: resOf[s.svc], Start: t0.Add(s.from).UnixNano()}
		if s.parent == 0 {
			r.Parent = model.SpanID{}
		}
		if s.to == 0 {
			r.InFlight, r.SnapshotSeq = true, 1
		} else {
			r.End = t0.Add(s.to).UnixNano()
		}
		if s.err {
			r.Status = model.StatusError
		}
		b.Spans = append(b.Spans, r)
	}
	m.Apply(b)
	return m
}
