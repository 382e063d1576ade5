package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spantop/spantop/model"
)

// The snapshot's JSON form. Field names are stable: scripts and agents
// read them (README "spantop snapshot"). Durations are milliseconds,
// times RFC 3339 in UTC.

// Report is what `spantop snapshot` prints.
type Report struct {
	Version int    `json:"version"`
	At      string `json:"at"`
	// Source says where the data came from: "file …", "listened 10s", "cmd …".
	Source     string        `json:"source"`
	Summary    ReportSummary `json:"summary"`
	Operations []ReportOp    `json:"operations"`
	Slowest    []ReportTrace `json:"slowest_traces"`
	Warnings   []ReportWarn  `json:"warnings"`
	Services   []ReportSvc   `json:"services"`
	Goroutines []ReportGo    `json:"goroutines"`
	Resources  []ReportRes   `json:"resources"`
	Child      *ReportChild  `json:"command,omitempty"`
	// Tests is there when the data holds a go test run (snapshot -- go
	// test, or a recording of spantop test).
	Tests *ReportTests `json:"tests,omitempty"`
}

// ReportSummary is the header's figures.
type ReportSummary struct {
	Received   int64 `json:"received"`
	Rejected   int64 `json:"rejected"`
	Dropped    int64 `json:"dropped"`
	Spans      int   `json:"spans"`
	Errors     int   `json:"errors"`
	Lost       int   `json:"lost"`
	Traces     int   `json:"traces"`
	Operations int   `json:"operations"`
	Services   int   `json:"services"`
	Goroutines int   `json:"goroutines"`
	Resources  int   `json:"resources"`
}

// ReportOp is one operation.
type ReportOp struct {
	Service  string  `json:"service"`
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`
	Count    int64   `json:"count"`
	Rate     float64 `json:"rate_per_s"`
	Errors   int64   `json:"errors"`
	ErrorPct float64 `json:"error_pct"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	Total    float64 `json:"total_ms"`
}

// ReportTrace is one of the slowest traces with its critical path.
type ReportTrace struct {
	TraceID  string       `json:"trace_id"`
	Root     string       `json:"root"`
	Duration float64      `json:"duration_ms"`
	Spans    int          `json:"spans"`
	Errors   int          `json:"errors"`
	Services []string     `json:"services"`
	Critical []ReportStep `json:"critical_path"`
}

// ReportStep is a span on a critical path.
type ReportStep struct {
	Service  string  `json:"service"`
	Name     string  `json:"name"`
	Offset   float64 `json:"offset_ms"`
	Duration float64 `json:"duration_ms"`
	Error    bool    `json:"error"`
}

// ReportWarn is one kind of warning.
type ReportWarn struct {
	Kind     string   `json:"kind"`
	Count    int64    `json:"count"`
	Text     string   `json:"text"`
	Flag     string   `json:"flag,omitempty"`
	Examples []string `json:"examples"`
}

// ReportSvc is one service, summed over its operations.
type ReportSvc struct {
	Name       string  `json:"name"`
	Spans      int64   `json:"spans"`
	Errors     int64   `json:"errors"`
	Rate       float64 `json:"rate_per_s"`
	Operations int     `json:"operations"`
}

// ReportGo is one goroutine of an agentlib app.
type ReportGo struct {
	ID       uint64  `json:"id"`
	Name     string  `json:"name"`
	State    string  `json:"state"`
	Service  string  `json:"service"`
	Total    float64 `json:"total_ms"`
	Busy     float64 `json:"busy_ms"`
	Sched    float64 `json:"sched_ms"`
	Idle     float64 `json:"idle_ms"`
	Polls    uint64  `json:"polls"`
	Location string  `json:"location"`
	Warnings int     `json:"warnings"`
}

// ReportRes is one sync resource goroutines wait on.
type ReportRes struct {
	ID        uint64  `json:"id"`
	Kind      string  `json:"kind"`
	Type      string  `json:"type"`
	Service   string  `json:"service"`
	Location  string  `json:"location"`
	Waiters   int     `json:"waiters"`
	WaitTotal float64 `json:"wait_total_ms"`
	WaitMax   float64 `json:"wait_max_ms"`
}

