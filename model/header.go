package model

import (
	"sync/atomic"
)

// Counters are the totals ingest reports. They are atomics because many
// receiver goroutines add to them; the model only reads them.
type Counters struct {
	// Received counts spans accepted onto the queue.
	Received atomic.Int64
	// Rejected counts spans refused as invalid (bad IDs) via partial_success.
	Rejected atomic.Int64
	// Refused counts spans turned away because the queue was full.
	Refused atomic.Int64
	// Dropped counts spans lost after acceptance (the memory budget was
	// exhausted by live spans and nothing finished was left to evict).
	Dropped atomic.Int64
	// OverBudget is set by the model's writer while it cannot meet its
	// memory budget; ingest then refuses spans (RESOURCE_EXHAUSTED / 429)
	// rather than accept spans it would drop.
	OverBudget atomic.Bool
	// BusyRequests counts requests refused unread (with a retry delay)
	// because the bytes of requests already in flight filled ingest's
	// bound; their spans are not known, so they are counted apart.
	BusyRequests atomic.Int64
	// Unauthenticated counts requests refused for a missing or wrong
	// bearer token.
	Unauthenticated atomic.Int64
	// Bad counts requests refused as malformed, by reason, and keeps the
	// last few (badrequests.go).
	Bad BadRequests
	// Logs* and Points* count log records and metric data points likewise.
	LogsReceived, LogsRejected, LogsRefused       atomic.Int64
	PointsReceived, PointsRejected, PointsRefused atomic.Int64
}

// Header is the live figures shown above every view.
type Header struct {
	// Changes counts what the writer did (batches applied, sweeps but
	// idle ones that changed nothing readers see): a reader that saw the
	// same count saw the same stored data, warnings included, though
	// figures that move with the clock may differ.
	Changes     uint64
	SpansPerSec float64
	Received    int64
	Rejected    int64
	Refused     int64
	Dropped     int64
	// BusyRequests and Unauthenticated count whole requests refused
	// before they were read (Counters).
	BusyRequests    int64
	Unauthenticated int64
	// BadRequests counts requests refused as malformed (Counters.Bad).
	BadRequests  int64
	Evicted      int64
	MemoryUsed   int64
	MemoryBudget int64
	// Truncated counts names and values cut at ingest (--max-string).
	Truncated int64
	// OverBudget is set while the model refuses spans to keep its budget.
	OverBudget bool
	// Spans counts stored spans (not goroutine rows); Running, Lost and
	// Errors are subsets. Shelved counts the spans that have lingered out
	// of the live table (--linger) and are kept until --retain,
	// ShelvedGoroutines the goroutine rows likewise.
	Spans, Running, Lost, Errors int
	Shelved, ShelvedGoroutines   int
	Traces, Operations, Services int
	// Goroutines counts live goroutines of agentlib apps, GoroutinesLost
	// those of processes that went silent; Resources the sync resources
	// they wait on.
	Goroutines, GoroutinesLost, Resources int
	// Trace* describe the execution traces read (see ExecTraces):
	// generations parsed, breaks in streams, chunks and generations lost
	// (here or by the sender), corrupt input.
	TraceGenerations, TraceGaps, TraceDropped, TraceCorrupt uint64
	// Logs counts stored log records, LogErrors those ERROR or worse;
	// LogsEvicted went for the memory budget, LogsDropped were refused
	// by it (nothing left to evict). The other Logs*/Points* are the
	// ingest counters of log records and metric data points.
	Logs, LogErrors                               int
	LogsPerSec                                    float64
	LogsReceived, LogsRejected, LogsRefused       int64
	LogsEvicted, LogsDropped                      int64
	PointsReceived, PointsRejected, PointsRefused int64
	// Metrics and Streams count the metrics and streams kept;
	// StreamsDropped the new streams refused over --max-streams.
	Metrics, Streams int
	StreamsDropped   int64
}

// Header returns the live figures.
func (m *Model) Header() Header {
	now := m.now().UnixNano()
	generations, gaps, dropped, corrupt := m.traceFigures()
	m.mu.RLock()
	defer m.mu.RUnlock()
	h := m.header(now)
	h.TraceGenerations, h.TraceGaps, h.TraceDropped, h.TraceCorrupt = generations, gaps, dropped, corrupt
	return h
}

// header is Header but for the execution traces' figures, under the lock.
func (m *Model) header(now int64) Header {
	h := Header{
		Changes:           m.changes,
		SpansPerSec:       m.applied.rate(now),
		Received:          m.counters.Received.Load(),
		Rejected:          m.counters.Rejected.Load(),
		Refused:           m.counters.Refused.Load(),
		Dropped:           m.counters.Dropped.Load(),
		BusyRequests:      m.counters.BusyRequests.Load(),
		Unauthenticated:   m.counters.Unauthenticated.Load(),
		BadRequests:       m.counters.Bad.Total(),
		Evicted:           m.evicted,
		MemoryUsed:        m.memoryUsed(),
		MemoryBudget:      m.cfg.MaxMemory,
		Truncated:         m.syms.Truncated(),
		OverBudget:        m.counters.OverBudget.Load(),
		Spans:             m.store.live - len(m.rt.gos),
		Running:           len(m.ret.running) - m.rt.goLive,
		Goroutines:        m.rt.goLive,
		GoroutinesLost:    m.rt.goLost,
		Resources:         len(m.rt.resources),
		Lost:              m.lost,
		Shelved:           m.shelvedRows[0],
		ShelvedGoroutines: m.shelvedRows[1],
		Errors:            m.errors,
		Traces:            len(m.tr.byKey),
		Operations:        len(m.aggs.ops),
		Services:          len(m.aggs.services),
	}
	m.fillSignalHeader(&h, now)
	return h
}
