package model

import "strings"

// Severity is an OTLP log severity number (1…24; 0 unspecified). Each
// group of four is one level: TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16,
// ERROR 17–20, FATAL 21–24.
type Severity uint8

// The first severity number of each level.
const (
	SevUnspecified Severity = 0
	SevTrace       Severity = 1
	SevDebug       Severity = 5
	SevInfo        Severity = 9
	SevWarn        Severity = 13
	SevError       Severity = 17
	SevFatal       Severity = 21
	sevMax         Severity = 24
)

var sevLevels = [...]string{"unspecified", "trace", "debug", "info", "warn", "error", "fatal"}

// Level returns the level's name: trace, debug, info, warn, error, fatal,
// or unspecified.
func (s Severity) Level() string {
	if s == 0 || s > sevMax {
		return sevLevels[0]
	}
	return sevLevels[1+(s-1)/4]
}

// IsError reports whether the severity is ERROR or worse.
func (s Severity) IsError() bool { return s >= SevError && s <= sevMax }

// SeverityOf parses a level name or a severity text as SDKs write it
// (WARN, warning, Error2, E, …); ok is false for text it does not know.
func SeverityOf(text string) (Severity, bool) {
	t := strings.ToLower(strings.TrimRight(text, "1234"))
	switch t {
	case "trace", "t":
		return SevTrace, true
	case "debug", "d", "dbg":
		return SevDebug, true
	case "info", "i", "information", "notice":
		return SevInfo, true
	case "warn", "w", "warning":
		return SevWarn, true
	case "error", "e", "err":
		return SevError, true
	case "fatal", "f", "critical", "crit", "panic", "emergency", "alert":
		return SevFatal, true
	}
	return 0, false
}

// LogRec is one decoded OTLP log record. Like SpanRec it is compact:
// strings are Syms, and the body and attributes are one byte string.
type LogRec struct {
	// Time is the record's time_unix_nano, or its observed time when that
	// is 0 (Unix ns).
	Time    int64
	TraceID TraceID
	SpanID  SpanID
	// Severity is the severity number; when the sender gave only a text
	// the decoder derives the number from it.
	Severity Severity
	SevText  Sym
	Scope    Sym
	Event    Sym // event_name
	// Res indexes Batch.Resources.
	Res uint32
	// Data is the body (BodyLen bytes: a string as received, any other
	// value rendered JSON-like) followed by the attribute blob of NumAttrs
	// attributes. The records of a batch may share one buffer.
	Data     []byte
	BodyLen  uint32
	NumAttrs uint16
	// Truncated marks a body cut at ingest (over-long bodies are cut).
	Truncated bool
}

// LogsPerSpanLimit bounds how many logs a span's details list (the newest).
const LogsPerSpanLimit = 1000

// AppendTo appends the blob written so far to dst, for records that keep
// their attributes in one buffer with other bytes (a log's body).
func (w *AttrWriter) AppendTo(dst []byte) []byte { return append(dst, w.buf...) }