// ReportChild is the command a snapshot ran.
type ReportChild struct {
	Args     []string `json:"args"`
	ExitCode int      `json:"exit_code"`
}

// Report sizes: enough to see what matters, small enough to read.
const (
	reportOps        = 30
	reportTraces     = 5
	reportGoroutines = 30
	reportResources  = 20
	reportExamples   = 3
	reportCritical   = 20
)

// reportSource is what a report reads: the model, or the live source.
type reportSource interface {
	Header() model.Header
	Warnings() []model.Warning
	Tasks(q model.Query) model.Page[model.TaskRow]
	Operations(q model.Query) model.Page[model.OpRow]
	Span(id uint64) (model.SpanDetail, bool)
	Resources(q model.Query) model.Page[model.ResourceRow]
	Trace(q model.TraceQuery) model.TraceView
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// buildReport reads the tables a snapshot prints.
func buildReport(src reportSource, at time.Time, source string) Report {
	h := src.Header()
	r := Report{
		Version: 1, At: at.UTC().Format(time.RFC3339Nano), Source: source,
		Summary: ReportSummary{
			Received: h.Received, Rejected: h.Rejected, Dropped: h.Refused + h.Dropped,
			Spans: h.Spans, Errors: h.Errors, Lost: h.Lost, Traces: h.Traces,
			Operations: h.Operations, Services: h.Services, Goroutines: h.Goroutines, Resources: h.Resources,
		},
		Operations: []ReportOp{}, Slowest: []ReportTrace{}, Warnings: []ReportWarn{},
		Services: []ReportSvc{}, Goroutines: []ReportGo{}, Resources: []ReportRes{},
	}
	// Operations by total time consumed (the view's default), all of them
	// for the services' sums.
	ops := src.Operations(model.Query{Sort: model.OpTotal, Desc: true, Limit: 1 << 20})
	svcs := map[string]*ReportSvc{}
	for i, o := range ops.Rows {
		if i < reportOps {
			op := ReportOp{
				Service: o.Service, Name: o.Name, Kind: o.Kind.String(), Count: o.Count, Rate: round2(o.Rate),
				Errors: o.Errors, P50: ms(o.P50), P95: ms(o.P95), P99: ms(o.P99), Max: ms(o.Max), Total: ms(o.Total),
			}
			if o.Count > 0 {
				op.ErrorPct = round2(100 * float64(o.Errors) / float64(o.Count))
			}
			r.Operations = append(r.Operations, op)
		}
		s := svcs[o.Service]
		if s == nil {
			s = &ReportSvc{Name: o.Service}
			svcs[o.Service] = s
		}
		s.Spans += o.Count
		s.Errors += o.Errors
		s.Rate = round2(s.Rate + o.Rate)
		s.Operations++
	}
	for _, s := range svcs {
		r.Services = append(r.Services, *s)
	}
	slices.SortFunc(r.Services, func(a, b ReportSvc) int { return strings.Compare(a.Name, b.Name) })

	r.Slowest = slowestTraces(src)
	r.Tests = testsReport(src)

	for _, w := range src.Warnings() {
		rw := ReportWarn{Kind: w.Kind.String(), Count: w.Count, Text: w.Text, Flag: w.Flag, Examples: []string{}}
		q := model.Query{Filter: "warn=" + w.Kind.String(), Sort: model.TaskID, Limit: reportExamples, Stored: true}
		page := src.Tasks(q)
		if page.Total == 0 { // a goroutine warning
			q.Goroutines = true
			page = src.Tasks(q)
		}
		for _, t := range page.Rows {
			rw.Examples = append(rw.Examples, fmt.Sprintf("#%d %s %s", t.ID, t.Service, t.Name))
		}
		r.Warnings = append(r.Warnings, rw)
	}

	gos := src.Tasks(model.Query{Goroutines: true, Sort: model.TaskTotal, Desc: true, Limit: reportGoroutines, Stored: true})
	for _, g := range gos.Rows {
		r.Goroutines = append(r.Goroutines, ReportGo{
			ID: g.ID, Name: g.Name, State: g.State.String(), Service: g.Service,
			Total: ms(g.Total), Busy: ms(g.Busy), Sched: ms(g.Sched), Idle: ms(g.Idle), Polls: g.Polls,
			Location: g.Location, Warnings: g.Warnings,
		})
	}
	res := src.Resources(model.Query{Sort: model.ResWaitTotal, Desc: true, Limit: 1 << 16})
	for _, x := range res.Rows {
		if x.Kind == "service" || len(r.Resources) >= reportResources {
			continue
		}
		r.Resources = append(r.Resources, ReportRes{
			ID: x.ID, Kind: x.Kind, Type: x.Type, Service: x.Target, Location: x.Location,
			Waiters: x.Waiters, WaitTotal: ms(x.WaitTotal), WaitMax: ms(x.WaitMax),
		})
	}
	return r
}

func round2(f float64) float64 {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// slowestTraces finds the traces of the longest spans (a trace's root is
// its longest span, mostly) and reads each one's critical path.
func slowestTraces(src reportSource) []ReportTrace {
	out := []ReportTrace{}
	page := src.Tasks(model.Query{Sort: model.TaskTotal, Desc: true, Limit: 200, Stored: true})
	seen := map[model.TraceID]bool{}
	for _, t := range page.Rows {
		if len(out) >= reportTraces {
			break
		}
		if t.Kind == model.KindGoroutine {
			continue
		}
		d, ok := src.Span(t.ID)
		if !ok || seen[d.TraceID] {
			continue
		}
		seen[d.TraceID] = true
		tv := src.Trace(model.TraceQuery{TraceID: d.TraceID, Limit: 1 << 16})
		if !tv.Found {
			continue
		}
		rt := ReportTrace{
			TraceID: d.TraceID.String(), Root: tv.Root, Duration: ms(tv.Duration),
			Spans: tv.Spans, Errors: tv.Errors, Services: append([]string{}, tv.Services...), Critical: []ReportStep{},
		}
		for _, row := range tv.Rows {
			if row.Critical && !row.Missing && len(rt.Critical) < reportCritical {
				rt.Critical = append(rt.Critical, ReportStep{
					Service: row.Service, Name: row.Name, Offset: ms(row.Offset), Duration: ms(row.Duration),
					Error: row.Status == model.StatusError,
				})
			}
		}
		out = append(out, rt)
	}
	return out
}

// writeReport prints r in format: text, json or markdown.
func writeReport(w io.Writer, r Report, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "markdown", "md":
		return writeTables(w, r, true)
	}
	return writeTables(w, r, false)
}

// table prints aligned columns (text) or a markdown table.
type table struct {
	md   bool
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	if len(t.rows) == 0 {
		_, err := fmt.Fprintln(w, "(none)")
		return err
	}
	if t.md {
		line := func(cells []string) string {
			for i, c := range cells {
				cells[i] = strings.ReplaceAll(c, "|", `\|`)
			}
			return "| " + strings.Join(cells, " | ") + " |\n"
		}
		var b strings.Builder
		b.WriteString(line(slices.Clone(t.head)))
		sep := make([]string, len(t.head))
		for i := range sep {
			sep[i] = "---"
		}
		b.WriteString("| " + strings.Join(sep, " | ") + " |\n")
		for _, r := range t.rows {
			b.WriteString(line(r))
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.head, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func fmtMS(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + "s"
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(v*1000, 'f', 0, 64) + "µs"
}

func writeTables(w io.Writer, r Report, md bool) error {
	title := func(s string) {
		if md {
			fmt.Fprintf(w, "\n## %s\n\n", s)
		} else {
			fmt.Fprintf(w, "\n%s\n", strings.ToUpper(s))
		}
	}
	s := r.Summary
	if md {
		fmt.Fprintf(w, "# spantop snapshot\n\n")
	} else {
		fmt.Fprintf(w, "spantop snapshot\n")
	}
	fmt.Fprintf(w, "at %s, %s\n", r.At, r.Source)
	if md {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "received %d  rejected %d  dropped %d  spans %d  errors %d  lost %d  traces %d  operations %d  services %d",
		s.Received, s.Rejected, s.Dropped, s.Spans, s.Errors, s.Lost, s.Traces, s.Operations, s.Services)
	if s.Goroutines > 0 || s.Resources > 0 {
		fmt.Fprintf(w, "  goroutines %d  resources %d", s.Goroutines, s.Resources)
	}
	fmt.Fprintln(w)
	if r.Child != nil {
		fmt.Fprintf(w, "command %q exited with status %d\n", strings.Join(r.Child.Args, " "), r.Child.ExitCode)
	}

	if r.Tests != nil {
		if err := writeTestTables(w, r.Tests, md, title); err != nil {
			return err
		}
	}

	title("Warnings")
	t := &table{md: md, head: []string{"KIND", "COUNT", "WHAT", "EXAMPLES"}}
	for _, x := range r.Warnings {
		t.add(x.Kind, strconv.FormatInt(x.Count, 10), x.Text, strings.Join(x.Examples, "; "))
	}
	if err := t.write(w); err != nil {
		return err
	}

	title("Operations")
	t = &table{md: md, head: []string{"SERVICE", "NAME", "KIND", "COUNT", "RATE/S", "ERR%", "P50", "P95", "P99", "MAX"}}
	for _, o := range r.Operations {
		t.add(o.Service, o.Name, o.Kind, strconv.FormatInt(o.Count, 10), strconv.FormatFloat(o.Rate, 'f', 1, 64),
			strconv.FormatFloat(o.ErrorPct, 'f', 1, 64), fmtMS(o.P50), fmtMS(o.P95), fmtMS(o.P99), fmtMS(o.Max))
	}
	if err := t.write(w); err != nil {
		return err
	}

	title("Slowest traces")
	for i, x := range r.Slowest {
		fmt.Fprintf(w, "%d. %s  %s  %d spans  %d errors  services %s  trace %s\n", i+1, x.Root, fmtMS(x.Duration), x.Spans, x.Errors, strings.Join(x.Services, ","), x.TraceID)
		if md {
			fmt.Fprintln(w)
		}
		t = &table{md: md, head: []string{"  CRITICAL PATH", "SERVICE", "AT", "DURATION"}}
		for _, c := range x.Critical {
			name := "  " + c.Name
			if c.Error {
				name += " (error)"
			}
			t.add(name, c.Service, "+"+fmtMS(c.Offset), fmtMS(c.Duration))
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	if len(r.Slowest) == 0 {
		fmt.Fprintln(w, "(none)")
	}

	title("Services")
	t = &table{md: md, head: []string{"SERVICE", "SPANS", "ERRORS", "RATE/S", "OPERATIONS"}}
	for _, x := range r.Services {
		t.add(x.Name, strconv.FormatInt(x.Spans, 10), strconv.FormatInt(x.Errors, 10), strconv.FormatFloat(x.Rate, 'f', 1, 64), strconv.Itoa(x.Operations))
	}
	if err := t.write(w); err != nil {
		return err
	}
	if len(r.Goroutines) > 0 {
		title("Goroutines")
		t = &table{md: md, head: []string{"ID", "NAME", "STATE", "SERVICE", "TOTAL", "BUSY", "SCHED", "IDLE", "POLLS", "WARN"}}
		for _, g := range r.Goroutines {
			t.add(strconv.FormatUint(g.ID, 10), g.Name, g.State, g.Service, fmtMS(g.Total), fmtMS(g.Busy), fmtMS(g.Sched), fmtMS(g.Idle), strconv.FormatUint(g.Polls, 10), strconv.Itoa(g.Warnings))
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	if len(r.Resources) > 0 {
		title("Resources")
		t = &table{md: md, head: []string{"ID", "KIND", "TYPE", "SERVICE", "LOCATION", "WAITERS", "WAIT TOTAL", "WAIT MAX"}}
		for _, x := range r.Resources {
			t.add(strconv.FormatUint(x.ID, 10), x.Kind, x.Type, x.Service, x.Location, strconv.Itoa(x.Waiters), fmtMS(x.WaitTotal), fmtMS(x.WaitMax))
		}
		return t.write(w)
	}
	return nil
}
