package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/spantop/spantop/model"
)

// DefaultMaxMessage is the largest request accepted, in bytes, after
// decompression, on both gRPC and HTTP.
const DefaultMaxMessage = 64 << 20

// Config holds the receivers' settings.
type Config struct {
	// GRPCAddr is the OTLP/gRPC listen address; "" disables gRPC.
	GRPCAddr string
	// HTTPAddr is the OTLP/HTTP listen address; "" disables HTTP.
	HTTPAddr string
	// MaxMessage is the largest request in bytes; 0 means DefaultMaxMessage.
	MaxMessage int
	// MaxInflight bounds the bytes of requests being read and decoded at
	// once, on both receivers together (see InflightBound); 0 means
	// 2×MaxMessage. A request that does not fit is refused at once with a
	// retry delay.
	MaxInflight int64
	// Token, when set, is the bearer token every request must carry
	// (Authorization: Bearer <token>); others are refused UNAUTHENTICATED /
	// 401 and counted.
	Token string
	// TLSCert and TLSKey, when set, are PEM files: both receivers then
	// serve TLS only.
	TLSCert, TLSKey string
	// CORS lists the browser origins (besides loopback ones) whose OTLP/HTTP
	// requests are allowed; "*" allows any.
	CORS []string
}

// InflightBound is the in-flight bound spantop derives from its memory
// budget: half of it (at least 4 MiB), so that stored data and requests
// being read together stay within twice the budget.
func InflightBound(budget int64) int64 {
	return max(budget/2, 4<<20)
}

// Server runs the OTLP receivers: gRPC (traces, logs, metrics) and HTTP
// (/v1/traces, /v1/logs, /v1/metrics). Of logs and metrics it keeps what
// agentlib sends (execution-trace chunks, status records, runtime
// metrics); the rest is accepted and not kept, so an app exporting every
// signal gets no errors.
type Server struct {
	cfg      Config
	syms     *model.Symbols
	counters *model.Counters
	queue    BatchSink
	traces   TraceSink
	tapTo    Tap // the recorder and forwarders (tap.go); nil: none
	decoders sync.Pool
	inflight inflight

	mu       sync.Mutex
	started  bool
	stopped  bool
	grpcSrv  *grpc.Server
	httpSrv  *http.Server
	grpcAddr string
	httpAddr string
	wg       sync.WaitGroup
}

// NewServer returns a server that decodes into syms, counts rejected spans
// in c and queues batches on q (give q the same Counters: it counts the
// received and refused spans). Nothing listens until Start.
func NewServer(cfg Config, syms *model.Symbols, c *model.Counters, q *Queue) *Server {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = 2 * int64(cfg.MaxMessage)
	}
	if syms == nil {
		syms = model.NewSymbols()
	}
	if c == nil {
		c = new(model.Counters)
	}
	s := &Server{cfg: cfg, syms: syms, counters: c, queue: q}
	s.inflight.limit = cfg.MaxInflight
	return s
}

// ReadTraces hands the execution-trace chunks agentlib sends to sink (call
// it before Start). Without a sink such chunks are refused as bad requests.
func (s *Server) ReadTraces(sink TraceSink) { s.traces = sink }

// Start binds both listeners and starts serving. If a listener cannot be
// bound it closes what it opened and returns one error naming the address
// and the flag, such as
//
//	listen 127.0.0.1:4317 (--grpc): address already in use
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("ingest: server already started or shut down")
	}
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return err
	}
	var gl, hl net.Listener
	if s.cfg.GRPCAddr != "" {
		if gl, err = listen(s.cfg.GRPCAddr, "--grpc"); err != nil {
			return err
		}
	}
	if s.cfg.HTTPAddr != "" {
		if hl, err = listen(s.cfg.HTTPAddr, "--http"); err != nil {
			if gl != nil {
				_ = gl.Close() // the error that matters is the bind failure
			}
			return err
		}
	}
	s.started = true
	s.grpcSrv = grpc.NewServer(
		grpc.ForceServerCodecV2(rawCodec{}),
		grpc.MaxRecvMsgSize(s.cfg.MaxMessage),
		//lint:ignore SA1019 the only per-server decompressor; see gzipPassThrough
		grpc.RPCDecompressor(gzipPassThrough{}),
		grpc.UnknownServiceHandler(s.unknownGRPC),
	)
	s.registerGRPC(s.grpcSrv)
	s.httpSrv = &http.Server{
		Handler:           s.httpHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		// Nothing may print while the TUI owns the terminal.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	// Each port serves both protocols (split.go); TLS, when on, is done
	// there, before the split.
	for i, l := range []net.Listener{gl, hl} {
		if l == nil {
			continue
		}
		g, h := split(l, tlsCfg, i == 1, s.noteConn)
		s.wg.Go(func() { _ = s.grpcSrv.Serve(g) }) // returns when stopped
		s.wg.Go(func() { _ = s.httpSrv.Serve(h) }) // returns ErrServerClosed on Shutdown
	}
	if gl != nil {
		s.grpcAddr = gl.Addr().String()
	}
	if hl != nil {
		s.httpAddr = hl.Addr().String()
	}
	return nil
}

// tlsConfig loads --tls-cert and --tls-key; nil when TLS is off.
func (s *Server) tlsConfig() (*tls.Config, error) {
	switch {
	case s.cfg.TLSCert == "" && s.cfg.TLSKey == "":
		return nil, nil
	case s.cfg.TLSCert == "" || s.cfg.TLSKey == "":
		return nil, errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	// h2 is gRPC's (split.go); OTLP/HTTP over TLS is HTTP/1.1.
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}, nil
}

// listen binds addr and words a failure for the user: the address, the
// flag that sets it, and the reason without Go's "listen tcp …: bind:"
// prefix. The cause stays wrapped for errors.Is.
func listen(addr, flag string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err == nil {
		return l, nil
	}
	cause := err
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		cause = op.Err
		var se *os.SyscallError
		if errors.As(cause, &se) {
			cause = se.Err
		}
	}
	return nil, fmt.Errorf("listen %s (%s): %w", addr, flag, cause)
}

// GRPCAddr returns the address the gRPC receiver is bound to ("" if it is
// disabled or not started), with the real port when the config asked for :0.
func (s *Server) GRPCAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grpcAddr
}

// HTTPAddr is GRPCAddr for the HTTP receiver.
func (s *Server) HTTPAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.httpAddr
}

// Shutdown stops both receivers, letting requests in progress finish until
// ctx ends; then it closes the remaining connections. It is safe to call
// before Start and more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	g, h := s.grpcSrv, s.httpSrv
	s.mu.Unlock()

	var errs []error
	if h != nil {
		if err := h.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			_ = h.Close() // forced; the shutdown error is what we report
		}
	}
	if g != nil {
		done := make(chan struct{})
		go func() { g.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			g.Stop()
			<-done
			errs = append(errs, fmt.Errorf("grpc shutdown: %w", ctx.Err()))
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// IsLoopback reports whether a listen address (host:port) binds only this
// machine's loopback interface. An empty host binds every interface; a
// name other than localhost may resolve anywhere, so it counts as beyond.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
