package ingest

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
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
	for _, sig := range s.signals() {
		mux.HandleFunc(sig.path, s.handleExport(sig))
	}
	mux.HandleFunc("/", s.notFound)
	otlp := s.cors(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// gRPC over TLS h2 on the --http port (split.go).
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			s.grpcSrv.ServeHTTP(w, r)
			return
		}
		otlp.ServeHTTP(w, r)
	})
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

// contentType maps a Content-Type to its encoding; false when OTLP/HTTP
// does not allow it.
func contentType(ct string) (encoding, bool) {
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
	return 0, false
}

// handleExport checks and reads an export request of sig and writes back
// its answer (or error).
func (s *Server) handleExport(sig signal) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		enc, ok := s.checkHTTP(w, r)
		if !ok {
			return
		}
		fail := func(err error) {
			s.noteFailure(r.RemoteAddr, err)
			writeError(w, enc, err)
		}
		if !s.httpAuthorized(r) {
			writeError(w, enc, s.refused(errUnauthenticated))
			return
		}
		res := reservation{f: &s.inflight}
		defer res.release()
		gzipped, err := contentEncoding(r)
		if err != nil {
			fail(err)
			return
		}
		raw, err := s.readBody(w, r, &res)
		if err != nil {
			fail(s.refused(err))
			return
		}
		defer putBuf(raw, &res)
		resp, err := s.serve(r.Context(), &sig, raw, gzipped, enc == encJSON, &res)
		if err != nil {
			fail(err)
			return
		}
		writeMessage(w, enc, http.StatusOK, resp)
	}
}

func contentEncoding(r *http.Request) (gzipped bool, err error) {
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		return false, nil
	case "gzip":
		return true, nil
	default:
		return false, unsupported{fmt.Sprintf("unsupported Content-Encoding %q: use gzip or none", enc)}
	}
}

// readBody reads the body as sent (still compressed, if it is) into a
// pooled buffer reserved in res, refusing more than the message limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, res *reservation) ([]byte, error) {
	max := s.cfg.MaxMessage
	if r.ContentLength > int64(max) {
		return nil, tooLargeBody(max)
	}
	hint := 0
	if r.ContentLength > 0 {
		hint = int(r.ContentLength)
	}
	b, err := readCapped(http.MaxBytesReader(w, r.Body, int64(max)), hint, max, res)
	if err != nil {
		var mbe *http.MaxBytesError
		var tl tooLarge
		switch {
		case errors.As(err, &mbe):
			return nil, tooLargeBody(max)
		case errors.As(err, &tl), errors.Is(err, errBusy):
			return nil, err
		}
		return nil, badRequest{fmt.Errorf("reading request body: %w", err)}
	}
	return b, nil
}

// httpAuthorized checks the bearer token, when one is required.
func (s *Server) httpAuthorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	for _, v := range r.Header.Values("Authorization") {
		if s.tokenMatches(v) {
			return true
		}
	}
	return false
}

// writeError answers with classify's status and a google.rpc.Status body
// in the request's encoding.
func writeError(w http.ResponseWriter, enc encoding, err error) {
	f := classify(err)
	if f.retry {
		w.Header().Set("Retry-After", retryAfterHeader)
	}
	if f.http == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="spantop"`)
	}
	writeMessage(w, enc, f.http, &spb.Status{Code: int32(f.code), Message: f.msg})
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
