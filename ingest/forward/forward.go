// Package forward passes what spantop receives on to other OTLP endpoints
// (a Collector, another spantop), unchanged, so that spantop can sit in
// front of an existing pipeline. Each target has its own bounded queue and
// sender; a full queue or a target that stays down drops requests, counted
// per target, and never holds up ingest. agentlib's own data (in-flight
// snapshots, execution traces, runtime metrics) is for spantop only and is
// left out unless All is set.
package forward

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/ingest/tapqueue"
)

// DefaultQueueBytes bounds the requests waiting for one target.
const DefaultQueueBytes = 32 << 20

// Options configure a Target.
type Options struct {
	// All forwards agentlib's own data too.
	All bool
	// QueueBytes bounds the requests waiting (0: DefaultQueueBytes).
	QueueBytes int64
	// GiveUpAfter is how long a request is retried before it is dropped
	// (0: 30s).
	GiveUpAfter time.Duration
	// Timeout bounds one attempt (0: 10s).
	Timeout time.Duration
}

// Stats are a target's figures.
type Stats struct {
	Target string
	// Sent requests were accepted by the target; Dropped were not (queue
	// full, given up, refused as bad); Retries counts attempts repeated.
	Sent, Dropped, Retries int64
	// Queued is how many requests wait.
	Queued int
	// LastError is the latest failure ("" if none yet).
	LastError string
}

// sender sends one request; retry says whether the failure is worth
// another attempt (and after how long at least, 0 for the backoff's own).
type sender interface {
	send(ctx context.Context, sig ingest.Signal, pb []byte) (retryAfter time.Duration, retry bool, err error)
	close() error
}

// Target forwards to one endpoint. It is an ingest.Tap.
type Target struct {
	name string
	opts Options
	s    sender

	queue  *tapqueue.Queue
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{} // closed by Close; the queue never is (a late Received must not panic)
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once

	sent, retries atomic.Int64
	lastErr       atomic.Pointer[string]
}

var _ ingest.Tap = (*Target)(nil)

// New parses a --forward URL and starts its sender: http://host:port (or
// https://) is OTLP/HTTP with protobuf; grpc://host:port or a bare
// host:port is OTLP/gRPC. Both gzip.
func New(rawURL string, opts Options) (*Target, error) {
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = DefaultQueueBytes
	}
	if opts.GiveUpAfter <= 0 {
		opts.GiveUpAfter = 30 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	s, name, err := newSender(rawURL, opts.Timeout)
	if err != nil {
		return nil, fmt.Errorf("--forward %s: %w", rawURL, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{
		name: name, opts: opts, s: s,
		queue: tapqueue.New(4096, opts.QueueBytes),
		ctx:   ctx, cancel: cancel,
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go t.run()
	return t, nil
}

func newSender(raw string, timeout time.Duration) (sender, string, error) {
	if !strings.Contains(raw, "://") {
		if _, _, err := net.SplitHostPort(raw); err != nil {
			return nil, "", fmt.Errorf("use http://host:4318, grpc://host:4317 or host:port: %w", err)
		}
		s, err := newGRPC(raw)
		return s, raw, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", err
	}
	if u.Host == "" {
		return nil, "", errors.New("no host in the URL")
	}
	switch u.Scheme {
	case "grpc":
		s, err := newGRPC(u.Host)
		return s, u.Host, err
	case "http", "https":
		return newHTTP(u, timeout), u.Host, nil
	}
	return nil, "", fmt.Errorf("unknown scheme %q: use http, https or grpc", u.Scheme)
}

// Received queues a copy of the request, or counts it dropped when the
// queue is full. It never blocks.
func (t *Target) Received(sig ingest.Signal, body []byte, json bool, _ time.Time) {
	if t.closed.Load() {
		return
	}
	t.queue.Offer(sig, body, json, 0)
}

func (t *Target) run() {
	defer close(t.done)
	for {
		select {
		case it := <-t.queue.C():
			t.forward(it)
			t.queue.Done(it)
		case <-t.stop:
			for {
				select {
				case it := <-t.queue.C():
					t.forward(it)
					t.queue.Done(it)
				default:
					return
				}
			}
		}
	}
}

// forward sends one request, retrying with backoff while the target says
// to, until GiveUpAfter.
func (t *Target) forward(it tapqueue.Item) {
	pb, err := it.Protobuf()
	if err != nil {
		t.fail(err)
		return
	}
	if !t.opts.All {
		var keep bool
		if pb, keep, err = withoutAgentData(it.Sig, pb); err != nil {
			t.fail(err)
			return
		}
		if !keep {
			return // nothing but agentlib's data
		}
	}
	deadline := time.Now().Add(t.opts.GiveUpAfter)
	backoff := 100 * time.Millisecond
	for {
		after, retry, err := t.s.send(t.ctx, it.Sig, pb)
		if err == nil {
			t.sent.Add(1)
			return
		}
		if !retry || t.ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			t.fail(err)
			return
		}
		t.note(err)
		t.retries.Add(1)
		wait := max(backoff, after)
		select {
		case <-time.After(wait):
		case <-t.ctx.Done():
			t.fail(err)
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (t *Target) fail(err error) {
	t.queue.Drop()
	t.note(err)
}

func (t *Target) note(err error) {
	s := err.Error()
	t.lastErr.Store(&s)
}

// Name is the target as the header shows it (host:port).
func (t *Target) Name() string { return t.name }

// Stats returns the target's figures; any goroutine may call it.
func (t *Target) Stats() Stats {
	st := Stats{Target: t.name, Sent: t.sent.Load(), Dropped: t.queue.Dropped(), Retries: t.retries.Load(), Queued: t.queue.Len()}
	if e := t.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// String is the header's summary of a target.
func (st Stats) String() string {
	s := fmt.Sprintf("→%s sent %d", st.Target, st.Sent)
	if st.Dropped > 0 {
		s += fmt.Sprintf(" dropped %d", st.Dropped)
	}
	if st.Queued > 0 && st.Retries > 0 {
		s += fmt.Sprintf(" retrying (%d waiting)", st.Queued)
	}
	return s
}

// Close stops taking requests and sends those queued until ctx ends; then
// it gives up on the rest (counted as dropped).
func (t *Target) Close(ctx context.Context) error {
	t.once.Do(func() {
		t.closed.Store(true)
		close(t.stop)
	})
	select {
	case <-t.done:
	case <-ctx.Done():
		t.cancel()
		<-t.done
	}
	t.cancel()
	return t.s.close()
}
