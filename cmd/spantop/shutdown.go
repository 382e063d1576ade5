package main

import (
	"context"
	"fmt"
	"log"
	"time"
)

// shutdownBudget bounds the whole ordered shutdown, so that a signal ends
// spantop within 2 s (see signalExitWait) with the terminal restored.
const shutdownBudget = 1500 * time.Millisecond

// shutdownStep is one part of spantop's ordered shutdown. stop gets a
// context that ends after wait, or when the shutdown's budget is spent,
// whichever is first; a step must return soon after its context ends.
type shutdownStep struct {
	name string
	wait time.Duration
	stop func(ctx context.Context) error
}

// shutdownPlan runs steps in order within one budget. The order is the
// data flow's: what produces data stops before what carries and stores
// it, so nothing received is lost on the way out.
type shutdownPlan struct {
	steps  []shutdownStep
	budget time.Duration
	log    *log.Logger
}

func (p *shutdownPlan) add(name string, wait time.Duration, stop func(ctx context.Context) error) {
	p.steps = append(p.steps, shutdownStep{name: name, wait: wait, stop: stop})
}

// run runs every step, even after the budget is spent (a step then gets
// an ended context and must only release what it holds).
func (p *shutdownPlan) run() {
	deadline := time.Now().Add(p.budget)
	for _, s := range p.steps {
		ctx, cancel := context.WithDeadline(context.Background(), minTime(deadline, time.Now().Add(s.wait)))
		start := time.Now()
		err := s.stop(ctx)
		cancel()
		took := time.Since(start)
		switch {
		case err != nil:
			p.log.Printf("shutdown: %s: %v (%v)", s.name, err, took.Round(time.Millisecond))
		case took > 50*time.Millisecond:
			p.log.Printf("shutdown: %s took %v", s.name, took.Round(time.Millisecond))
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// atStop adds a step to the shutdown, run once the receivers have stopped
// (nothing more arrives) and before the model's writer stops: where a
// recorder flushes what it holds. Steps run in the order they were added.
func (m *Main) atStop(name string, wait time.Duration, stop func(ctx context.Context) error) {
	m.flushes = append(m.flushes, shutdownStep{name: name, wait: wait, stop: stop})
}

// shutdown stops everything Run started, in the data flow's order, within
// shutdownBudget: the workload (demo or tests; it flushes its last spans while the
// receivers still listen), the receivers (clients in flight get
// UNAVAILABLE once their grace is over), the flushes, the trace reader
// (its workers queue batches), the queue, the model's writer, the log.
func (m *Main) shutdown(stopDemo context.CancelFunc, demoDone <-chan error, stopWriter context.CancelFunc, writerDone <-chan struct{}) {
	p := shutdownPlan{budget: shutdownBudget, log: m.Log}
	p.add("workload", demoStopWait, func(ctx context.Context) error {
		if m.child != nil {
			m.child.stop(ctx)
		}
		stopDemo()
		if demoDone == nil {
			return nil
		}
		select {
		case err := <-demoDone:
			return err
		case <-ctx.Done():
			return fmt.Errorf("still flushing; not waiting: %w", ctx.Err())
		}
	})
	p.add("receivers", serverStopWait, m.Server.Shutdown)
	p.add("recording and forwarding", serverStopWait, func(ctx context.Context) error {
		m.closeAround(ctx)
		return nil
	})
	p.steps = append(p.steps, m.flushes...)
	p.add("trace reader", 0, func(context.Context) error { return m.Traces.Close() })
	p.add("queue", 0, func(context.Context) error { m.Queue.Close(); return nil })
	p.add("model writer", 0, func(context.Context) error { stopWriter(); <-writerDone; return nil })
	p.run()
	m.Log.Printf("stopped: %d spans received", m.Model.Counters().Received.Load())
	m.closeLog()
}
