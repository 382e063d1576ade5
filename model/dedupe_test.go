package model

import (
	"testing"
	"time"
)

// resourceWith is a resource of service svc with the attributes kv (pairs).
func (m *Model) resourceWith(svc, instance string, kv ...string) Resource {
	w := NewAttrWriter(m.Symbols())
	w.String([]byte("service.name"), []byte(svc))
	r := Resource{ServiceName: m.Symbols().InternString(svc)}
	if instance != "" {
		w.String([]byte("service.instance.id"), []byte(instance))
		r.InstanceID = m.Symbols().InternString(instance)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		w.String([]byte(kv[i]), []byte(kv[i+1]))
	}
	r.Attrs = w.Blob()
	return r
}

func (m *Model) batchUnder(r Resource, specs ...spec) *Batch {
	b := &Batch{Resources: []Resource{r}}
	for _, s := range specs {
		b.Spans = append(b.Spans, m.rec(s))
	}
	return b
}

// A span agentlib sent in flight and then ended, and the same span from
// the application's own exporter (batched, so it comes after hundreds of
// other spans of its trace, and under a resource with fewer attributes),
// is one span of one operation of one service.
func TestOneSpanWhateverResourceAndHowLate(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now()
	agent := m.resourceWith("frontend", "", "process.runtime.name", "go", "process.runtime.version", "go1.26")
	app := m.resourceWith("frontend", "")
	checkout := spec{trace: 1, span: 1, name: "POST /api/checkout", kind: KindServer, start: start}
	snap := checkout
	snap.inflight, snap.seq = true, 1
	m.Apply(m.batchUnder(agent, snap))
	ended := checkout
	ended.dur = 2690 * time.Millisecond
	m.Apply(m.batchUnder(agent, ended))
	for i := range uint64(300) {
		m.Apply(m.batchUnder(app, spec{trace: 1, span: 100 + i, parent: 1, name: "child", start: start, dur: time.Millisecond}))
	}
	m.Apply(m.batchUnder(app, ended))

	page := m.Tasks(Query{Sort: TaskID, Filter: "checkout", Limit: 10})
	if page.Total != 1 {
		t.Fatalf("checkout stored %d times: %+v", page.Total, page.Rows)
	}
	ops := m.Operations(Query{Sort: OpName, Filter: "service=frontend", Limit: 10})
	if ops.Total != 2 {
		t.Fatalf("operations = %+v", ops.Rows)
	}
	for _, op := range ops.Rows {
		if op.Name == "POST /api/checkout" && op.Count != 1 {
			t.Fatalf("checkout counted %d times", op.Count)
		}
	}
	if h := m.Header(); h.Services != 1 || h.Spans != 301 {
		t.Fatalf("header = %+v", h)
	}
}

// One service is one service.instance.id (with its name), or its
// service.name when there is none.
func TestServiceIsItsInstanceOrName(t *testing.T) {
	m, clk := newTestModel(Config{})
	start := clk.Now()
	s := func(n uint64) spec { return spec{trace: n, span: n, name: "x", start: start, dur: time.Millisecond} }
	m.Apply(m.batchUnder(m.resourceWith("api", "i-1", "process.pid", "1"), s(1)))
	m.Apply(m.batchUnder(m.resourceWith("api", "i-1", "process.pid", "1", "process.runtime.name", "go"), s(2)))
	m.Apply(m.batchUnder(m.resourceWith("api", "i-2"), s(3)))
	m.Apply(m.batchUnder(m.resourceWith("api", ""), s(4)))
	m.Apply(m.batchUnder(m.resourceWith("api", "", "host.name", "h"), s(5)))
	if h := m.Header(); h.Services != 3 {
		t.Fatalf("services = %d, want 3 (api/i-1, api/i-2, api)", h.Services)
	}
}
