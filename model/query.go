package model

import (
	"time"
)

// Query asks for one window of a table. The selection is kept by ID: when
// Anchor is set and still present, the window is placed so that the anchor
// (moved by Move rows) sits at screen row Row; otherwise Offset is used.
type Query struct {
	Sort   Column
	Desc   bool
	Filter string
	Anchor uint64
	Move   int
	Row    int
	Offset int
	Limit  int
	// Tree lists the tasks as a tree: children under their parents,
	// siblings in the sort order (see Model.Tasks).
	Tree bool
	// Goroutines lists the goroutine rows of the tasks store instead of
	// its spans: two tables with their own columns (see rowclass.go).
	Goroutines bool
	// Stored lists every stored row, those that have lingered out of the
	// live table too (Config.Linger), by a scan of the store rather than
	// the sort index. A filter that names a trace does the same. Tree
	// mode always lists the live table.
	Stored bool
}

// Page is the answer to a Query.
type Page[T any] struct {
	Rows []T
	// Total is how many items match the filter.
	Total int
	// Offset is the rank of Rows[0] in the sorted, filtered table.
	Offset int
	// Selected is the index in Rows of the (moved) anchor, or -1.
	Selected int
	// FilterErr explains why the filter could not be parsed (the query then
	// ran without it).
	FilterErr string
	// Stored says the rows include stored ones that lingered out of the
	// live table (Query.Stored, or a filter that names a trace).
	Stored bool
	// Sorting says the rows are in the previous order: the writer is
	// building the index on the column asked for (Header.Changes moves
	// when it is ready).
	Sorting bool
}

// Column identifies a sortable column of a table. Columns of different
// tables share the type but not the values.
type Column uint8

// Tasks columns, in display order.
const (
	TaskWarn Column = iota
	TaskID
	TaskState
	TaskName
	TaskTotal
	TaskBusy
	TaskSched
	TaskIdle
	TaskPolls
	TaskKind
	TaskService
	TaskTarget
	TaskLocation
	TaskFields
	TaskColumns // number of task columns
)

// Operations columns, in display order.
const (
	OpService Column = iota
	OpName
	OpKind
	OpCount
	OpRate
	OpInFlight
	OpErrors
	OpP50
	OpP95
	OpP99
	OpMax
	OpBusy
	OpIdle
	OpTotal
	OpColumns // number of operation columns
)

// TaskRow is one row of the tasks view: a span (or, later, a goroutine).
type TaskRow struct {
	ID uint64
	// Version changes whenever anything else the row shows changes, except
	// what moves with the clock (the Total of a live row) and the tree
	// fields, which depend on other rows: a row drawn at (ID, Version,
	// width) may be drawn again from a cache.
	Version  uint64
	Warnings int
	State    State
	Kind     SpanKind
	Name     string
	Total    time.Duration
	// Busy, Sched, Idle and Polls are goroutine figures, zero for spans
	// without them; a span whose sender measured busy and idle time only
	// (tracing-opentelemetry) has Sched = SchedNotMeasured.
	Busy, Sched, Idle time.Duration
	Polls             uint64
	Service           string
	Target            string
	Location          string
	Fields            []Attr
	// Finished rows are shown dimmed while they linger in the live table.
	Finished bool
	// Shelved rows have lingered out of the live table but are still
	// stored; only a query for stored rows lists them (Query.Stored).
	Shelved bool
	// Goroutine rows only: the runtime's goroutine ID, why it waits, what
	// it waits on, and the goroutine that created it.
	GoID       int64
	WaitReason string
	Resource   string
	CreatedBy  string
	// In tree mode: Depth under the top-level span, the tree lines left of
	// the row (see TraceRow), whether it is the last of its siblings, and
	// whether it is top-level because its parent is not stored.
	Depth  int
	Guides uint64
	Last   bool
	Orphan bool
}

// OpRow is one row of the operations view.
type OpRow struct {
	ID uint64
	// Version changes whenever the counts, durations or in-flight figure
	// change; Rate and Spark also move with the clock.
	Version  uint64
	Service  string
	Name     string
	Kind     SpanKind
	Count    int64
	Errors   int64
	InFlight int64
	// Rate is spans per second over the last RateWindow.
	Rate               float64
	P50, P95, P99, Max time.Duration
	Total              time.Duration
	// Busy and Idle sum the finished spans' busy and idle times, where
	// their senders measured them (zero otherwise).
	Busy, Idle time.Duration
	// Spark is the count per second over the last seconds, oldest first.
	Spark []uint32
}

// SpanDetail is everything known about one span, for the details view.
type SpanDetail struct {
	ID           uint64
	TraceID      TraceID
	SpanID       SpanID
	Parent       SpanID
	Name         string
	Kind         SpanKind
	State        State
	Status       StatusCode
	StatusMsg    string
	TraceState   string
	Start        time.Time
	End          time.Time // zero while in flight
	Duration     time.Duration
	Service      string
	Scope        string
	ScopeVersion string
	Location     string
	Attrs        []Attr
	Events       []EventDetail
	Links        []LinkDetail
	Resource     []Attr
	// Busy, Sched and Idle are the span's time split where known (see
	// TaskRow); HasTimes says whether they are.
	HasTimes          bool
	Busy, Sched, Idle time.Duration
	// SnapshotSeq is the last in-flight snapshot number seen (0 if none).
	SnapshotSeq uint32
	// TraceSpans counts the spans of the trace stored now.
	TraceSpans int
	// Warnings explain each warning of the span, with its flag.
	Warnings                                  []string
	DroppedAttrs, DroppedEvents, DroppedLinks uint32
}

// EventDetail is a decoded span event.
type EventDetail struct {
	Time  time.Time
	Name  string
	Attrs []Attr
}

// LinkDetail is a decoded span link.
type LinkDetail struct {
	TraceID TraceID
	SpanID  SpanID
	Attrs   []Attr
}
