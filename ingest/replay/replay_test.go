package replay

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/spantop/spantop/ingest/otlpjson"
	"github.com/spantop/spantop/model"
)

const fixture = "testdata/collector.jsonl"

// The fixture is a Collector file-exporter file: pdata reads every line.
func TestFixtureIsCollectorFormat(t *testing.T) {
	f, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		var err error
		switch {
		case strings.HasPrefix(string(line), `{"resourceSpans"`):
			_, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(line)
		case strings.HasPrefix(string(line), `{"resourceLogs"`):
			_, err = (&plog.JSONUnmarshaler{}).UnmarshalLogs(line)
		default:
			_, err = (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(line)
		}
		if err != nil {
			t.Errorf("line %d: %v", n+1, err)
		}
		n++
	}
	if n != 6 {
		t.Errorf("%d lines", n)
	}
}

func gzipCopy(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src)+".gz")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestLoadFormats(t *testing.T) {
	for _, tc := range []struct {
		name           string
		path           func(t *testing.T) string
		records, spans int
		signals        [3]int
	}{
		{"collector file", func(*testing.T) string { return fixture }, 6, 12, [3]int{4, 1, 1}},
		{"collector file gzip", func(t *testing.T) string { return gzipCopy(t, fixture) }, 6, 12, [3]int{4, 1, 1}},
		{"export, one request", func(*testing.T) string { return "testdata/export-single.json" }, 1, 2, [3]int{1, 0, 0}},
		{"export, an array", func(*testing.T) string { return "testdata/export-array.json" }, 2, 4, [3]int{2, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := Load(tc.path(t))
			if err != nil {
				t.Fatal(err)
			}
			var sigs [3]int
			for _, r := range rec.Records {
				sigs[r.Signal]++
			}
			if len(rec.Records) != tc.records || rec.Spans != tc.spans || sigs != tc.signals || rec.Skipped != 0 {
				t.Errorf("records %d spans %d signals %v skipped %d (%s)", len(rec.Records), rec.Spans, sigs, rec.Skipped, rec.FirstError)
			}
			for i := 1; i < len(rec.Records); i++ {
				if rec.Records[i].Time < rec.Records[i-1].Time {
					t.Errorf("record %d out of time order", i)
				}
			}
		})
	}
}

