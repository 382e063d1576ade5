package model

import "time"

// Resources columns, in display order (DESIGN.md §4).
const (
	ResID Column = iota
	ResParent
	ResKind
	ResTotal
	ResTarget
	ResType
	ResLocation
	ResWaiters
	ResWaitTotal
	ResWaitMax
	ResAttrs
	ResColumns // number of resource columns
)

// ResourceRow is one row of the resources view: a service (a process) or a
// resource goroutines wait on.
type ResourceRow struct {
	ID uint64
	// Version changes whenever the runtime data behind the row (or, for a
	// service, its span counts) changes; Total, the wait figures of waits
	// in progress and rates also move with the clock.
	Version uint64
	// Parent is the display ID of the service a sync resource belongs to
	// (0 for a service); ParentName is that service's name.
	Parent     uint64
	ParentName string
	// Kind is "service" for a process, else the WaitKind's name.
	Kind string
	// Total is how long it has been known.
	Total time.Duration
	// Target is the service name; Type the Go type ("sync.Mutex", "chan",
	// "agentlib.Mutex", "process").
	Target, Type string
	Location     string
	// Waiters is how many goroutines wait on it now; for a service, how
	// many of its goroutines are blocked.
	Waiters            int
	WaitTotal, WaitMax time.Duration
	// Attrs are the remaining figures: for a service its goroutines, heap,
	// GC and scheduling latency; for a named resource its name.
	Attrs []Attr
	// Finished rows (a process gone, a resource not waited on for the
	// retention time) are shown dimmed.
	Finished bool
}

// HistSummary describes a latency histogram for the details views.
type HistSummary struct {
	Count uint64
	// Percentiles holds the values at PercentileRanks.
	Percentiles []time.Duration
	Min, Max    time.Duration
	// Buckets are the counts of a mini histogram: Buckets[i] counts values
	// in [BucketEdges[i], BucketEdges[i+1]).
	Buckets     []uint64
	BucketEdges []time.Duration
}

// PercentileRanks are the percentiles every HistSummary reports.
var PercentileRanks = []float64{10, 25, 50, 75, 90, 95, 99, 99.9}

// GoroutineRef names a goroutine in a details view.
type GoroutineRef struct {
	ID   uint64 // display ID; 0 when it is no longer stored
	GoID int64
	Name string
	// For reports how long it has waited (waiters) or the wakes it gave (wakers).
	For   time.Duration
	Wakes uint64
}

// SpanRef names a span in a details view.
type SpanRef struct {
	ID      uint64 // display ID; 0 when it is no longer stored
	Name    string
	TraceID TraceID
	SpanID  SpanID
	// Busy, Sched and Idle are the time goroutines spent for it.
	Busy, Sched, Idle time.Duration
}

// WaitTime is the time spent blocked for one reason.
type WaitTime struct {
	Kind WaitKind
	Time time.Duration
}

// GoroutineDetail is everything known about one goroutine.
type GoroutineDetail struct {
	ID        uint64
	GoID      int64
	Parent    GoroutineRef
	Name      string
	StartFunc string
	Service   string
	Instance  string
	State     State
	GoState   GoState
	// Wait, WaitReason and Resource say what it waits on (GoWaiting);
	// Resource is the resource's display ID, 0 if none.
	Wait       WaitKind
	WaitReason string
	Resource   uint64
	// InState is how long it has been in its current state.
	InState        time.Duration
	Created, Ended time.Time // zero when unknown / alive
	Total          time.Duration
	Busy, Sched    time.Duration
	Idle           []WaitTime // non-zero reasons, largest first
	Polls          uint64
	Preempts       uint64
	LongestRun     time.Duration
	Wakes          uint64
	Waker          GoroutineRef
	Run, SchedLat  HistSummary
	CreateStack    []Frame
	BlockStack     []Frame
	Spans          []SpanRef
	// Warnings explain each warning of the goroutine, with its flag.
	Warnings []string
	// CanSaveTrace reports whether the process's recent execution trace is
	// held, so SaveTrace can write it.
	CanSaveTrace bool
}

// ResourceDetail is everything known about one row of the resources view.
type ResourceDetail struct {
	Row ResourceRow
	// Waits counts completed waits, Ended and EndedMax are their total and
	// longest, and Wait summarises them; Row.WaitTotal and Row.WaitMax count
	// the waits going on too.
	Waits           uint64
	Ended, EndedMax time.Duration
	Wait            HistSummary
	Waiters         []GoroutineRef // waiting now, longest first
	Wakers          []GoroutineRef // who woke its waiters, most wakes first
	// Runtime is set for a service whose process runs agentlib.
	Runtime *RuntimeStats
	// Status is the agent's last status message, if any.
	Status string
}
