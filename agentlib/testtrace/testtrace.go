// Package testtrace is what `spantop test` and the spantoptest helper agree
// on, so that spans made inside a test binary join the span spantop made
// for their test.
//
// spantop test runs `go test -json` with TRACEPARENT (the OpenTelemetry
// environment carrier) naming the run's root span, and RunEnv holding the
// same trace ID. It derives each package's and test's span ID from the
// trace ID, the package path and the test's name with SpanID; a test
// binary derives the same ID for its test and parents its spans on it.
package testtrace

import (
	"crypto/sha256"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// RunEnv holds, in the environment of a test binary run by spantop test,
// the hex trace ID of the run (the one TRACEPARENT names). Its presence
// says that test span IDs follow SpanID.
const RunEnv = "SPANTOP_TEST_RUN"

// SpanID is the span ID of test (a name as go test reports it, e.g.
// "TestA/sub_case") of package pkg (its import path) in run; test ""
// is the package's span.
func SpanID(run trace.TraceID, pkg, test string) trace.SpanID {
	h := sha256.New()
	h.Write(run[:])
	h.Write([]byte(pkg))
	h.Write([]byte{0})
	h.Write([]byte(test))
	var id trace.SpanID
	copy(id[:], h.Sum(nil))
	if !id.IsValid() {
		id[7] = 1 // all-zero IDs are invalid
	}
	return id
}

// Parent is the name of test's parent test, "" for a top-level test.
func Parent(test string) string {
	if i := strings.LastIndexByte(test, '/'); i >= 0 {
		return test[:i]
	}
	return ""
}
