package ingest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// This file maps every failure of an export to what the client is told,
// once for both protocols (as the Collector's otlpreceiver does in
// internal/errors): bad data is InvalidArgument / 400 and not retried; a
// busy or closing spantop is RESOURCE_EXHAUSTED / 429 or UNAVAILABLE / 503
// with a retry delay, which OTLP clients honour.

// badRequest marks an error caused by what the client sent: gRPC
// InvalidArgument, HTTP 400.
type badRequest struct{ err error }

func (e badRequest) Error() string { return e.err.Error() }
func (e badRequest) Unwrap() error { return e.err }

func isBadRequest(err error) bool {
	var br badRequest
	return errors.As(err, &br)
}

// tooLarge is a request over the size limit: not retryable, as the same
// request would be refused again.
type tooLarge struct{ msg string }

func (e tooLarge) Error() string { return e.msg }

// unsupported is a request in a form spantop does not take (HTTP 415).
type unsupported struct{ msg string }

func (e unsupported) Error() string { return e.msg }

// errBusy refuses a request at once because the bytes of the requests
// already being read and decoded fill the in-flight bound; the client is
// asked to retry.
var errBusy = errors.New("spantop is busy (requests in flight fill its memory bound); retry later")

// errUnauthenticated refuses a request without the bearer token.
var errUnauthenticated = errors.New("missing or wrong bearer token (send Authorization: Bearer <token>)")

// RetryAfter is the delay a refused client is asked to wait (gRPC RetryInfo,
// HTTP Retry-After).
const RetryAfter = time.Second

// failure is what a client is told about an error.
type failure struct {
	code  codes.Code
	http  int
	msg   string
	retry bool // RetryInfo / Retry-After
}

// classify maps an export error to its answer.
func classify(err error) failure {
	f := classifyRaw(err)
	f.msg = validMessage(f.msg)
	return f
}

// validMessage makes s fit a protobuf string field (google.rpc.Status's
// message, partial success's error_message), which must be UTF-8: an error
// may quote the client's bytes.
func validMessage(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func classifyRaw(err error) failure {
	var tl tooLarge
	var un unsupported
	switch {
	case isBadRequest(err):
		return failure{codes.InvalidArgument, http.StatusBadRequest, err.Error(), false}
	case errors.As(err, &tl):
		return failure{codes.ResourceExhausted, http.StatusRequestEntityTooLarge, err.Error(), false}
	case errors.As(err, &un):
		return failure{codes.Unimplemented, http.StatusUnsupportedMediaType, err.Error(), false}
	case errors.Is(err, errUnauthenticated):
		return failure{codes.Unauthenticated, http.StatusUnauthorized, err.Error(), false}
	case errors.Is(err, errBusy):
		return failure{codes.ResourceExhausted, http.StatusTooManyRequests, err.Error(), true}
	case errors.Is(err, ErrQueueFull):
		return failure{codes.ResourceExhausted, http.StatusTooManyRequests, "spantop is busy (ingest queue full); retry later", true}
	case errors.Is(err, ErrQueueClosed):
		return failure{codes.Unavailable, http.StatusServiceUnavailable, "spantop is shutting down", true}
	}
	return failure{codes.Internal, http.StatusInternalServerError, err.Error(), false}
}

var retryInfo = &errdetails.RetryInfo{RetryDelay: durationpb.New(RetryAfter)}

// retryAfterHeader is Retry-After's value, in whole seconds.
var retryAfterHeader = strconv.Itoa(int(RetryAfter.Seconds()))

// grpcError is classify's answer as a gRPC status.
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	f := classify(err)
	if !f.retry {
		return status.Error(f.code, f.msg)
	}
	st, derr := status.New(f.code, f.msg).WithDetails(retryInfo)
	if derr != nil {
		return status.Error(f.code, fmt.Sprintf("%s (%v)", f.msg, derr))
	}
	return st.Err()
}
