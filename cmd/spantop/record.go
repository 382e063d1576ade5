package main

import (
	"context"
	"strings"

	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/ingest/forward"
	"github.com/spantop/spantop/ingest/record"
)

// openAround opens the recording and the forwarding targets and taps the
// receivers for them. On error nothing stays open.
func (m *Main) openAround() error {
	a := m.Config.Around
	var taps ingest.Taps
	if a.Record != "" {
		r, err := record.Open(record.Options{Path: a.Record, MaxBytes: a.RecordMax, Keep: a.RecordKeep})
		if err != nil {
			return err
		}
		m.recorder = r
		taps = append(taps, r)
		m.Log.Printf("recording to %s", a.Record)
	}
	for _, u := range a.Forward {
		t, err := forward.New(u, forward.Options{All: a.ForwardAll})
		if err != nil {
			m.closeAround(context.Background())
			return err
		}
		m.forwards = append(m.forwards, t)
		taps = append(taps, t)
		m.Log.Printf("forwarding to %s", t.Name())
	}
	if len(taps) == 1 {
		m.Server.SetTap(taps[0])
	} else if len(taps) > 1 {
		m.Server.SetTap(taps)
	}
	return nil
}

// closeAround finishes the recording and flushes the forwarders (the
// receivers have stopped, so nothing more arrives); the forwarders give up
// what they still hold when ctx ends, or after serverStopWait.
func (m *Main) closeAround(ctx context.Context) {
	if m.recorder != nil {
		if err := m.recorder.Close(); err != nil {
			m.Log.Printf("record: %v", err)
			m.aroundErrs = append(m.aroundErrs, err.Error())
		}
		st := m.recorder.Stats()
		m.Log.Printf("record: %d requests written to %s (%s), %d dropped", st.Requests, st.Path, record.FormatBytes(st.Total), st.Dropped)
	}
	for _, t := range m.forwards {
		ctx, cancel := context.WithTimeout(ctx, serverStopWait)
		if err := t.Close(ctx); err != nil {
			m.Log.Printf("forward %s: %v", t.Name(), err)
		}
		cancel()
		st := t.Stats()
		m.Log.Printf("forward %s: %d sent, %d dropped, %d retries (last error: %s)", st.Target, st.Sent, st.Dropped, st.Retries, st.LastError)
	}
	m.recorder, m.forwards = nil, nil
}

// aroundStatus is the header's note: REC <file> <size>, the forwarding
// targets, the child process.
func (m *Main) aroundStatus() string {
	var parts []string
	if m.recorder != nil {
		parts = append(parts, m.recorder.Stats().String())
	}
	for _, t := range m.forwards {
		parts = append(parts, t.Stats().String())
	}
	if m.child != nil {
		parts = append(parts, m.child.status())
	}
	if ended := m.workloadEnded.Load(); ended != nil {
		parts = append(parts, *ended)
	}
	return strings.Join(parts, "  ")
}
