package ui

import "github.com/spantop/spantop/model"

// The fake's logs and metrics are the real model's (f.demo): the tests of
// the logs and metrics views fill it through model batches.

func (f *fakeSource) Traces(q model.Query) model.Page[model.TraceListRow] { return f.demo.Traces(q) }
func (f *fakeSource) TraceIDsWithPrefix(p string, limit int) ([]model.TraceID, int) {
	return f.demo.TraceIDsWithPrefix(p, limit)
}
func (f *fakeSource) Logs(q model.Query) model.Page[model.LogRow] { return f.demo.Logs(q) }
func (f *fakeSource) Log(id uint64) (model.LogDetail, bool)       { return f.demo.Log(id) }
func (f *fakeSource) TraceLogMarks(t model.TraceID) map[model.SpanID]model.LogMark {
	return f.demo.TraceLogMarks(t)
}
func (f *fakeSource) OperationErrorLogs(id uint64) int { return f.demo.OperationErrorLogs(id) }
func (f *fakeSource) Metrics(q model.Query) model.Page[model.MetricRow] {
	return f.demo.Metrics(q)
}
func (f *fakeSource) Metric(id uint64) (model.MetricDetail, bool) { return f.demo.Metric(id) }

// SpanTimeline lists a fake span's events; a span of the real model has
// its logs too.
func (f *fakeSource) SpanTimeline(id uint64) []model.TimelineEntry {
	f.mu.Lock()
	d, ok := f.spans[id]
	f.mu.Unlock()
	if !ok {
		return f.demo.SpanTimeline(id)
	}
	var out []model.TimelineEntry
	for i := range d.Events {
		out = append(out, model.TimelineEntry{Time: d.Events[i].Time, Event: &d.Events[i]})
	}
	return out
}
