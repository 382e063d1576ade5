package ui

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/spantop/spantop/model"
)

// The logs and metrics views read the real model (the fake's demo model),
// filled here through model batches the way ingest fills it.

var signalServices = []string{"frontend", "checkout", "payments"}

func signalResources(syms *model.Symbols) []model.Resource {
	var res []model.Resource
	for _, s := range signalServices {
		w := model.NewAttrWriter(syms)
		w.String([]byte("service.name"), []byte(s))
		res = append(res, model.Resource{ServiceName: syms.InternString(s), Attrs: w.Blob()})
	}
	return res
}

// addLogs applies n log records numbered from first: every fifth a warning,
// every seventh an error; the records numbered below 3 (and every tenth)
// belong to span sid(span) of the demo trace when span is not 0.
func addLogs(m *model.Model, first, n int, span uint64) {
	syms := m.Symbols()
	b := &model.Batch{Resources: signalResources(syms)}
	for i := first; i < first+n; i++ {
		sev := model.SevInfo
		switch {
		case i%7 == 6:
			sev = model.SevError
		case i%5 == 4:
			sev = model.SevWarn
		}
		body := fmt.Sprintf("request %d handled", i)
		if i%11 == 10 {
			body = fmt.Sprintf("request %d failed:\nline two of the body\x1b[31m with an escape", i)
		}
		w := model.NewAttrWriter(syms)
		w.String([]byte("user.id"), []byte("u-"+strconv.Itoa(i%13)))
		data := append([]byte(body), w.Blob()...)
		r := model.LogRec{Time: demoNow.Add(time.Duration(i) * time.Millisecond).UnixNano(), Severity: sev,
			Scope: syms.InternString("shop/" + signalServices[i%3]), Res: uint32(i % 3),
			Data: data, BodyLen: uint32(len(body)), NumAttrs: uint16(w.Len())}
		if span != 0 && (i < 3 || i%10 == 0) {
			r.TraceID = demoTrace
			binary.BigEndian.PutUint64(r.SpanID[:], span)
		}
		b.Logs = append(b.Logs, r)
	}
	m.Apply(b)
}

