// Package agentlib will be imported by a Go application observed with
// spantop. It is a placeholder: nothing is implemented yet, and importing it
// does nothing.
//
// The plan (DESIGN.md §5): agentlib will send in-flight span snapshots and
// heartbeats, the Go execution trace (runtime/trace) and runtime metrics
// over OTLP to spantop, so that spantop can show spans before they end and
// goroutines with their busy, scheduled and idle time. It will not import
// spantop's other packages and will stay light for the app that imports it.
//
// Until then, point any OpenTelemetry SDK at spantop with a plain OTLP
// exporter; `spantop demo` carries a small in-flight snapshot processor of
// its own (package demo) that follows the same wire convention.
package agentlib
