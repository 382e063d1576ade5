package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
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
	// QueueSpans is the queue capacity the caller should pass to NewQueue;
	// 0 means DefaultQueueSpans. The Server itself uses the Queue it is given.
	QueueSpans int
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
	if cfg.QueueSpans <= 0 {
		cfg.QueueSpans = DefaultQueueSpans
	}
	if syms == nil {
		syms = model.NewSymbols()
	}
	if c == nil {
		c = new(model.Counters)
	}
	return &Server{cfg: cfg, syms: syms, counters: c, queue: q}
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
	var gl, hl net.Listener
	var err error
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
	if gl != nil {
		s.grpcSrv = grpc.NewServer(
			grpc.ForceServerCodecV2(rawCodec{}),
			grpc.MaxRecvMsgSize(s.cfg.MaxMessage),
		)
		s.registerGRPC(s.grpcSrv)
		s.grpcAddr = gl.Addr().String()
		s.wg.Go(func() { _ = s.grpcSrv.Serve(gl) }) // returns when stopped
	}
	if hl != nil {
		s.httpSrv = &http.Server{
			Handler:           s.httpHandler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       2 * time.Minute,
			IdleTimeout:       2 * time.Minute,
			// Nothing may print while the TUI owns the terminal.
			ErrorLog: log.New(io.Discard, "", 0),
		}
		s.httpAddr = hl.Addr().String()
		s.wg.Go(func() { _ = s.httpSrv.Serve(hl) }) // returns ErrServerClosed on Shutdown
	}
	return nil
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
