// Package ui is spantop's terminal interface, a bubbletea v2 program. On each
// tick it asks the model for one frame's worth of rows (never a message per
// span), renders only the rows whose content changed, and View joins the
// prepared strings.
package ui

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// Source is what the UI reads; *model.Model satisfies it.
type Source interface {
	Header() model.Header
	// Changed holds a value once the model changed since a value was last
	// taken (model.Model.Changed); nil when the source cannot tell, and
	// the quiet tick looks anyway.
	Changed() <-chan struct{}
	Warnings() []model.Warning
	Tasks(q model.Query) model.Page[model.TaskRow]
	// Traces lists the stored traces; TraceIDsWithPrefix finds those whose
	// ID starts with a hex prefix (a pasted trace ID).
	Traces(q model.Query) model.Page[model.TraceListRow]
	TraceIDsWithPrefix(prefix string, limit int) (ids []model.TraceID, n int)
	Operations(q model.Query) model.Page[model.OpRow]
	Span(id uint64) (model.SpanDetail, bool)
	// Resources, Goroutine and Resource read what the Go execution trace
	// and runtime metrics of agentlib apps tell (DESIGN.md §3).
	Resources(q model.Query) model.Page[model.ResourceRow]
	Goroutine(id uint64) (model.GoroutineDetail, bool)
	Resource(id uint64) (model.ResourceDetail, bool)
	// SaveTrace writes the recent execution trace of the process running
	// goroutine id to a file for go tool trace and returns its path. It
	// does I/O: the UI calls it from a tea.Cmd, never in Update.
	SaveTrace(goroutineID uint64) (path string, err error)
	Trace(q model.TraceQuery) model.TraceView
	Operation(id uint64, buckets int) (model.OpDetail, bool)
	// Logs, Log, SpanTimeline, TraceLogMarks and OperationErrorLogs read
	// the stored log records; Metrics and Metric the metric streams.
	Logs(q model.Query) model.Page[model.LogRow]
	Log(id uint64) (model.LogDetail, bool)
	SpanTimeline(id uint64) []model.TimelineEntry
	TraceLogMarks(trace model.TraceID) map[model.SpanID]model.LogMark
	OperationErrorLogs(id uint64) int
	Metrics(q model.Query) model.Page[model.MetricRow]
	Metric(id uint64) (model.MetricDetail, bool)
}

// Options configure the UI.
type Options struct {
	// Listen describes the receivers' addresses, shown in the header.
	Listen string
	// ASCII draws no Unicode symbols and plain borders.
	ASCII bool
	// NoColor draws no colour at all (NO_COLOR, --no-color).
	NoColor bool
	// Tick is the refresh interval; 0 means 100ms.
	Tick time.Duration
	// Status, if set, returns a short note for the header about what runs
	// around the model (REC <file> <size>, forwarding, a child process).
	Status func() string
	// Replay, if set, is the replay this UI shows (ui/replay.go).
	Replay Replay
}

// Screen layout: four header lines (the last one the warnings), the title line, the column header,
// the rows, the status line and the footer.
const (
	headerLines = 4
	titleY      = headerLines
	colHeaderY  = headerLines + 1
	firstRowY   = headerLines + 2
	chromeLines = 8 // everything but the rows
)

// tickMsg drives the refresh.
type tickMsg time.Time

// tableState is the part of a table the App reads directly.
type tableState struct {
	window
	filter    string
	filterErr string
	header    string
	lines     []string
	// tree lists the rows as a tree (the tasks view's tree mode).
	tree bool
	// stored lists the rows that lingered out of the live table too
	// (the spans and goroutines tables' `a`; model.Query.Stored);
	// listedStored says the last page did (a trace filter does too).
	stored, listedStored bool
	// sorting says the last page came in the previous order while the
	// model builds the index on the sort column (model.Page.Sorting).
	sorting bool
}

// filterable is a screen with a filter typed after `/`.
type filterable interface {
	state() *tableState
	refetch(a *App)
}

