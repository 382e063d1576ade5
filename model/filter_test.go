package model

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRegexpFilterEveryField(t *testing.T) {
	m, clk := newTestModel(Config{})
	b := m.batch(
		spec{trace: 1, span: 1, name: "GET /users", service: "frontend", kind: KindServer, start: clk.Now(), dur: 200 * time.Millisecond, attrs: map[string]string{"http.route": "/users/{id}"}},
		spec{trace: 1, span: 2, name: "SELECT users", service: "db", kind: KindClient, start: clk.Now(), dur: 1500 * time.Millisecond, status: StatusError},
		spec{trace: 2, span: 3, name: "work", service: "worker", start: clk.Now(), inflight: true, seq: 1},
	)
	b.Spans[0].Scope = m.Symbols().InternString("net/http")
	b.Spans[1].Location = m.Symbols().InternString("store/users.go:42")
	m.Apply(b)
	clk.Advance(time.Second)
	cases := []struct {
		filter string
		want   []string
	}{
		{"name~^get", []string{"GET /users"}},
		{`name~users$`, []string{"GET /users", "SELECT users"}},
		{`name~^(get|select)\s`, []string{"GET /users", "SELECT users"}},
		{"name!=work name~.", []string{"GET /users", "SELECT users"}},
		{"service~^(db|worker)$", []string{"SELECT users", "work"}},
		{"svc~END", []string{"GET /users"}},
		{"target~^net/", []string{"GET /users"}},
		{`location~\.go:\d+$`, []string{"SELECT users"}},
		{"kind~^(server|internal)$", []string{"GET /users"}},
		{"status~^err", []string{"SELECT users"}},
		{"state~run|lost", []string{"work"}},
		{`dur~^1\.5s$`, []string{"SELECT users"}},
		{"id~^[12]$", []string{"GET /users", "SELECT users"}},
		{"trace~2$", []string{"work"}},
		{`http.route~\{id\}`, []string{"GET /users"}},
		{"http.route~x", nil},
		{"users name~^sel", []string{"SELECT users"}},
		// Braces that are no repetition are literal, as people type routes.
		{"http.route~/users/{id}", []string{"GET /users"}},
	}
	for _, c := range cases {
		page := m.Tasks(Query{Sort: TaskID, Filter: c.filter, Limit: 10})
		if page.FilterErr != "" {
			t.Errorf("%q: error %s", c.filter, page.FilterErr)
		}
		if got := names(page.Rows); !reflect.DeepEqual(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%q: got %v, want %v", c.filter, got, c.want)
		}
	}
	ops := m.Operations(Query{Sort: OpName, Filter: "name~^(get|work)", Limit: 10})
	if ops.FilterErr != "" || ops.Total != 2 {
		t.Errorf("operations by regexp: %d, %s", ops.Total, ops.FilterErr)
	}
	for _, c := range []struct{ filter, msg string }{
		{"name~(", "name~: missing closing ): `(`"},
		{"service~a**", "service~: invalid nested repetition operator: `**`"},
		{"dur~[", "dur~: missing closing ]: `[`"},
	} {
		page := m.Tasks(Query{Filter: c.filter, Limit: 10})
		if page.FilterErr != c.msg {
			t.Errorf("%q: error %q, want %q", c.filter, page.FilterErr, c.msg)
		}
		if page.Total != 3 {
			t.Errorf("%q: a bad filter should leave the table unfiltered, got %d", c.filter, page.Total)
		}
	}
}

func TestRegexpCompiledOnce(t *testing.T) {
	a, err := compileRegexp("^abc+$")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := compileRegexp("^abc+$"); a != b {
		t.Error("the same source compiled twice")
	}
	f1, _ := parseFilter("name~^abc+$")
	f2, _ := parseFilter("name~^abc+$")
	if f1.terms[0].re != f2.terms[0].re {
		t.Error("parsing the filter again compiled its regexp again")
	}
	// The cache is bounded.
	for i := range 3 * maxCachedRegexps {
		_, _ = compileRegexp(strings.Repeat("x", i))
	}
	regexps.Lock()
	n := len(regexps.m)
	regexps.Unlock()
	if n > maxCachedRegexps {
		t.Errorf("cache holds %d entries", n)
	}
}

// Values with spaces work without quotes after name=, quotes still work,
// and a quoted word after a name is free text again.
func TestFilterNameWithSpacesUnquoted(t *testing.T) {
	m, clk := newTestModel(Config{})
	m.Apply(m.batch(
		spec{trace: 1, span: 1, name: "POST /api/checkout", service: "frontend", start: clk.Now(), dur: time.Millisecond},
		spec{trace: 1, span: 2, name: "POST /api/cart", service: "frontend", start: clk.Now(), dur: time.Millisecond},
		spec{trace: 2, span: 3, name: "POST /api/checkout", service: "shop", start: clk.Now(), dur: time.Millisecond},
	))
	for filter, want := range map[string]int{
		"name=POST /api/checkout":                  2,
		`name="POST /api/checkout"`:                2,
		"name=POST /api/checkout service=frontend": 1,
		"service=shop name=post /API/checkout":     1,
		"name!=POST /api/checkout":                 1,
		`name=POST /api/checkout "shop"`:           1,
		"frontend name=POST /api/cart":             1,
	} {
		p := m.Tasks(Query{Sort: TaskID, Filter: filter, Limit: 10})
		if p.Total != want || p.FilterErr != "" {
			t.Errorf("%q: %d rows %q (%s), want %d", filter, p.Total, names(p.Rows), p.FilterErr, want)
		}
	}
}

// A trace ID (or its prefix) pasted as free text finds its trace's spans;
// trace= takes a prefix too.
func TestFilterPastedTraceID(t *testing.T) {
	m, clk := newTestModel(Config{})
	b := m.batch(
		spec{trace: 0xabcdef12, span: 1, name: "a", service: "s", start: clk.Now(), dur: time.Millisecond},
		spec{trace: 0xabcdef12, span: 2, parent: 1, name: "b", service: "s", start: clk.Now(), dur: time.Millisecond},
		spec{trace: 7, span: 3, name: "c", service: "s", start: clk.Now(), dur: time.Millisecond},
	)
	id := traceID(0xabcdef12)
	id[0], id[1] = 0x4b, 0xf9 // distinct from trace 7's first digits
	for i := range b.Spans[:2] {
		b.Spans[i].TraceID = id
	}
	m.Apply(b)
	full := id.String()
	for _, filter := range []string{full, full[:8], strings.ToUpper(full[:12]), "trace=" + full[:10], "  " + full + " "} {
		if p := m.Tasks(Query{Sort: TaskID, Filter: filter, Limit: 10}); p.Total != 2 {
			t.Errorf("%q: %d spans %q, want the trace's 2", filter, p.Total, names(p.Rows))
		}
	}
	if p := m.Tasks(Query{Sort: TaskID, Filter: full[:7], Limit: 10}); p.Total == 2 {
		t.Errorf("7 hex digits taken for a trace prefix")
	}
}
