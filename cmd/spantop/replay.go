package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spantop/spantop/ingest/replay"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

// runReplay plays recordings in the TUI with the replay line and keys.
func runReplay(ctx context.Context, cfg Config, stderr io.Writer) int {
	rec, err := replay.Load(cfg.Around.Files...)
	if err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	e := replay.New(rec, replay.Options{Speed: cfg.Around.replaySpeed(), Model: modelConfig(cfg), Paused: cfg.Around.Paused})
	ectx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ectx) }()
	note := fmt.Sprintf("%s (%d requests, %d spans)", strings.Join(cfg.Around.Files, " "), len(rec.Records), rec.Spans)
	if rec.Skipped > 0 {
		note += fmt.Sprintf(", %d lines skipped", rec.Skipped)
	}
	run := ui.Run
	if replayUI != nil {
		run = replayUI
	}
	err = run(ctx, replaySource{engine: e}, ui.Options{
		ASCII: cfg.ASCII, NoColor: cfg.NoColor,
		Status: func() string { return note },
		Replay: replayControl{e},
	})
	stop()
	<-done
	if err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	if rec.Skipped > 0 {
		fmt.Fprintf(stderr, "spantop: %d line(s) skipped; first: %s\n", rec.Skipped, rec.FirstError)
	}
	return 0
}

// replayUI replaces ui.Run in tests.
var replayUI func(ctx context.Context, src ui.Source, opts ui.Options) error

// replaySource is the UI's source during a replay: the engine's current
// world, which a seek back replaces.
type replaySource struct{ engine *replay.Engine }

var _ ui.Source = replaySource{}

// use is the model on screen for one query; done lets a seek recycle it
// once replaced.
func (s replaySource) use() (*model.Model, func()) {
	w, done := s.engine.Use()
	return w.Model, done
}

func (s replaySource) Header() model.Header {
	w, done := s.engine.Use()
	defer done()
	h := w.Model.Header()
	st := w.Traces.Stats()
	h.TraceGenerations, h.TraceGaps, h.TraceCorrupt = st.Generations, st.Gaps, st.Corrupt
	h.TraceDropped = st.DroppedChunks + st.DroppedGenerations + st.SenderDropped + uint64(w.RuntimeDropped())
	return h
}

// Changed is nil: a seek replaces the world whose channel a quiet screen
// would wait on, so a replay's quiet screen looks every quietTick.
func (s replaySource) Changed() <-chan struct{} { return nil }

func (s replaySource) Warnings() []model.Warning {
	m, done := s.use()
	defer done()
	return m.Warnings()
}
func (s replaySource) Tasks(q model.Query) model.Page[model.TaskRow] {
	m, done := s.use()
	defer done()
	return m.Tasks(q)
}
func (s replaySource) Operations(q model.Query) model.Page[model.OpRow] {
	m, done := s.use()
	defer done()
	return m.Operations(q)
}
func (s replaySource) Span(id uint64) (model.SpanDetail, bool) {
	m, done := s.use()
	defer done()
	return m.Span(id)
}
func (s replaySource) Resources(q model.Query) model.Page[model.ResourceRow] {
	m, done := s.use()
	defer done()
	return m.Resources(q)
}
func (s replaySource) Goroutine(id uint64) (model.GoroutineDetail, bool) {
	m, done := s.use()
	defer done()
	return m.Goroutine(id)
}
func (s replaySource) Resource(id uint64) (model.ResourceDetail, bool) {
	m, done := s.use()
	defer done()
	return m.Resource(id)
}
func (s replaySource) Trace(q model.TraceQuery) model.TraceView {
	m, done := s.use()
	defer done()
	return m.Trace(q)
}
func (s replaySource) Operation(id uint64, buckets int) (model.OpDetail, bool) {
	m, done := s.use()
	defer done()
	return m.Operation(id, buckets)
}
func (s replaySource) Logs(q model.Query) model.Page[model.LogRow] {
	m, done := s.use()
	defer done()
	return m.Logs(q)
}
func (s replaySource) Log(id uint64) (model.LogDetail, bool) {
	m, done := s.use()
	defer done()
	return m.Log(id)
}
func (s replaySource) SpanTimeline(id uint64) []model.TimelineEntry {
	m, done := s.use()
	defer done()
	return m.SpanTimeline(id)
}
func (s replaySource) TraceLogMarks(t model.TraceID) map[model.SpanID]model.LogMark {
	m, done := s.use()
	defer done()
	return m.TraceLogMarks(t)
}
func (s replaySource) OperationErrorLogs(id uint64) int {
	m, done := s.use()
	defer done()
	return m.OperationErrorLogs(id)
}
func (s replaySource) Metrics(q model.Query) model.Page[model.MetricRow] {
	m, done := s.use()
	defer done()
	return m.Metrics(q)
}
func (s replaySource) Metric(id uint64) (model.MetricDetail, bool) {
	m, done := s.use()
	defer done()
	return m.Metric(id)
}
func (s replaySource) SaveTrace(uint64) (string, error) {
	return "", errors.New("saving an execution trace is not available in a replay")
}
func (s replaySource) Traces(q model.Query) model.Page[model.TraceListRow] {
	m, done := s.use()
	defer done()
	return m.Traces(q)
}
func (s replaySource) TraceIDsWithPrefix(p string, limit int) ([]model.TraceID, int) {
	m, done := s.use()
	defer done()
	return m.TraceIDsWithPrefix(p, limit)
}

// replayControl adapts the engine to the UI's replay keys.
type replayControl struct{ e *replay.Engine }

func (c replayControl) ReplayState() ui.ReplayState {
	st := c.e.State()
	return ui.ReplayState{
		Now: time.Unix(0, st.Now), Start: time.Unix(0, st.Start), End: time.Unix(0, st.End),
		Pos: st.Pos, Len: st.Len, Paused: st.Paused, Seeking: st.Seeking, Speed: st.Speed,
	}
}
func (c replayControl) TogglePause()           { c.e.TogglePause() }
func (c replayControl) Step()                  { c.e.Step() }
func (c replayControl) SeekBy(d time.Duration) { c.e.SeekBy(d) }
func (c replayControl) ToStart()               { c.e.ToStart() }
func (c replayControl) ToEnd()                 { c.e.ToEnd() }