// App is spantop's root bubbletea model. It routes every message to the
// screen on top; the screens are plain structs with methods.
type App struct {
	src  Source
	opts Options
	st   *styles

	width, height int
	paused        bool
	help          bool
	editing       bool
	status        string
	statusBad     bool

	hdr model.Header

	// The tabs' tables: the screens the user starts from.
	tasks *taskTable
	gors  *taskTable
	trcs  *traceTable
	ops   *opTable
	res   *resTable
	logs  *logsView
	mets  *metricTable
	tabs  []tab
	// top is the screen on show; stack holds the screens esc goes back
	// to, the tab the user started from first.
	top   screen
	stack []screen
	// dark is the terminal's background (assumed dark until it answers).
	dark bool
	now  func() time.Time

	// Prepared lines; View only joins them.
	head      [headerLines]string
	title     string
	footer    string
	footerFor footerKey
	statusLn  string
	helpBox   []string
	keyCache  map[*keySet][]binding
	// warns is the warnings panel's content as of the last refresh;
	// warnPanel shows it over the view.
	warns     []model.Warning
	warnPanel bool
	warnBox   []string
	tabHits   []tabHit
	pace      pace
	// note is what Options.Status said when the header was drawn.
	note string
	// drawn is the last frame View joined; ok says the last message was a
	// tick that changed nothing, so that frame is still the frame.
	drawn struct {
		v          tea.View
		w, h       int
		joined, ok bool
	}
}

// tabHit is where a tab sits on the title line, for mouse clicks.
type tabHit struct {
	x0, x1 int
	s      screen
}

// New returns the UI's root model reading from src.
func New(src Source, opts Options) *App {
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	a := &App{src: src, opts: opts, st: newStyles(opts), width: 80, height: 24, dark: true, now: time.Now,
		keyCache: map[*keySet][]binding{}}
	a.tasks = newTaskTable()
	a.gors = newGoroutineTable()
	a.trcs = newTraceTable()
	a.ops = newOpTable()
	a.res = newResTable()
	a.logs = newLogsView()
	a.mets = newMetricTable()
	// A tab is one line here: its key and its screen.
	a.tabs = []tab{{"t", a.tasks}, {"u", a.gors}, {"x", a.trcs}, {"o", a.ops}, {"r", a.res}, {"L", a.logs}, {"M", a.mets}}
	a.top = a.tasks
	a.layout()
	return a
}

// rendererFPS caps how often bubbletea's renderer draws while frames keep
// coming (a key held down). The renderer draws a changed view at once and
// sleeps while nothing changes: bubbletea v2.0.10 woke it FPS times a second
// whatever happened, which was most of what an idle spantop cost (a bare
// 8 Hz Go ticker costs 0.17% of a core here); third_party/bubbletea patches
// that (see its PATCH.md).
const rendererFPS = 30

// Run runs the UI on the terminal until the user quits or ctx ends. It
// installs no signal handler: the caller owns the signals and cancels ctx.
func Run(ctx context.Context, src Source, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	// The caller owns the signals and ends the program through ctx: a
	// second handler inside bubbletea races it and can hang the shutdown.
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithoutSignalHandler(), tea.WithFPS(rendererFPS)}
	if p := colorprofile.Detect(os.Stdout, os.Environ()); p <= colorprofile.ASCII {
		opts.NoColor = true
	}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	_, err := tea.NewProgram(New(src, opts), popts...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // asked to stop
	}
	return err
}

// Init starts the refresh ticks and asks the terminal for its background
// colour, to pick the palette.
func (a *App) Init() tea.Cmd {
	a.refresh(a.keepNav())
	return tea.Batch(a.tick(), tea.RequestBackgroundColor)
}

