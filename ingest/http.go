package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Content types of OTLP/HTTP.
const (
	ctProtobuf = "application/x-protobuf"
	ctJSON     = "application/json"
)

func (s *Server) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/traces", s.handleExport(s.httpTraces))
	mux.HandleFunc("/v1/logs", s.handleExport(func(r *http.Request, body []byte, enc encoding) (proto.Message, error) {
		return logsResponse(s.exportLogs(r.Context(), body, enc == encJSON))
	}))
	mux.HandleFunc("/v1/metrics", s.handleExport(func(r *http.Request, body []byte, enc encoding) (proto.Message, error) {
		return metricsResponse(s.exportMetrics(r.Context(), body, enc == encJSON))
	}))
	return mux
}

// encoding is the request's (and so the response's) content type.
type encoding uint8

const (
	encProtobuf encoding = iota
	encJSON
)

func (e encoding) contentType() string {
	if e == encJSON {
		return ctJSON
	}
	return ctProtobuf
}

// checkRequest answers 405 or 415 itself and reports false when the request
// is not one OTLP/HTTP allows.
func checkRequest(w http.ResponseWriter, r *http.Request) (encoding, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, fmt.Sprintf("method %s not allowed: OTLP/HTTP takes POST", r.Method), http.StatusMethodNotAllowed)
		return 0, false
	}
	ct := r.Header.Get("Content-Type")
	switch ct {
	case ctProtobuf:
		return encProtobuf, true
	case ctJSON:
		return encJSON, true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		switch mt {
		case ctProtobuf, "application/protobuf":
			return encProtobuf, true
		case ctJSON:
			return encJSON, true
		}
	}
	http.Error(w, fmt.Sprintf("unsupported content type %q: use %s or %s", ct, ctProtobuf, ctJSON), http.StatusUnsupportedMediaType)
	return 0, false
}

// httpError is a failure with the HTTP status to answer.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf keeps one huge request from pinning its buffer in the pool.
const maxPooledBuf = 8 << 20

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuf {
		b.Reset()
		bufPool.Put(b)
	}
}

var gzipPool sync.Pool

// readBody reads the whole body into buf, gunzipping it if needed, and
// refuses more than max bytes before or after decompression.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) error {
	max := s.cfg.MaxMessage
	tooBig := &httpError{http.StatusRequestEntityTooLarge,
		fmt.Sprintf("request body larger than the limit of %d bytes", max)}
	if r.ContentLength > int64(max) {
		return tooBig
	}
	body := http.MaxBytesReader(w, r.Body, int64(max))
	var src io.Reader = body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		if r.ContentLength > 0 {
			buf.Grow(int(r.ContentLength))
		}
	case "gzip":
		zr, _ := gzipPool.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(body)
		} else {
			err = zr.Reset(body)
		}
		if err != nil {
			return gzipError(err)
		}
		defer gzipPool.Put(zr)
		src = io.LimitReader(zr, int64(max)+1)
	default:
		return &httpError{http.StatusUnsupportedMediaType,
			fmt.Sprintf("unsupported Content-Encoding %q: use gzip or none", enc)}
	}
	if _, err := buf.ReadFrom(src); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooBig
		}
		if src != io.Reader(body) {
			return gzipError(err)
		}
		return &httpError{http.StatusBadRequest, fmt.Sprintf("reading request body: %v", err)}
	}
	if buf.Len() > max {
		return tooBig
	}
	return nil
}

func gzipError(err error) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf("invalid gzip body: %v", err)}
}

// handleExport checks and reads an export request for any signal and hands
// the body to export, whose answer (or error) it writes back.
func (s *Server) handleExport(export func(r *http.Request, body []byte, enc encoding) (proto.Message, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		enc, ok := checkRequest(w, r)
		if !ok {
			return
		}
		buf := bufPool.Get().(*bytes.Buffer)
		defer putBuf(buf)
		if err := s.readBody(w, r, buf); err != nil {
			writeError(w, enc, err)
			return
		}
		resp, err := export(r, buf.Bytes(), enc)
		if err != nil {
			writeError(w, enc, err)
			return
		}
		writeMessage(w, enc, http.StatusOK, resp)
	}
}

func (s *Server) httpTraces(r *http.Request, body []byte, enc encoding) (proto.Message, error) {
	rejected, msg, err := s.exportTraces(r.Context(), body, enc == encJSON)
	if err != nil {
		return nil, err
	}
	resp := &coltrace.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltrace.ExportTracePartialSuccess{
			RejectedSpans: int64(rejected),
			ErrorMessage:  msg,
		}
	}
	return resp, nil
}

// writeError answers with the status OTLP/HTTP asks for and a google.rpc.Status
// body in the request's encoding.
func writeError(w http.ResponseWriter, enc encoding, err error) {
	code, gcode := http.StatusInternalServerError, codes.Internal
	var he *httpError
	switch {
	case errors.As(err, &he):
		code = he.code
		switch code {
		case http.StatusRequestEntityTooLarge:
			gcode = codes.ResourceExhausted
		case http.StatusUnsupportedMediaType:
			gcode = codes.Unimplemented
		default:
			gcode = codes.InvalidArgument
		}
	case isBadRequest(err):
		code, gcode = http.StatusBadRequest, codes.InvalidArgument
	case errors.Is(err, ErrQueueFull):
		code, gcode = http.StatusTooManyRequests, codes.ResourceExhausted
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter.Seconds())))
		err = errors.New("spantop is busy (ingest queue full); retry later")
	case errors.Is(err, ErrQueueClosed):
		code, gcode = http.StatusServiceUnavailable, codes.Unavailable
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter.Seconds())))
		err = errors.New("spantop is shutting down")
	}
	writeMessage(w, enc, code, &spb.Status{Code: int32(gcode), Message: err.Error()})
}

func writeMessage(w http.ResponseWriter, enc encoding, code int, m proto.Message) {
	var b []byte
	var err error
	if enc == encJSON {
		b, err = protojson.Marshal(m)
	} else {
		b, err = proto.Marshal(m)
	}
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b) // the client may be gone; nothing to do about it
}
