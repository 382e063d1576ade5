package model

import "time"

// The model's hooks for the log and metric stores: what Apply, Sweep, the
// memory budget and the header ask of them. The stores own their state
// and byte counts; this file only joins them to the coordinator.

// applySignals stores a batch's log records and metric points; svcs maps
// Batch.Resources to services.
func (m *Model) applySignals(b *Batch, svcs []uint32, now int64) {
	if len(b.Logs) > 0 && m.logs == nil {
		m.logs = newLogStore(now)
	}
	for i := range b.Logs {
		rec := &b.Logs[i]
		svc := m.serviceOf(rec.Res, svcs)
		if need := m.logs.growCost(len(rec.Data)); need > logTraceBytes && !m.reserveBytes(need) {
			m.logs.dropped++
			continue
		}
		m.logs.add(rec, svc, now)
	}
	if len(b.Metrics) > 0 {
		ms := m.metricStore()
		for i := range b.Metrics {
			p := &b.Metrics[i]
			ms.apply(p, m.serviceOf(p.Res, svcs), now, m.reserveBytes)
		}
	}
}

func (m *Model) serviceOf(res uint32, svcs []uint32) uint32 {
	if int(res) < len(svcs) {
		return svcs[res]
	}
	return m.fallbackService()
}

func (m *Model) metricStore() *metricStore {
	if m.metrics == nil {
		m.metrics = newMetricStore(m.cfg.MaxStreams)
	}
	return m.metrics
}

// reserveBytes evicts the oldest stored items until need more bytes fit in
// the budget; it reports false when nothing is left to evict.
func (m *Model) reserveBytes(need int64) bool {
	for m.memoryUsed()+need > m.cfg.MaxMemory-growthHeadroom(m.cfg.MaxMemory) {
		if !m.evictOldest() {
			return false
		}
	}
	return true
}

// evictOldLog evicts the oldest log record when it is older than the
// oldest span waiting for retention (or when onlyLogs is set), so that the
// budget takes the oldest items first whatever they are.
func (m *Model) evictOldLog(onlyLogs bool) bool {
	if m.logs == nil {
		return false
	}
	at, ok := m.logs.frontAt()
	if !ok {
		return false
	}
	if e, ok := m.ret.fifo.front(); !onlyLogs && ok && e.at < at {
		return false
	}
	m.logs.evictFront()
	m.logs.evicted++
	return true
}

// sweepSignals applies retention to logs: they are stored as long as
// spans (--retain), since a span's details show its logs. A metric stream
// that stopped reporting is live data, like a row of the live tables: it
// goes after metricKeep.
func (m *Model) sweepSignals(now int64) {
	if m.logs != nil {
		m.logs.expire(now - int64(m.cfg.Retain))
	}
	if m.metrics != nil {
		m.metrics.expire(now - int64(metricKeep(m.cfg)))
	}
}

// metricKeep is how long a metric stream that stopped reporting is kept:
// at least MetricHistory, since SDKs export every minute by default and a
// stream must outlive the gap, or longer when finished rows linger longer.
func metricKeep(cfg Config) time.Duration { return max(cfg.Linger, MetricHistory) }

// signalBytes is the memory of the log and metric stores.
func (m *Model) signalBytes() int64 {
	var n int64
	if m.logs != nil {
		n += m.logs.bytes()
	}
	if m.metrics != nil {
		n += m.metrics.bytes
	}
	return n
}

// fillSignalHeader adds the log and metric figures to a header.
func (m *Model) fillSignalHeader(h *Header, now int64) {
	c := &m.counters
	h.LogsReceived, h.LogsRejected, h.LogsRefused = c.LogsReceived.Load(), c.LogsRejected.Load(), c.LogsRefused.Load()
	h.PointsReceived, h.PointsRejected, h.PointsRefused = c.PointsReceived.Load(), c.PointsRejected.Load(), c.PointsRefused.Load()
	if l := m.logs; l != nil {
		h.Logs, h.LogErrors = l.stored, l.errors
		h.LogsEvicted, h.LogsDropped = l.evicted, l.dropped
		h.LogsPerSec = l.rate.rate(now)
	}
	if ms := m.metrics; ms != nil {
		h.Metrics, h.Streams, h.StreamsDropped = ms.shown(), ms.nstreams, ms.dropped
	}
}

// Accept counts a batch's items as received; Refuse as refused (the queue
// was full or closing).
func (c *Counters) Accept(b *Batch) {
	c.Received.Add(int64(len(b.Spans)))
	c.LogsReceived.Add(int64(len(b.Logs)))
	c.PointsReceived.Add(int64(len(b.Metrics)))
}

// Refuse counts a batch's items as refused.
func (c *Counters) Refuse(b *Batch) {
	c.Refused.Add(int64(len(b.Spans)))
	c.LogsRefused.Add(int64(len(b.Logs)))
	c.PointsRefused.Add(int64(len(b.Metrics)))
}

// Size is the number of items in a batch that a queue's bound counts:
// spans, log records and metric points.
func (b *Batch) Size() int { return len(b.Spans) + len(b.Logs) + len(b.Metrics) }

// markSignalStrings marks every handle the log and metric stores refer to,
// for the string collector.
func (m *Model) markSignalStrings(mark func(Sym)) {
	if ls := m.logs; ls != nil {
		for i := range ls.metas {
			mark(ls.metas[i].scope)
			mark(ls.metas[i].sevText)
			mark(ls.metas[i].event)
		}
		mark(ls.lastMeta.scope)
		mark(ls.lastMeta.sevText)
		mark(ls.lastMeta.event)
		for _, c := range ls.chunks[ls.head:] {
			for i := range c.recs {
				eachSym(c.attrs(&c.recs[i]), mark)
			}
		}
	}
	if ms := m.metrics; ms != nil {
		for _, mt := range ms.metrics {
			mark(mt.name)
			mark(mt.unit)
			mark(mt.desc)
			for _, st := range mt.streams {
				eachSym(st.attrs, mark)
			}
		}
	}
}
