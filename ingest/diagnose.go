package ingest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/spantop/spantop/model"
)

// This file makes bad requests visible: each is counted by reason and kept
// among the last few with its client address (model.BadRequests, shown on
// screen and written to --log), and the common mistakes get a sentence
// that says what to change.

// noteBad counts a bad request.
func (s *Server) noteBad(client string, reason model.BadReason, detail, hint string) {
	if a := s.HTTPAddr(); a != "" {
		hint = strings.ReplaceAll(hint, "host:4318", a) // the address to use, not an example
	}
	s.counters.Bad.Add(model.BadRequest{Reason: reason, Client: client, Detail: validMessage(clipDetail(detail)), Hint: hint})
}

// noteFailure counts an export's failure when the client caused it (a
// busy or closing spantop is the server's state, counted elsewhere).
func (s *Server) noteFailure(client string, err error) {
	var tl tooLarge
	var un unsupported
	switch {
	case isBadRequest(err):
		s.noteBad(client, model.BadBody, err.Error(), "")
	case errors.As(err, &tl):
		s.noteBad(client, model.BadTooLarge, err.Error(), fmt.Sprintf("send smaller batches (the exporter's batch size) or start spantop with a larger --max-message (now %d bytes)", s.cfg.MaxMessage))
	case errors.As(err, &un):
		s.noteBad(client, model.BadEncoding, err.Error(), "set the exporter's compression to gzip or none (OTEL_EXPORTER_OTLP_COMPRESSION)")
	}
}

// clipDetail keeps a detail short enough for one line of the screen.
func clipDetail(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// signalPaths are the OTLP/HTTP paths.
var signalPaths = [...]string{"/v1/traces", "/v1/logs", "/v1/metrics"}

// pathHint says what to change for a request to a path spantop does not
// serve.
func pathHint(path string) string {
	for _, p := range signalPaths {
		if strings.Count(path, p) > 1 {
			return fmt.Sprintf("%s was added twice: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (and _LOGS_, _METRICS_) is the full URL, used as given; set it to http://host:4318%s, or set only OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318", p, p)
		}
	}
	for _, p := range signalPaths {
		if strings.HasSuffix(path, p) && path != p {
			return fmt.Sprintf("the URL has a prefix before %s: OTEL_EXPORTER_OTLP_ENDPOINT is the base URL (http://host:4318, the SDK appends %s); a per-signal variable takes the full URL (http://host:4318%s)", p, p, p)
		}
	}
	if path == "" || path == "/" || path == "/v1" || path == "/v1/" {
		return "a base URL was used as a signal URL: set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://host:4318/v1/traces, or OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318 (the SDK adds /v1/traces)"
	}
	if strings.Contains(path, "/api/traces") || strings.Contains(path, "/api/v2/spans") || strings.Contains(path, "zipkin") {
		return "this is a Jaeger or Zipkin path: spantop takes OTLP only; use an OTLP exporter with http://host:4318/v1/traces"
	}
	return "spantop takes OTLP/HTTP POSTs to /v1/traces, /v1/logs and /v1/metrics: set OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318"
}

// contentTypeHint says what to change for a content type spantop does not take.
func contentTypeHint(ct string) string {
	switch {
	case ct == "":
		return "send Content-Type application/x-protobuf or application/json (an OTLP exporter does this; is this an OTLP client?)"
	case strings.HasPrefix(ct, "application/grpc"):
		return "a gRPC request over HTTP/1.1: use port 4317 with an http:// URL for OTLP/gRPC, or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"
	case strings.Contains(ct, "thrift"):
		return "Jaeger Thrift is not OTLP: use an OTLP exporter (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)"
	}
	return "set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json), which send application/x-protobuf (or application/json)"
}

// checkHTTP answers a request OTLP/HTTP does not allow (405 or 415) and
// counts it; it reports false then.
func (s *Server) checkHTTP(w http.ResponseWriter, r *http.Request) (encoding, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		msg := fmt.Sprintf("method %s not allowed: OTLP/HTTP takes POST", r.Method)
		http.Error(w, msg, http.StatusMethodNotAllowed)
		s.noteBad(r.RemoteAddr, model.BadMethod, r.Method+" "+r.URL.Path, "OTLP/HTTP exporters POST; a GET is a browser, a health check or a scraper pointed at spantop")
		return 0, false
	}
	enc, ok := contentType(r.Header.Get("Content-Type"))
	if !ok {
		ct := r.Header.Get("Content-Type")
		http.Error(w, fmt.Sprintf("unsupported content type %q: use %s or %s", ct, ctProtobuf, ctJSON), http.StatusUnsupportedMediaType)
		s.noteBad(r.RemoteAddr, model.BadContentType, fmt.Sprintf("content type %q on %s", ct, r.URL.Path), contentTypeHint(ct))
	}
	return enc, ok
}