// A bad line is skipped and said, and every other line is read: a torn
// last line (spantop killed mid-write), and a first line that is neither
// a request nor the start of a pretty-printed one.
func TestBadLinesSkipped(t *testing.T) {
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, said string
		content    []byte
	}{
		{"torn", "torn last line", append(slices.Clip(b), `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102`...)},
		{"bad-first", "bad-first.jsonl:1:", append([]byte("2026-12-05 a log line, not a request\n"), b...)},
	} {
		path := filepath.Join(t.TempDir(), tc.name+".jsonl")
		if err := os.WriteFile(path, tc.content, 0o644); err != nil {
			t.Fatal(err)
		}
		rec, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Records) != 6 || rec.Skipped != 1 || !strings.Contains(rec.FirstError, tc.said) {
			t.Errorf("%s: records %d skipped %d: %s", tc.name, len(rec.Records), rec.Skipped, rec.FirstError)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load("testdata/none.jsonl"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(path, []byte("hello\nworld\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "no OTLP/JSON requests") {
		t.Errorf("junk: %v", err)
	}
}

// spanNames lists the model's span names (goroutines aside), sorted by ID.
// spanNames lists the stored spans, those that lingered out of the live
// table too.
func spanNames(m *model.Model) []string {
	var names []string
	for _, r := range m.Tasks(model.Query{Sort: model.TaskID, Limit: 1000, Stored: true}).Rows {
		names = append(names, r.Name)
	}
	return names
}

func waitState(t *testing.T, e *Engine, ok func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.State()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %+v never came", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEngineControls(t *testing.T) {
	rec, err := Load(fixture)
	if err != nil {
		t.Fatal(err)
	}
	e := New(rec, Options{Speed: Max, Paused: true, Model: model.Config{Retain: time.Hour}})
	ctx, cancel := testContext(t)
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	start := rec.Start()
	if st := e.State(); st.Pos != 0 || !st.Paused || st.Now != start-1 {
		t.Fatalf("start: %+v", st)
	}
	// A Collector file has no arrival times: each request is placed at
	// its latest timestamp, so the log (+30ms) comes first, then the
	// metric (+100ms), then the checkout's two requests.
	e.Step()
	st := waitState(t, e, func(s State) bool { return s.Pos == 1 })
	if n := len(spanNames(e.World().Model)); n != 0 {
		t.Errorf("after a step: %d spans, want none (a log record)", n)
	}
	for range 3 {
		e.Step()
	}
	st = waitState(t, e, func(s State) bool { return s.Pos == 4 })
	if n := len(spanNames(e.World().Model)); n != 4 {
		t.Errorf("after four steps: %d spans, want 4", n)
	}
	// Forward 11 s: the browse requests at +10.4s arrive.
	e.SeekBy(11 * time.Second)
	st = waitState(t, e, func(s State) bool { return s.Pos == 5 })
	if want := rec.Records[3].Time + 11*int64(time.Second); st.Now != want {
		t.Errorf("clock +%v, want +%v", time.Duration(st.Now-start), time.Duration(want-start))
	}
	// To the end, then back 1 minute: the model is rebuilt without the search.
	e.ToEnd()
	waitState(t, e, func(s State) bool { return s.AtEnd() })
	if n := len(spanNames(e.World().Model)); n != 12 {
		t.Errorf("at the end: %d spans", n)
	}
	before := e.World()
	e.SeekBy(-time.Minute)
	st = waitState(t, e, func(s State) bool { return s.Pos == 5 && !s.Seeking })
	if e.World() == before {
		t.Error("seeking back kept the world")
	}
	names := spanNames(e.World().Model)
	if len(names) != 10 || strings.Contains(strings.Join(names, ","), "GET /search") {
		t.Errorf("after seeking back: %v", names)
	}
	// Spans show their recorded times; durations come from the data.
	w := e.World()
	var found bool
	for _, r := range w.Model.Tasks(model.Query{Sort: model.TaskID, Limit: 100}).Rows {
		if r.Name == "POST /checkout" {
			found = true
			d, _ := w.Model.Span(r.ID)
			if d.Start.UnixNano() != 1765000000000000000 || d.Duration != 120*time.Millisecond {
				t.Errorf("checkout span: start %v duration %v", d.Start, d.Duration)
			}
		}
	}
	if !found {
		t.Error("checkout span missing")
	}
	e.ToStart()
	waitState(t, e, func(s State) bool { return s.Pos == 0 && !s.Seeking })
	if n := len(spanNames(e.World().Model)); n != 0 {
		t.Errorf("at the start: %d spans", n)
	}
	// Play at max to the end.
	e.Resume()
	waitState(t, e, func(s State) bool { return s.AtEnd() })
	if n := len(spanNames(e.World().Model)); n != 12 {
		t.Errorf("played: %d spans", n)
	}
}

func TestRecordedSpeed(t *testing.T) {
	rec, err := Load(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// At 100× the 70 s recording takes 0.7 s: after the checkout's
	// requests the +10 s ones are still 0.1 s away.
	e := New(rec, Options{Speed: 100})
	ctx, cancel := testContext(t)
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	st := waitState(t, e, func(s State) bool { return s.Pos >= 4 })
	if st.Pos > 4 && st.Now < rec.Start()+10*int64(time.Second) {
		t.Errorf("applied %d records at +%v", st.Pos, time.Duration(st.Now-rec.Start()))
	}
	st = waitState(t, e, func(s State) bool { return s.AtEnd() })
	if got := time.Duration(st.Now - rec.Start()); got < 70*time.Second {
		t.Errorf("the clock stands at +%v at the end", got)
	}
}

var _ = otlpjson.ArrivalField

// Seeking back while the screen reads: a replaced world's memory goes to
// the next world only once no reader has it, so every read sees a whole
// model (run with -race).
func TestSeekBackWhileReading(t *testing.T) {
	rec := syntheticRecording(t, 20) // 10,240 spans
	e := New(rec, Options{Speed: Max, Paused: true, Model: model.Config{Retain: time.Hour}})
	ctx, cancel := testContext(t)
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	stop := make(chan struct{})
	readers := make(chan error, 2)
	for range 2 {
		go func() {
			var err error
			defer func() { readers <- err }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				w, release := e.Use()
				p := w.Model.Tasks(model.Query{Sort: model.TaskName, Limit: 50})
				for _, r := range p.Rows {
					d, ok := w.Model.Span(r.ID)
					if !strings.HasPrefix(r.Name, "GET /") || (ok && (d.Name != r.Name || len(d.TraceID) == 0)) {
						err = fmt.Errorf("a row named %q, details %q", r.Name, d.Name)
						break
					}
				}
				release()
				if err != nil {
					return
				}
			}
		}()
	}
	for i := range 6 {
		e.ToEnd()
		waitState(t, e, func(s State) bool { return s.AtEnd() && !s.Seeking })
		if n := e.World().Model.Header().Spans; n != rec.Spans {
			t.Fatalf("round %d at the end: %d spans, want %d", i, n, rec.Spans)
		}
		e.SeekBy(-100 * time.Millisecond) // ten requests back: a rebuild
		waitState(t, e, func(s State) bool { return !s.AtEnd() && !s.Seeking })
		if n, want := e.World().Model.Header().Spans, rec.Spans-10*512; n != want {
			t.Fatalf("round %d after seeking back: %d spans, want %d", i, n, want)
		}
	}
	close(stop)
	for range 2 {
		if err := <-readers; err != nil {
			t.Fatal(err)
		}
	}
}
