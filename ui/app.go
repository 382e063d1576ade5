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
	Warnings() []model.Warning
	Tasks(q model.Query) model.Page[model.TaskRow]
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

// viewID names a screen.
type viewID int

const (
	viewTasks viewID = iota
	viewOps
	viewDetails
	viewResources
	viewGoroutine // a goroutine's details
	viewResource  // a resource's (or a service's) details
	viewTrace
	viewOpDetails
)

func (v viewID) mask() viewMask {
	switch v {
	case viewOps:
		return inOps
	case viewDetails:
		return inDetails
	case viewResources:
		return inResources
	case viewGoroutine:
		return inGoroutine
	case viewResource:
		return inResource
	case viewTrace:
		return inTrace
	case viewOpDetails:
		return inOpDetails
	}
	return inTasks
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

// tableUI is what the App needs of a table, whatever its row type.
type tableUI interface {
	fetch(src Source, limit int, n nav, st *styles)
	local(n nav) bool
	selectRow(i int) bool
	setWidth(w int, st *styles)
	stepSort(dir int, st *styles)
	invert(st *styles)
	setSort(key model.Column, st *styles)
	columnAt(x int) (model.Column, bool)
	sortTitle(st *styles) string
	state() *tableState
}

// tableState is the part of a table the App reads directly.
type tableState struct {
	filter string
	// follow keeps the selection on the first row while it is there, so a
	// live table shows its top instead of following a span that sinks.
	follow    bool
	selRow    int
	selID     uint64
	offset    int
	total     int
	filterErr string
	header    string
	lines     []string
	lastQuery model.Query
	// tree lists the rows as a tree (the tasks view's tree mode).
	tree bool
}

// App is spantop's root bubbletea model. It routes every message; the
// tables and the details view are plain structs with methods.
type App struct {
	src  Source
	opts Options
	st   *styles

	width, height int
	view          viewID
	paused        bool
	help          bool
	editing       bool
	status        string
	statusBad     bool

	hdr model.Header

	tasks *taskTable
	ops   *opTable
	det   detailsView
	res   *resTable
	gor   goroutineView
	rsd   resourceView
	wf    *traceView
	opd   *opDetailsView
	// stack holds the views esc goes back to; its first entry is the
	// table the user started from.
	stack []stackEntry
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
	// warns is the warnings panel's content as of the last refresh;
	// warnPanel shows it instead of the view.
	warns     []model.Warning
	warnPanel bool
	warnBox   []string
	empty     string // shown in place of rows when there are none
	tabs      []tabHit
	quitting  bool
}

// tabHit is where a view's tab sits on the title line, for mouse clicks.
type tabHit struct {
	x0, x1 int
	view   viewID
}

// New returns the UI's root model reading from src.
func New(src Source, opts Options) *App {
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	a := &App{src: src, opts: opts, st: newStyles(opts), width: 80, height: 24, dark: true, now: time.Now}
	a.tasks = newTaskTable()
	a.ops = newOpTable()
	a.res = newResTable()
	a.layout()
	return a
}

// Run runs the UI on the terminal until the user quits or ctx ends.
func Run(ctx context.Context, src Source, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
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
	a.refresh(nav{row: a.cur().state().selRow})
	return tea.Batch(a.tick(), tea.RequestBackgroundColor)
}

func (a *App) tick() tea.Cmd {
	return tea.Tick(a.opts.Tick, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// rows is how many table rows fit.
func (a *App) rows() int { return max(a.height-chromeLines, 1) }

// detailRows is how many content lines the details view shows.
func (a *App) detailRows() int { return max(a.height-chromeLines+1, 1) }

// cur returns the table on screen (or the one the user started from).
func (a *App) cur() tableUI {
	switch a.base() {
	case viewOps:
		return a.ops
	case viewResources:
		return a.res
	}
	return a.tasks
}

// Update handles one message.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if !a.paused {
			a.refresh(nav{row: a.cur().state().selRow})
		}
		return a, a.tick()
	case tea.WindowSizeMsg:
		a.width, a.height = max(msg.Width, 1), max(msg.Height, 1)
		a.layout()
		if !a.paused {
			a.refresh(nav{row: a.cur().state().selRow})
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
		if a.editing {
			t := a.cur()
			ts := t.state()
			ts.filter += sanitize(msg.Content)
			t.fetch(a.src, a.rows(), nav{row: ts.selRow}, a.st)
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

// key handles a key press.
func (a *App) key(msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()
	if k == "ctrl+c" {
		a.quitting = true
		return tea.Quit
	}
	a.status, a.statusBad = "", false
	defer a.prepareChrome()
	if a.editing {
		return a.editKey(msg, k)
	}
	if a.help {
		// Any key closes the help; q still quits.
		if k == "q" {
			a.quitting = true
			return tea.Quit
		}
		a.help = false
		return nil
	}
	if a.replayKey(k) {
		return nil
	}
	return a.do(lookup(a.view.mask(), k))
}

// do carries out an action.
func (a *App) do(act action) tea.Cmd {
	t := a.cur()
	ts := t.state()
	switch act {
	case actQuit:
		a.quitting = true
		return tea.Quit
	case actHelp:
		a.help, a.warnPanel = !a.help, false
		a.helpBox = helpLines(a.st, a.view.mask(), a.width, a.rows()+1)
	case actWarnings:
		a.warnPanel, a.help = !a.warnPanel, false
		a.prepareWarnings()
	case actPause:
		a.paused = !a.paused
		if !a.paused {
			a.refresh(nav{row: ts.selRow})
		}
	case actTasks, actOps, actResources:
		a.switchTo(tableFor(act))
	case actUp:
		a.move(-1)
	case actDown:
		a.move(1)
	case actPageUp:
		a.page(-1)
	case actPageDown:
		a.page(1)
	case actTop, actBottom:
		if a.navOther(act) {
			return nil
		}
		if p := a.curPage(); p != nil {
			if act == actTop {
				p.scrollBy(-1<<30, a.detailRows())
			} else {
				p.scrollBy(1<<30, a.detailRows())
			}
			return nil
		}
		n := nav{top: act == actTop, bottom: act == actBottom}
		if !(a.paused && t.local(n)) {
			t.fetch(a.src, a.rows(), n, a.st)
		}
	case actTrace, actTree, actSpans, actCollapse, actExpand, actFold:
		a.doOther(act)
	case actSortLeft, actSortRight:
		dir := 1
		if act == actSortLeft {
			dir = -1
		}
		t.stepSort(dir, a.st)
		t.fetch(a.src, a.rows(), nav{row: ts.selRow}, a.st)
	case actInvert:
		t.invert(a.st)
		t.fetch(a.src, a.rows(), nav{row: ts.selRow}, a.st)
	case actEnter:
		a.enter()
	case actBack:
		if a.pop() {
			return nil
		}
		if ts.filter != "" {
			ts.filter = ""
			t.fetch(a.src, a.rows(), nav{row: ts.selRow}, a.st)
		}
	case actFilter:
		a.editing = true
	default:
		return a.doRuntime(act)
	}
	return nil
}

// move moves the selection (or scrolls the details) by n rows.
func (a *App) move(n int) {
	if a.moveOther(n) || a.movePage(n) {
		return
	}
	t := a.cur()
	ts := t.state()
	nv := nav{move: n, row: ts.selRow + n}
	if a.paused && t.local(nv) {
		return
	}
	t.fetch(a.src, a.rows(), nv, a.st)
}

// page moves by a screenful, keeping the selection's screen row.
func (a *App) page(dir int) {
	if a.moveOther(dir * a.rows()) {
		return
	}
	if p := a.curPage(); p != nil {
		p.scrollBy(dir*a.detailRows(), a.detailRows())
		return
	}
	t := a.cur()
	ts := t.state()
	nv := nav{move: dir * a.rows(), row: ts.selRow}
	if a.paused && t.local(nv) {
		return
	}
	t.fetch(a.src, a.rows(), nv, a.st)
}

// enter opens the details of what is selected: a span's (with its trace)
// or a goroutine's, an operation's, a resource's, or where a link leads.
func (a *App) enter() {
	switch a.view {
	case viewTasks:
		id := a.tasks.selID
		if id == 0 {
			a.statusf(false, "no span selected")
			return
		}
		a.open(a.taskTarget(id))
	case viewResources, viewGoroutine, viewResource:
		a.enterRuntime()
	case viewOps:
		id := a.ops.selID
		if id == 0 || len(a.ops.rows) == 0 {
			a.statusf(false, "no operation selected")
			return
		}
		a.push(viewOpDetails)
		a.opd = newOpDetailsView(id)
		a.refresh(nav{})
	default:
		a.enterOther()
	}
}

// showOpSpans shows the spans of an operation in the tasks view: a filter
// matching exactly its service, name and kind.
func (a *App) showOpSpans(service, name string, kind model.SpanKind) {
	a.stack = a.stack[:0]
	a.tasks.filter = filterTerm("service", service) + " " + filterTerm("name", name) + " kind=" + kind.String()
	a.tasks.selID, a.tasks.selRow, a.tasks.offset = 0, 0, 0
	a.view = viewTasks
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
	t := a.cur()
	ts := t.state()
	old := ts.filter
	switch k {
	case "esc":
		ts.filter = ""
		a.editing = false
	case "enter":
		a.editing = false
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
			a.page(-1)
		} else {
			a.page(1)
		}
		return nil
	default:
		if msg.Text != "" {
			ts.filter += sanitize(msg.Text)
		}
	}
	if ts.filter != old {
		t.fetch(a.src, a.rows(), nav{row: ts.selRow}, a.st)
	}
	return nil
}

// click handles a left click: select a row (again: open it), sort by a
// header, switch views by their tab.
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
		for _, h := range a.tabs {
			if m.X >= h.x0 && m.X < h.x1 {
				a.switchTo(h.view)
			}
		}
		return
	}
	if a.clickOther(m) {
		return
	}
	if a.curPage() != nil {
		a.clickPage(m.Y - colHeaderY)
		return
	}
	t := a.cur()
	ts := t.state()
	switch {
	case m.Y == colHeaderY:
		if key, ok := t.columnAt(m.X); ok {
			t.setSort(key, a.st)
			t.fetch(a.src, a.rows(), nav{row: ts.selRow}, a.st)
		}
	case m.Y >= firstRowY && m.Y < firstRowY+a.rows():
		i := m.Y - firstRowY
		if i == ts.selRow && i < len(ts.lines) {
			a.enter()
			return
		}
		t.selectRow(i)
	}
}

// refresh queries the source for the visible window of the current view
// and the header, and prepares everything View draws.
func (a *App) refresh(n nav) {
	a.hdr = a.src.Header()
	a.warns = a.src.Warnings()
	a.prepareWarnings()
	switch {
	case a.refreshOther(n):
	case a.view == viewDetails:
		a.det.wfRows = a.detailTraceRows()
		a.det.refresh(a.src, a.st)
		a.det.scrollBy(0, a.detailRows())
	case a.view == viewGoroutine, a.view == viewResource:
		a.refreshPage()
	default:
		a.cur().fetch(a.src, a.rows(), n, a.st)
	}
	a.prepareChrome()
}

// layout recomputes everything that depends on the terminal size.
func (a *App) layout() {
	a.tasks.setWidth(a.width, a.st)
	a.ops.setWidth(a.width, a.st)
	a.res.setWidth(a.width, a.st)
	a.layoutPages()
	if a.det.width != a.width {
		a.det.width = a.width
		if a.view == viewDetails {
			a.det.build(a.st)
			a.det.scrollBy(0, a.detailRows())
		}
	}
	a.layoutOther()
	a.helpBox = helpLines(a.st, a.view.mask(), a.width, a.rows()+1)
	a.prepareChrome()
}

// View joins the prepared lines: exactly height lines, none wider than width.
func (a *App) View() tea.View {
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
		n++
	}
	body := a.height - headerLines - 1 - 2 // lines between the title and the status line
	for _, l := range a.head {
		line(l)
	}
	line(a.title)
	switch {
	case a.help || a.warnPanel:
		overlay := a.helpBox
		if a.warnPanel {
			overlay = a.warnBox
		}
		for i := range body {
			if i < len(overlay) {
				line(overlay[i])
			} else {
				line("")
			}
		}
	case a.viewOther(body, line):
	case a.curPage() != nil:
		lines, scroll := a.curPage().content()
		for i := range body {
			if j := scroll + i; j < len(lines) {
				line(lines[j])
			} else {
				line("")
			}
		}
	default:
		ts := a.cur().state()
		line(ts.header)
		for i := range body - 1 {
			switch {
			case i == 0 && len(ts.lines) == 0:
				line(a.empty)
			case i >= len(ts.lines):
				line("")
			case i == ts.selRow:
				// One uniform bar: colours inside reverse video would turn
				// into patches of another background.
				line(a.st.reverse.r(ansi.Strip(ts.lines[i])))
			default:
				line(ts.lines[i])
			}
		}
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
	return v
}