// notFound answers a path other than the signal paths, with what to change.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	hint := pathHint(r.URL.Path)
	http.Error(w, fmt.Sprintf("404 %s: not an OTLP path; %s", r.URL.Path, hint), http.StatusNotFound)
	s.noteBad(r.RemoteAddr, model.BadPath, r.Method+" "+r.URL.Path, hint)
}

// unknownGRPC answers a gRPC method other than the OTLP Exports.
func (s *Server) unknownGRPC(_ any, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	hint := "spantop serves the OTLP services (opentelemetry.proto.collector.{trace,logs,metrics}.v1); use an OTLP exporter"
	if strings.Contains(method, "jaeger") || strings.Contains(method, "Jaeger") {
		hint = "a Jaeger gRPC client: spantop takes OTLP only; use an OTLP exporter"
	}
	s.noteBad(grpcPeer(stream), model.BadPath, "gRPC "+method, hint)
	return status.Errorf(codes.Unimplemented, "unknown method %s: %s", method, hint)
}

func grpcPeer(stream grpc.ServerStream) string {
	if p, ok := peer.FromContext(stream.Context()); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

// protocolHint recognises the first bytes of a connection that is neither
// HTTP nor gRPC; "" when they look like HTTP (or nothing arrived).
func protocolHint(head []byte) (detail, hint string, bad bool) {
	if len(head) == 0 || looksHTTP(head) {
		return "", "", false
	}
	if len(head) >= 3 && head[0] == 0x16 && head[1] == 0x03 {
		return "a TLS handshake", "the client speaks TLS (https://) to a plain port: use http:// in the endpoint (OTEL_EXPORTER_OTLP_INSECURE=true for gRPC), or start spantop with --tls-cert and --tls-key", true
	}
	return fmt.Sprintf("first bytes %q", head[:min(len(head), 8)]), "neither HTTP nor gRPC arrived: point an OTLP exporter at this port (gRPC :4317, HTTP :4318)", true
}

// looksHTTP reports whether head can open an HTTP/1 request ("POST /…")
// or the HTTP/2 preface.
func looksHTTP(head []byte) bool {
	for i, c := range head {
		switch {
		case c == ' ':
			return i > 0
		case c < 'A' || c > 'Z':
			return false
		}
	}
	return true // a method still arriving
}

// noteConn counts a connection whose first bytes are neither HTTP nor
// gRPC, or whose TLS handshake failed.
func (s *Server) noteConn(client string, head []byte, err error) {
	if err != nil {
		if errors.Is(err, io.EOF) {
			return // a port check: connected and left
		}
		s.noteBad(client, model.BadProtocol, "TLS handshake: "+err.Error(), "spantop serves TLS here: use https:// in the endpoint (and trust its certificate), or drop --tls-cert to serve plain http://")
		return
	}
	if detail, hint, bad := protocolHint(head); bad {
		s.noteBad(client, model.BadProtocol, detail, hint)
	}
}
