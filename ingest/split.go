package ingest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// Each port serves both protocols (users mix up 4317 and 4318): a
// connection that opens with the HTTP/2 preface (or negotiates h2 over TLS)
// goes to the gRPC server, which serves it natively, at no cost per
// message; any other goes to the OTLP/HTTP server. The split happens once
// per connection, on its first bytes. Over TLS the split is by ALPN, and
// an h2 connection cannot be told apart before its first request: on the
// --grpc port it is gRPC's (natively); on the --http port net/http serves
// it and hands gRPC requests to the gRPC server (ServeHTTP). So an OTLP/HTTP
// client speaking HTTP/2 reaches only the --http port over TLS, and never
// with h2c prior knowledge.

// http2Preface opens every HTTP/2 connection (RFC 9113 §3.4).
const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// sniffTimeout bounds the wait for a connection's first bytes (and its TLS
// handshake).
const sniffTimeout = 10 * time.Second

// splitListener hands a listener's connections to two listeners by
// protocol. Closing both closes the one underneath.
type splitListener struct {
	base   net.Listener
	tls    *tls.Config
	h2HTTP bool // TLS h2 connections go to the HTTP server
	// onBad hears of connections that are neither HTTP nor gRPC (or fail
	// their TLS handshake): their client, first bytes and error.
	onBad   func(client string, head []byte, err error)
	grpc    *subListener
	http    *subListener
	mu      sync.Mutex
	closing int
}

// subListener is one side of a split: a net.Listener fed by the splitter.
type subListener struct {
	s      *splitListener
	conns  chan net.Conn
	done   chan struct{}
	once   sync.Once
	closed bool
}

func split(base net.Listener, tlsCfg *tls.Config, h2HTTP bool, onBad func(client string, head []byte, err error)) (grpcL, httpL net.Listener) {
	s := &splitListener{base: base, tls: tlsCfg, h2HTTP: h2HTTP, onBad: onBad}
	s.grpc = &subListener{s: s, conns: make(chan net.Conn), done: make(chan struct{})}
	s.http = &subListener{s: s, conns: make(chan net.Conn), done: make(chan struct{})}
	go s.accept()
	return s.grpc, s.http
}

func (s *splitListener) accept() {
	defer s.grpc.shut()
	defer s.http.shut()
	for {
		c, err := s.base.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Out of file descriptors, say: wait a little, as net/http does.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		go s.route(c)
	}
}

// route reads the connection's first bytes (after TLS) and hands it on.
func (s *splitListener) route(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(sniffTimeout))
	if s.tls != nil {
		tc := tls.Server(c, s.tls)
		if err := tc.Handshake(); err != nil {
			s.bad(c, nil, err)
			_ = c.Close()
			return
		}
		_ = c.SetDeadline(time.Time{})
		if tc.ConnectionState().NegotiatedProtocol == "h2" && !s.h2HTTP {
			s.grpc.deliver(tc)
		} else {
			s.http.deliver(tc)
		}
		return
	}
	var buf [len(http2Preface)]byte
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if !bytes.HasPrefix([]byte(http2Preface), buf[:n]) || err != nil {
			break
		}
	}
	_ = c.SetDeadline(time.Time{})
	s.bad(c, buf[:n], nil)
	pc := &peekedConn{Conn: c, head: buf[:n]}
	if n == len(buf) && string(buf[:]) == http2Preface {
		s.grpc.deliver(pc)
	} else {
		s.http.deliver(pc)
	}
}

// bad tells onBad of a connection's first bytes or handshake error.
func (s *splitListener) bad(c net.Conn, head []byte, err error) {
	if s.onBad != nil {
		s.onBad(c.RemoteAddr().String(), head, err)
	}
}

func (l *subListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *subListener) shut() { l.once.Do(func() { close(l.done) }) }

// Close stops this side; the listener underneath closes with the second.
func (l *subListener) Close() error {
	l.shut()
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	s.closing++
	if s.closing == 2 {
		return s.base.Close()
	}
	return nil
}

func (l *subListener) Addr() net.Addr { return l.s.base.Addr() }

// peekedConn replays the bytes read to route the connection.
type peekedConn struct {
	net.Conn
	head []byte
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
