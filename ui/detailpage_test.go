package ui

import (
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// vanishing is a source whose details answer "not stored" once gone is
// set, as the model does when retention or the memory budget removes a
// subject.
type vanishing struct {
	Source
	gone bool
}

// unless passes on an answer until the source is gone.
func unless[D any](gone bool) func(D, bool) (D, bool) {
	return func(d D, ok bool) (D, bool) {
		if gone {
			var none D
			return none, false
		}
		return d, ok
	}
}

func (s *vanishing) Span(id uint64) (model.SpanDetail, bool) {
	return unless[model.SpanDetail](s.gone)(s.Source.Span(id))
}
func (s *vanishing) Operation(id uint64, buckets int) (model.OpDetail, bool) {
	return unless[model.OpDetail](s.gone)(s.Source.Operation(id, buckets))
}
func (s *vanishing) Goroutine(id uint64) (model.GoroutineDetail, bool) {
	return unless[model.GoroutineDetail](s.gone)(s.Source.Goroutine(id))
}
func (s *vanishing) Resource(id uint64) (model.ResourceDetail, bool) {
	return unless[model.ResourceDetail](s.gone)(s.Source.Resource(id))
}
func (s *vanishing) Log(id uint64) (model.LogDetail, bool) {
	return unless[model.LogDetail](s.gone)(s.Source.Log(id))
}
func (s *vanishing) Metric(id uint64) (model.MetricDetail, bool) {
	return unless[model.MetricDetail](s.gone)(s.Source.Metric(id))
}

// Every details screen keeps showing the last copy of its subject once
// the source no longer has it: its title is marked, its status line says
// so, and a resize rebuilds the last copy for the new width.
func TestDetailPagesKeepTheirLastCopy(t *testing.T) {
	type detailScreen interface {
		screen
		text() string
	}
	cases := []struct {
		name  string
		src   func() Source
		found func(Source, uint64) bool
		open  func(uint64) detailScreen
		// status is the status line once gone (%d: the id).
		status string
	}{
		{"span", func() Source { return newFake(20) },
			func(s Source, id uint64) bool { _, ok := s.Span(id); return ok },
			func(id uint64) detailScreen { return newDetailsView(id) }, "span %d is no longer stored; showing the last copy"},
		{"operation", func() Source { return newFake(20) },
			func(s Source, id uint64) bool { _, ok := s.Operation(id, 10); return ok },
			func(id uint64) detailScreen { return newOpDetailsView(id) }, "the operation is no longer known; showing the last copy"},
		{"goroutine", func() Source { return newFake(100) },
			func(s Source, id uint64) bool { _, ok := s.Goroutine(id); return ok },
			func(id uint64) detailScreen { return newGoroutineView(id) }, "goroutine %d is no longer stored; showing the last copy"},
		{"resource", func() Source { return newFake(100) },
			func(s Source, id uint64) bool { _, ok := s.Resource(id); return ok },
			func(id uint64) detailScreen { return newResourceView(id) }, "resource %d is no longer stored; showing the last copy"},
		{"log record", func() Source { return signalFake() },
			func(s Source, id uint64) bool { _, ok := s.Log(id); return ok },
			func(id uint64) detailScreen { return newLogView(id) }, "log record %d is no longer stored; showing the last copy"},
		{"metric", func() Source { return metricModel() },
			func(s Source, id uint64) bool { _, ok := s.Metric(id); return ok },
			func(id uint64) detailScreen { return newMetricView(id) }, "metric %d is no longer stored; showing the last copy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := &vanishing{Source: c.src()}
			id := uint64(0)
			for i := uint64(1); i < 10000 && id == 0; i++ {
				if c.found(src, i) {
					id = i
				}
			}
			if id == 0 {
				t.Fatalf("the source holds no %s", c.name)
			}
			a := newApp(t, src, Options{}, 120, 40)
			v := c.open(id)
			a.push(v)
			before := v.text()
			if title := ansi.Strip(v.title(a)); strings.Contains(title, "no longer stored") || v.status(a) != "" {
				t.Fatalf("a stored %s: title %q status %q", c.name, title, ansi.Strip(v.status(a)))
			}
			if strings.Contains(before, "esc goes back") {
				t.Fatalf("a stored %s shows the not-stored page:\n%s", c.name, before)
			}
			src.gone = true
			a.top.refresh(a, nav{})
			if title := ansi.Strip(v.title(a)); !strings.Contains(title, "(no longer stored)") {
				t.Errorf("the title of a gone %s is %q, want it marked", c.name, title)
			}
			want := strings.ReplaceAll(c.status, "%d", strconv.FormatUint(id, 10))
			if st := ansi.Strip(v.status(a)); st != want {
				t.Errorf("the status of a gone %s is %q, want %q", c.name, st, want)
			}
			if after := v.text(); after != before {
				t.Errorf("a gone %s's page changed:\n%s\nwas:\n%s", c.name, after, before)
			}
			a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			narrow := v.text()
			if narrow == before || strings.Contains(narrow, "esc goes back") {
				t.Errorf("a gone %s's page was not rebuilt from its last copy at 80 columns:\n%s", c.name, narrow)
			}
			checkFrame(t, a, 80, 24)
		})
	}
}

// text is the page's whole text, scrolled or not.
func (p *page) text() string { return ansi.Strip(strings.Join(p.lines, "\n")) }
