package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

// modelSource is the real model as a Source. Saving traces is
// cmd/spantop's job (it holds the trace reader), so here it fails.
type modelSource struct{ *model.Model }

var _ Source = modelSource{}

func (modelSource) SaveTrace(uint64) (string, error) {
	return "", errors.New("no trace reader in this test")
}

// TestWithRealModel drives the UI against the real model, with hostile
// strings in the span, to catch contract mismatches the fake cannot.
func TestWithRealModel(t *testing.T) {
	now := time.Now()
	m := model.New(model.Config{Clock: func() time.Time { return now }})
	syms := m.Symbols()
	aw := model.NewAttrWriter(syms)
	aw.String([]byte("http.route"), []byte("/x\x1b[2J"))
	b := &model.Batch{Resources: []model.Resource{{ServiceName: syms.InternString("api\r")}}}
	for i := range 50 {
		b.Spans = append(b.Spans, model.SpanRec{
			TraceID: model.TraceID{1, byte(i)}, SpanID: model.SpanID{2, byte(i)},
			Start: now.Add(-time.Duration(i+1) * time.Millisecond).UnixNano(), End: now.UnixNano(),
			Name: syms.InternString("span\x9b" + strings.Repeat("n", i%5)), Kind: model.KindServer,
			NumAttrs: 1, Attrs: aw.Blob(),
		})
	}
	for i := range 7 {
		b.Spans = append(b.Spans, model.SpanRec{
			TraceID: model.TraceID{3, byte(i)}, SpanID: model.SpanID{4, byte(i)},
			Start: now.Add(-time.Hour).UnixNano(), End: now.UnixNano(),
			Name: syms.InternString("GET /users"), Kind: model.KindClient,
		})
	}
	m.Apply(b)
	a := newApp(t, modelSource{m}, Options{}, 120, 30)
	checkFrame(t, a, 120, 30)
	if a.tasks.total != 57 || len(a.tasks.rows) != a.rows() {
		t.Fatalf("total %d rows %d", a.tasks.total, len(a.tasks.rows))
	}
	s := frame(a)
	if !strings.Contains(s, "span\uFFFD") || strings.Contains(s, "\x1b[2J") || strings.Contains(s, "\r") {
		t.Error("model strings not sanitised")
	}
	press(a, "j", "j", "enter")
	if viewName(a) != "span details" || !det(a).found {
		t.Fatal("details of a real span not found")
	}
	checkFrame(t, a, 120, 30)
	press(a, "esc", "o")
	if a.ops.total == 0 {
		t.Error("no operations from the real model")
	}
	checkFrame(t, a, 120, 30)
	// s on the slowest operation lists its spans.
	press(a, "g", "s")
	if viewName(a) != "tasks" || a.tasks.total != 7 || a.tasks.filterErr != "" {
		t.Errorf("operation's spans: filter %q total %d err %q", a.tasks.filter, a.tasks.total, a.tasks.filterErr)
	}
}