func (a *App) tick() tea.Cmd {
	d := a.pace.every(a.opts.Tick)
	if a.paused {
		d = quietTick // frozen: nothing to look at until space resumes (and refreshes)
	}
	// A quiet screen's tick wakes with the process's other periodic work.
	d = model.AlignedWait(time.Now(), d)
	if a.paused || a.pace.moved {
		return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg(t) })
	}
	// Quiet: the next change wakes the screen at once, so that the ticks
	// can be far apart (quietTick) without a change waiting for one.
	changed := a.src.Changed()
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case now := <-t.C:
			return tickMsg(now)
		case <-changed:
			return tickMsg(time.Now())
		}
	}
}

// rows is how many table rows fit.
func (a *App) rows() int { return max(a.height-chromeLines, 1) }

// detailRows is how many content lines a details page shows.
func (a *App) detailRows() int { return max(a.height-chromeLines+1, 1) }

// Update handles one message.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	a.drawn.ok = false // anything but a quiet tick may change the frame
	switch msg := msg.(type) {
	case tickMsg:
		// A tick that prepared nothing new leaves the last frame joined
		// as it is.
		a.drawn.ok = a.paused || !a.tickRefresh(time.Time(msg))
		return a, a.tick()
	case tea.WindowSizeMsg:
		a.width, a.height = max(msg.Width, 1), max(msg.Height, 1)
		a.layout()
		if !a.paused {
			a.refresh(a.keepNav())
		}
		return a, nil
	case tea.BackgroundColorMsg:
		if dark := msg.IsDark(); dark != a.dark {
			a.dark = dark
			a.restyle()
		}
		return a, nil
	case tea.KeyPressMsg:
		return a, a.key(msg)
	case traceSavedMsg:
		a.traceSaved(msg)
		return a, nil
	case tea.PasteMsg:
		if f, ok := a.top.(filterable); ok && a.editing {
			f.state().filter += sanitize(msg.Content)
			if !a.findTrace(f) {
				f.refetch(a)
			}
			a.prepareChrome()
		}
		return a, nil
	case tea.MouseClickMsg:
		a.click(msg.Mouse())
		return a, nil
	case tea.MouseWheelMsg:
		m := msg.Mouse()
		switch m.Button {
		case tea.MouseWheelUp:
			a.move(-3)
		case tea.MouseWheelDown:
			a.move(3)
		}
		a.prepareChrome()
		return a, nil
	}
	return a, nil
}

// sgrResetAll ends a styled line of the frame. Every style closes what it
// opened, so the pen is plain at the end of each line anyway; saying so
// with a full reset lets the renderer (third_party/bubbletea, see its
// PATCH.md) draw a changed line on its own instead of the whole frame.
const sgrResetAll = "\x1b[m"

// needsReset says line s has styles but does not end with a full reset.
func needsReset(s string) bool {
	return strings.IndexByte(s, ansi.ESC) >= 0 && !strings.HasSuffix(s, sgrResetAll)
}

// keys is the key set on screen, with the shared keys.
func (a *App) keys() []binding { return a.allKeys(a.top.keys()) }

// key handles a key press.
func (a *App) key(msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()
	if k == "ctrl+c" {
		return tea.Quit
	}
	a.status, a.statusBad = "", false
	a.pace.acted = true
	defer a.prepareChrome()
	if a.editing {
		return a.editKey(msg, k)
	}
	if a.help {
		// Any key closes the help; q still quits.
		if k == "q" {
			return tea.Quit
		}
		a.help = false
		return nil
	}
	act := lookup(a.keys(), k)
	if act == actNone && k == "/" {
		act = actFilter // a page without a filter: the tab's (see do)
	}
	return a.do(act)
}