// metricModel is a model whose clock moves with the points of addMetrics.
func metricModel() modelSource {
	var mu sync.Mutex
	now := demoNow.Add(-40 * time.Second)
	m := model.New(model.Config{Retain: time.Hour, Clock: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	addMetrics(m, func(t time.Time) { mu.Lock(); now = t; mu.Unlock() })
	return modelSource{m}
}

// addMetrics applies a counter of two streams, a gauge and a histogram,
// points ten seconds apart ending at demoNow, moving the clock to each.
func addMetrics(m *model.Model, setClock func(time.Time)) {
	syms := m.Symbols()
	res := signalResources(syms)
	for step := range 5 {
		at := demoNow.Add(time.Duration(step-4) * 10 * time.Second).UnixNano()
		setClock(time.Unix(0, at))
		b := &model.Batch{Resources: res}
		for k, route := range []string{"/api/checkout", "/api/orders"} {
			w := model.NewAttrWriter(syms)
			w.String([]byte("http.route"), []byte(route))
			b.Metrics = append(b.Metrics, model.MetricRec{Name: syms.InternString("shop.requests"), Unit: syms.InternString("{request}"),
				Type: model.MetricSum, Monotonic: true, Attrs: w.Blob(), NumAttrs: uint16(w.Len()),
				Start: demoNow.Add(-time.Hour).UnixNano(), Time: at, Value: float64((step + 1) * 100 * (k + 1))})
		}
		b.Metrics = append(b.Metrics, model.MetricRec{Name: syms.InternString("shop.queue.depth"), Type: model.MetricGauge,
			Time: at, Value: float64(3 + step*2)})
		b.Metrics = append(b.Metrics, model.MetricRec{Name: syms.InternString("shop.request.duration"), Unit: syms.InternString("ms"),
			Type: model.MetricHistogram, Res: 1, Start: demoNow.Add(-time.Hour).UnixNano(), Time: at,
			Hist: &model.HistPoint{Count: uint64(10 * (step + 1)), Sum: float64(300 * (step + 1)), HasSum: true,
				Bounds: []float64{5, 10, 25, 50, 100}, Counts: []uint64{uint64(step + 1), uint64(4 * (step + 1)), uint64(3 * (step + 1)), uint64(step + 1), uint64(step + 1), 0}}})
		m.Apply(b)
	}
}

// signalFake is the demo model with 40 logs (three and every tenth on the
// demo trace's span 7).
func signalFake() modelSource {
	m := demoModel()
	addLogs(m, 0, 40, 7)
	return modelSource{m}
}

func lastRow(a *App) string {
	lines := strings.Split(plain(a), "\n")
	last := ""
	for _, l := range lines[firstRowY : len(lines)-2] {
		if strings.TrimSpace(l) != "" {
			last = l
		}
	}
	return last
}

// The logs view is a live tail: the newest record at the bottom while it
// follows; moving up stops following, G follows again.
func TestLogsFollow(t *testing.T) {
	f := signalFake()
	a := newApp(t, f, Options{}, 120, 30)
	press(a, "L")
	if viewName(a) != "logs" {
		t.Fatalf("L shows %s", viewName(a))
	}
	if s := lastRow(a); !strings.Contains(s, "request 39 handled") {
		t.Fatalf("the newest record is not at the bottom: %q\n%s", s, plain(a))
	}
	if !strings.Contains(plain(a), "following") {
		t.Error("the title does not say it follows")
	}
	addLogs(f.Model, 40, 5, 0)
	tick(a)
	if s := lastRow(a); !strings.Contains(s, "request 44 handled") {
		t.Fatalf("while following, a new record did not show at the bottom: %q", s)
	}
	press(a, "k")
	if !strings.Contains(plain(a), "not following") {
		t.Errorf("moving up did not stop following:\n%s", plain(a))
	}
	addLogs(f.Model, 45, 5, 0)
	tick(a)
	if s := lastRow(a); !strings.Contains(s, "request 44 handled") {
		t.Errorf("not following, the window moved: last row %q", s)
	}
	press(a, "G")
	tick(a)
	if s := lastRow(a); !strings.Contains(s, "request 49 handled") || strings.Contains(plain(a), "not following") {
		t.Errorf("G does not follow again: %q", s)
	}
	checkFrame(t, a, 120, 30)
}

// Enter on a log opens its record, and enter on the record's span link
// opens the span's details, which list the log among its events.
func TestLogEnterOpensSpan(t *testing.T) {
	a := newApp(t, signalFake(), Options{}, 120, 40)
	press(a, "L", "/")
	press(a, strings.Split("trace="+demoTrace.String(), "")...)
	press(a, "enter", "g")
	if s := plain(a); !strings.Contains(s, "of 6 logs matching") {
		t.Fatalf("trace= does not find the trace's logs:\n%s", s)
	}
	press(a, "enter")
	s := plain(a)
	if viewName(a) != "log record" || !strings.Contains(s, "request 0 handled") || !strings.Contains(s, "user.id = u-0") ||
		!strings.Contains(s, "service.name = frontend") || !strings.Contains(s, "scope         shop/frontend") {
		t.Fatalf("the record's page (%s):\n%s", viewName(a), s)
	}
	press(a, "enter")
	s = plain(a)
	if viewName(a) != "span details" {
		t.Fatalf("enter on the record's span link shows %s:\n%s", viewName(a), s)
	}
	page := ansi.Strip(strings.Join(find(a, &detailsView{}).lines, "\n"))
	if !strings.Contains(page, "Events and logs (0 events, 6 logs)") || !strings.Contains(page, "request 0 handled") {
		t.Errorf("the span's details lack its logs:\n%s", page)
	}
	if !strings.Contains(s, "≡6!") {
		t.Errorf("the waterfall does not mark the span's logs and error log:\n%s", s)
	}
	press(a, "esc")
	if viewName(a) != "log record" {
		t.Errorf("esc from the span goes to %s", viewName(a))
	}
}

// The logs view filters like every table.
func TestLogsFilter(t *testing.T) {
	for _, c := range []struct {
		filter string
		want   int
		not    string
	}{
		{"severity>=warn", 12, " info "},
		{"severity>=error", 5, " warn "},
		{"service=payments", 13, "frontend"},
		{`body~request.1\d.handled`, 9, "request 2"},
		{"user.id=u-3", 3, "u-4"},
	} {
		a := newApp(t, signalFake(), Options{}, 160, 40)
		press(a, "L", "/")
		press(a, strings.Split(c.filter, "")...)
		press(a, "enter")
		s := plain(a)
		if !strings.Contains(s, "of "+strconv.Itoa(c.want)+" logs matching") {
			t.Errorf("%s: want %d rows:\n%s", c.filter, c.want, s)
		}
		rows := strings.Split(s, "\n")[firstRowY : firstRowY+c.want]
		for _, r := range rows {
			if strings.Contains(r, c.not) {
				t.Errorf("%s: row %q", c.filter, r)
			}
		}
	}
}

// A log body never reaches the terminal raw, and its line breaks do not
// break the row.
func TestLogsSanitised(t *testing.T) {
	a := newApp(t, signalFake(), Options{}, 160, 40)
	press(a, "L")
	frame := frame(a)
	if strings.Contains(frame, "\x1b[31m with") {
		t.Error("a body's escape reached the terminal")
	}
	checkFrame(t, a, 160, 40)
}

// The metrics view lists one row per metric; enter charts it, and a
// stream chosen in the list is charted alone; a histogram shows its
// distribution.
func TestMetricsView(t *testing.T) {
	a := newApp(t, metricModel(), Options{}, 160, 40)
	press(a, "M")
	s := plain(a)
	for _, want := range []string{"shop.requests", "counter", "shop.queue.depth", "shop.request.duration", "histogram", "1-3 of 3 metrics"} {
		if !strings.Contains(s, want) {
			t.Errorf("the metrics view lacks %q:\n%s", want, s)
		}
	}
	press(a, "/")
	press(a, strings.Split("shop.requests", "")...)
	press(a, "enter", "enter")
	s = plain(a)
	if viewName(a) != "metric chart" || !strings.Contains(s, "Streams (2)") || !strings.Contains(s, "all 2 streams") {
		t.Fatalf("enter on a metric (%s):\n%s", viewName(a), s)
	}
	press(a, "j", "j", "enter")
	if s = plain(a); !strings.Contains(s, "http.route=/api/orders ·") {
		t.Errorf("the chosen stream is not charted:\n%s", s)
	}
	press(a, "esc", "esc", "/")
	press(a, strings.Split("duration", "")...)
	press(a, "enter", "enter")
	if s = plain(a); !strings.Contains(s, "Distribution") || !strings.Contains(s, "(5.00, 10.00]") {
		t.Errorf("a histogram's chart lacks its distribution:\n%s", s)
	}
	checkFrame(t, a, 160, 40)
}

// Operation details count the error logs of the operation's spans.
func TestOpDetailsErrorLogs(t *testing.T) {
	f := signalFake()
	a := newApp(t, f, Options{}, 160, 40)
	d, _ := f.Model.Span(spanDisplayID(t, f.Model, 7))
	ops := f.Model.Operations(model.Query{Limit: 100, Filter: "name=" + strconv.Quote(d.Name)})
	var id uint64
	for _, r := range ops.Rows {
		if r.Service == d.Service {
			id = r.ID
		}
	}
	a.open(target{linkOperation, id})
	if s := plain(a); !strings.Contains(s, "error logs 1") {
		t.Errorf("operation details lack the error log count:\n%s", s)
	}
}

// spanDisplayID is the display ID of the demo trace's span n.
func spanDisplayID(t *testing.T, m *model.Model, n uint64) uint64 {
	t.Helper()
	v := m.Trace(model.TraceQuery{TraceID: demoTrace, Limit: 100})
	var sid model.SpanID
	binary.BigEndian.PutUint64(sid[:], n)
	for _, r := range v.Rows {
		if r.SpanID == sid {
			return r.ID
		}
	}
	t.Fatalf("span %d of the demo trace not found", n)
	return 0
}

// TestGoldenSignals keeps the bodies of the logs view, a log record, span
// details with logs, the metrics view and a chart at 80×24 and 200×50.
func TestGoldenSignals(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		for _, v := range []struct {
			name string
			keys []string
		}{
			{"logs", []string{"L"}},
			{"logrecord", []string{"L", "/", "b", "o", "d", "y", "~", "f", "a", "i", "l", "enter", "enter"}},
			{"spanlogs", []string{"L", "/", "t", "r", "a", "c", "e", "=", "c", "0", "f", "f", "e", "e", "enter", "g", "enter", "enter"}},
			{"metrics", []string{"M"}},
			{"chart", []string{"M", "G", "enter"}},
		} {
			t.Run(v.name+"_"+strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(t *testing.T) {
				var src Source = signalFake()
				if v.keys[0] == "M" {
					src = metricModel()
				}
				a := newApp(t, src, Options{}, sz[0], sz[1])
				press(a, v.keys...)
				golden.RequireEqual(t, viewPart(a))
			})
		}
	}
}
