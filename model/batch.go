package model

// Batch is one decoded export request, handed from ingest to the model's
// writer through the bounded queue. Ingest builds it once from the wire bytes;
// the writer takes ownership of everything in it.
type Batch struct {
	// Resources are the distinct OTel resources of the request; SpanRec.Res
	// indexes this slice.
	Resources []Resource
	Spans     []SpanRec
	// Runtime is one generation of a Go execution trace, from the trace
	// reader; Samples and Statuses come from agentlib's metrics and status
	// records. A batch usually carries one kind only.
	Runtime  *RuntimeBatch
	Samples  []RuntimeSample
	Statuses []AgentStatus
	// Logs and Metrics are OTLP log records and metric data points (see
	// logrec.go and metricrec.go).
	Logs    []LogRec
	Metrics []MetricRec
}

// Resource is an OTel resource as decoded by ingest.
type Resource struct {
	// ServiceName, InstanceID, HostName are the well-known attributes, also
	// present in Attrs; pulled out so the model need not search the blob.
	ServiceName Sym
	InstanceID  Sym
	HostName    Sym
	PID         int64
	// Attrs is the attribute blob of the whole resource.
	Attrs []byte
}

// SpanRec is one decoded span. It is compact on purpose: strings are Syms and
// attributes are a blob. Rarely present parts live behind Ext.
type SpanRec struct {
	TraceID TraceID
	SpanID  SpanID
	Parent  SpanID
	// Start and End are Unix nanoseconds. End is 0 for an in-flight snapshot.
	Start int64
	End   int64
	Name  Sym
	// Scope is the instrumentation scope name (the Target column).
	Scope        Sym
	ScopeVersion Sym
	// Location is "file:line" or the function from code.* attributes, if any.
	Location Sym
	// Res indexes Batch.Resources.
	Res    uint32
	Kind   SpanKind
	Status StatusCode
	// InFlight marks a snapshot of a live span (spantop.span.inflight=true
	// with end time 0); SnapshotSeq orders snapshots of the same span.
	InFlight    bool
	SnapshotSeq uint32
	// NoHeartbeat marks an in-flight span whose sender does not refresh
	// it: it sent the span unended (or a Logfire pending span) and sends
	// it again only when it ends. It is not lost after missed heartbeats.
	NoHeartbeat bool
	// Busy and Idle are the nanoseconds the span was entered and not, as
	// tracing-opentelemetry reports them (busy_ns, idle_ns), if
	// HasBusyIdle.
	HasBusyIdle bool
	Busy, Idle  int64
	// ParentLocal says the sender marked the parent as in the same process
	// (OTLP span flags: the is-remote bit known and clear).
	ParentLocal bool
	// NumAttrs counts the attributes in Attrs.
	NumAttrs uint16
	Attrs    []byte
	Ext      *SpanExt
}

// SpanExt holds the parts of a span most spans do not have.
type SpanExt struct {
	StatusMessage string
	TraceState    string
	Events        []Event
	Links         []Link
	// DroppedAttrs, DroppedEvents and DroppedLinks are the counts the sender
	// reported as dropped before export.
	DroppedAttrs  uint32
	DroppedEvents uint32
	DroppedLinks  uint32
}

// Event is a span event.
type Event struct {
	Time  int64 // Unix nanoseconds
	Name  string
	Attrs []byte
}

// Link is a span link.
type Link struct {
	TraceID TraceID
	SpanID  SpanID
	Attrs   []byte
}

// extBytes estimates the memory of an extension for the budget.
func (e *SpanExt) bytes() int64 {
	if e == nil {
		return 0
	}
	n := int64(160 + len(e.StatusMessage) + len(e.TraceState))
	for _, ev := range e.Events {
		n += 64 + int64(len(ev.Name)+cap(ev.Attrs))
	}
	for _, l := range e.Links {
		n += 64 + int64(cap(l.Attrs))
	}
	return n
}
