// Package model holds everything spantop knows: spans, traces, operations and
// services. It is plain Go: it imports no wire format and no UI package, so it
// can be tested with an injected clock. One writer goroutine applies batches;
// readers ask for one frame's worth of rows at a time.
package model

import (
	"encoding/hex"
	"time"
)

// TraceID is a W3C trace ID.
type TraceID [16]byte

// SpanID is a W3C span ID.
type SpanID [8]byte

// String returns the lower-case hex form used by OTLP/JSON and every tracing UI.
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// IsZero reports whether the ID is all zeroes (invalid per W3C).
func (t TraceID) IsZero() bool { return t == TraceID{} }

// String returns the lower-case hex form.
func (s SpanID) String() string { return hex.EncodeToString(s[:]) }

// IsZero reports whether the ID is all zeroes (a root span's parent).
func (s SpanID) IsZero() bool { return s == SpanID{} }

// SpanKind is the OTLP span kind; the numeric values match the wire enum.
type SpanKind uint8

// Span kinds, numbered as in OTLP.
const (
	KindUnspecified SpanKind = iota
	KindInternal
	KindServer
	KindClient
	KindProducer
	KindConsumer
	// KindGoroutine marks a goroutine row in the tasks view (never on the wire).
	KindGoroutine
	kindCount
)

var kindNames = [...]string{"unspecified", "internal", "server", "client", "producer", "consumer", "goroutine"}

// String returns the lower-case name shown in the Kind column.
func (k SpanKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// StatusCode is the OTLP status code; the numeric values match the wire enum.
type StatusCode uint8

// Status codes, numbered as in OTLP.
const (
	StatusUnset StatusCode = iota
	StatusOK
	StatusError
)

// String returns the lower-case name of the status.
func (s StatusCode) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusError:
		return "error"
	default:
		return "unset"
	}
}

// State is what the State column shows for a task.
type State uint8

// Task states, in the order the State column sorts them.
const (
	StateRunning State = iota // ▶ in flight
	StateWaiting              // ⏸ goroutine blocked or runnable
	StateDone                 // ⏹ finished
	StateError                // ✗ finished with status error
	StateLost                 // ? in flight but no longer refreshed
)

var stateNames = [...]string{"running", "waiting", "done", "error", "lost"}

// String returns the state's name as used by filters (state=lost).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Clock tells the model the time; tests inject a fake one.
type Clock func() time.Time

// Config holds the model's limits.
type Config struct {
	// Linger is how long a finished span stays in the live tables (the
	// spans and goroutines tables), dimmed; while no batch arrives, up to
	// a fifth longer (lingerSlack). After it the span is still
	// stored (its trace, waterfall, operation, search, details) until
	// Retain or the memory budget removes it. A Linger above Retain acts
	// as Retain: nothing is shown that is not stored.
	Linger time.Duration
	// Retain is how long a finished span stays stored; log records are
	// kept as long.
	Retain time.Duration
	// MaxMemory is the budget, in bytes, for everything the model stores.
	MaxMemory int64
	// Heartbeat is how often live in-flight spans are re-sent by agentlib; a
	// snapshot not refreshed for LostAfter heartbeats becomes lost.
	Heartbeat time.Duration
	// Clock returns the current time; nil means time.Now.
	Clock Clock
	// Warn holds the warnings' thresholds; zero fields take DefaultThresholds.
	Warn Thresholds
	// MaxString is the longest name or attribute value kept whole; longer
	// ones are cut at ingest and marked (0: DefaultMaxString).
	MaxString int
	// MaxStreams bounds the metric streams kept; 0 means DefaultMaxStreams.
	MaxStreams int
	// Pool, when set, is where the model takes span memory from and where
	// Recycle gives it back (replay's worlds share one).
	Pool *SpanPool
}

// Defaults used when a Config field is zero.
const (
	DefaultLinger    = 30 * time.Second
	DefaultRetain    = time.Hour
	DefaultMaxMemory = 512 << 20
	DefaultHeartbeat = time.Second
	// LostAfterHeartbeats is how many missed heartbeats make an in-flight span lost.
	LostAfterHeartbeats = 3
	// NoHeartbeatLostAfter is how long an in-flight span that its sender
	// does not refresh (sent unended, or a Logfire pending span) stays
	// running without a newer copy before it is shown lost. It is warned
	// about as in flight too long (--warn-inflight) long before.
	NoHeartbeatLostAfter = time.Hour
	// SchedNotMeasured is the Sched time of a span whose sender measured
	// busy and idle time but not time waiting for a CPU.
	SchedNotMeasured = -1
)