// do carries out an action: the screen on top first, then the App's own.
func (a *App) do(act action) tea.Cmd {
	if act == actNone {
		return nil
	}
	if act == actBack && a.pop() {
		return nil
	}
	if cmd, ok := a.top.act(a, act); ok {
		return cmd
	}
	if a.replayAct(act) {
		return nil
	}
	switch {
	case act == actQuit:
		return tea.Quit
	case act == actHelp:
		a.help, a.warnPanel = !a.help, false
		a.prepareHelp()
	case act == actWarnings:
		a.warnPanel, a.help = !a.warnPanel, false
		a.prepareWarnings()
	case act == actPause:
		a.paused = !a.paused
		if !a.paused {
			a.refresh(a.keepNav())
		}
	case act == actFilter:
		// On a page with no filter of its own, / filters the tab the user
		// came from (the spans when it has none): a pasted trace ID finds
		// its spans from anywhere.
		if _, ok := a.top.(filterable); !ok {
			if _, ok := a.base().(filterable); ok {
				a.switchTo(a.base())
			} else {
				a.switchTo(a.tasks)
			}
		}
		a.editing = true
	case act >= actTab && int(act-actTab) < len(a.tabs):
		a.switchTo(a.tabs[act-actTab].s)
	}
	return nil
}

// move moves the selection (or scrolls a page) by n rows.
func (a *App) move(n int) {
	switch n {
	case -1:
		a.top.act(a, actUp)
	case 1:
		a.top.act(a, actDown)
	default:
		if m, ok := a.top.(interface{ moveBy(*App, int) }); ok {
			m.moveBy(a, n)
		}
	}
}

// showOpSpans shows the spans of an operation in the tasks view: a filter
// matching exactly its service, name and kind.
//
// esc comes back to where s was pressed (the operations or an operation's
// details), as the help says.
func (a *App) showOpSpans(service, name string, kind model.SpanKind) {
	if a.top != a.tasks {
		a.stack = append(a.stack, a.top)
	}
	a.tasks.filter = filterTerm("service", service) + " " + filterTerm("name", name) + " kind=" + kind.String()
	a.tasks.selID, a.tasks.selRow, a.tasks.offset = 0, 0, 0
	a.top = a.tasks
	a.tasks.layout(a)
	a.tasks.fetch(a.src, a.rows(), nav{top: true}, a.st)
}

// filterTerm builds a filter term matching value exactly. The filter
// language quotes with double quotes and has no escapes, so a value that
// contains one is matched by a regular expression, anchored, in which any
// character stands for the quote.
func filterTerm(key, value string) string {
	op := "="
	if strings.ContainsRune(value, '"') {
		op = "~"
		parts := strings.Split(value, `"`)
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		value = "^" + strings.Join(parts, ".") + "$"
	}
	if value == "" || strings.ContainsAny(value, " \t") {
		value = `"` + value + `"`
	}
	return key + op + value
}

// editKey handles a key while the filter is being typed; the filter applies
// as it is typed.
func (a *App) editKey(msg tea.KeyPressMsg, k string) tea.Cmd {
	f, ok := a.top.(filterable)
	if !ok {
		a.editing = false
		return nil
	}
	ts := f.state()
	old := ts.filter
	switch k {
	case "esc":
		ts.filter = ""
		a.editing = false
	case "enter":
		a.editing = false
		if a.findTrace(f) {
			return nil
		}
	case "backspace":
		if r := []rune(ts.filter); len(r) > 0 {
			ts.filter = string(r[:len(r)-1])
		}
	case "ctrl+u":
		ts.filter = ""
	case "up", "down":
		if k == "up" {
			a.move(-1)
		} else {
			a.move(1)
		}
		return nil
	case "pgup", "pgdown":
		if k == "pgup" {
			a.top.act(a, actPageUp)
		} else {
			a.top.act(a, actPageDown)
		}
		return nil
	default:
		if msg.Text != "" {
			ts.filter += sanitize(msg.Text)
		}
	}
	if ts.filter != old {
		f.refetch(a)
	}
	return nil
}

// click handles a left click: switch views by their tab, or let the
// screen handle it.
func (a *App) click(m tea.Mouse) {
	defer a.prepareChrome()
	if m.Button != tea.MouseLeft {
		return
	}
	if a.help {
		a.help = false
		return
	}
	if m.Y == titleY {
		for _, h := range a.tabHits {
			if m.X >= h.x0 && m.X < h.x1 {
				a.switchTo(h.s)
			}
		}
		return
	}
	if m.Y > titleY {
		a.top.click(a, m.X, m.Y-colHeaderY)
	}
}

// refresh queries the source for the header and what the screen on top
// shows, and prepares everything View draws.
func (a *App) refresh(n nav) {
	a.hdr = a.src.Header()
	a.warns = a.src.Warnings()
	a.prepareWarnings()
	a.top.refresh(a, n)
	a.prepareChrome()
}

// layout recomputes everything that depends on the terminal size.
func (a *App) layout() {
	for _, t := range a.tabs {
		t.s.layout(a)
	}
	if a.top != nil {
		a.top.layout(a)
	}
	a.prepareHelp()
	a.prepareChrome()
}

// prepareHelp renders the help overlay of the screen on top.
func (a *App) prepareHelp() {
	ks := a.top.keys()
	var extra []boxLine
	if _, ok := a.top.(filterable); ok {
		extra = append(extra, boxLine{})
		for _, l := range FilterSyntax {
			extra = append(extra, boxLine{l[0], l[1]})
		}
	}
	a.helpBox = helpLines(a.st, ks.name, ks.mouse, a.keys(), extra, a.width, a.rows()+1)
}

// restyle renders everything again with styles for the background.
func (a *App) restyle() {
	svc := a.st.svcColours
	a.st = newStylesFor(a.opts, a.dark)
	a.st.svcColours = svc // a service keeps its colour
	for _, t := range a.tabs {
		if r, ok := t.s.(interface{ restyle(*styles) }); ok {
			r.restyle(a.st)
		}
	}
	a.footerFor = footerKey{}
	a.layout()
	// A page is built with its styles: build the one on show again (the
	// others are when esc comes back to them).
	a.top.refresh(a, a.keepNav())
	a.prepareChrome()
}

// View joins the prepared lines: exactly height lines, none wider than width.
func (a *App) View() tea.View {
	// bubbletea asks for the view after every message; after a tick that
	// found nothing new it is the last one, not joined again.
	if a.drawn.ok && a.drawn.joined && a.drawn.w == a.width && a.drawn.h == a.height {
		return a.drawn.v
	}
	var b strings.Builder
	b.Grow(a.width * a.height * 2)
	n := 0
	line := func(s string) {
		if n >= a.height {
			return
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
		if needsReset(s) {
			b.WriteString(sgrResetAll)
		}
		n++
	}
	body := a.height - headerLines - 1 - 2 // lines between the title and the status line
	for _, l := range a.head {
		line(l)
	}
	line(a.title)
	switch {
	case a.help:
		for i := range body {
			if i < len(a.helpBox) {
				line(a.helpBox[i])
			} else {
				line("")
			}
		}
	case a.warnPanel:
		a.overlay(body, a.warnBox, line)
	default:
		a.top.body(a, body, line)
	}
	// The footer must stay visible even on a tiny terminal.
	for n < a.height-2 {
		line("")
	}
	if a.height >= 2 {
		line(a.statusLn)
	}
	if n < a.height {
		line(a.footer)
	} else if a.height >= 1 {
		// Replace the last line with the footer.
		s := b.String()
		if i := strings.LastIndexByte(s, '\n'); i >= 0 {
			b.Reset()
			b.WriteString(s[:i+1])
			b.WriteString(a.footer)
		} else {
			b.Reset()
			b.WriteString(a.footer)
		}
	}
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "spantop"
	a.drawn.v, a.drawn.w, a.drawn.h, a.drawn.joined = v, a.width, a.height, true
	return v
}

// overlay draws box over the screen's body: the body's lines show above
// and below it, so the rows around a panel stay in view.
func (a *App) overlay(h int, box []string, line func(string)) {
	var under []string
	a.top.body(a, h, func(s string) { under = append(under, s) })
	first, last := -1, -1
	for i, l := range box {
		if l != "" {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i := range h {
		switch {
		case i >= first && i <= last && first >= 0:
			line(box[i])
		case i < len(under):
			line(under[i])
		default:
			line("")
		}
	}
}
