package model

import (
	"math"
	"time"
	"unsafe"
)

// Metric streams: one per (metric name, service, attribute set), each with
// its last value and a ring of samples covering MetricHistory. The number
// of streams is bounded (Config.MaxStreams); a new stream beyond it is
// counted and dropped.
const (
	DefaultMaxStreams = 10_000
	// MetricHistory is how far back a stream's samples go.
	MetricHistory = 5 * time.Minute
	// maxStreamSamples bounds a stream's ring when points come faster than
	// every half second (the ring then covers less than MetricHistory).
	maxStreamSamples = 600
	// maxDistBuckets bounds a distribution kept or computed per point.
	maxDistBuckets = 512
	streamBytes    = 320 // a stream's fixed cost besides key, ring and distribution
	metricBytes    = 256
	sampleBytes    = int64(unsafe.Sizeof(sample{}))
	bucketBytes    = int64(unsafe.Sizeof(Bucket{}))
)

type metricStore struct {
	maxStreams int
	metrics    []*metric
	byName     map[metricKey]*metric
	streams    map[string]*stream // by streamKey
	nstreams   int
	dropped    int64 // new streams refused over maxStreams or the budget
	bytes      int64
	nextID     uint64 // IDs of metrics and streams share one sequence
	keyBuf     []byte
}

type metricKey struct {
	name Sym
	svc  uint32
}

type metric struct {
	id               uint64
	name, unit, desc Sym
	svc              uint32
	typ              MetricType
	monotonic, delta bool
	streams          []*stream
}

type stream struct {
	id       uint64
	m        *metric
	key      string
	attrs    []byte
	samples  []sample // ring: samples[head:] then samples[:head] when full
	head     int
	lastSeen int64 // local Unix ns
	// The previous point, for rates and a cumulative histogram's interval.
	have                bool
	prevStart, prevTime int64
	prevValue           float64 // a sum's value (a delta sum's running total)
	prevCount           uint64
	prevBuckets         []Bucket // a cumulative histogram's last buckets
	dist                []Bucket // the last interval's distribution
	last                sample
	count               uint64
	sum                 float64
}

// sample is one point of a stream's history.
type sample struct {
	at    int64   // local Unix ns
	value float64 // gauge or sum value; a distribution's count
	rate  float64 // per second; NaN when unknown
	p50   float64 // NaN unless a distribution
	p99   float64
}

func newMetricStore(maxStreams int) *metricStore {
	if maxStreams <= 0 {
		maxStreams = DefaultMaxStreams
	}
	return &metricStore{maxStreams: maxStreams, byName: make(map[metricKey]*metric), streams: make(map[string]*stream)}
}

// shown is the number of metrics with at least one stream.
func (s *metricStore) shown() int {
	n := 0
	for _, m := range s.metrics {
		if len(m.streams) > 0 {
			n++
		}
	}
	return n
}

func (s *metricStore) streamKey(p *MetricRec, svc uint32) []byte {
	b := s.keyBuf[:0]
	b = append(b, byte(p.Name), byte(p.Name>>8), byte(p.Name>>16), byte(p.Name>>24),
		byte(svc), byte(svc>>8), byte(svc>>16), byte(svc>>24))
	b = append(b, p.Attrs...)
	s.keyBuf = b
	return b
}

// apply adds one data point. reserve makes room in the budget for a new
// stream or a ring's growth, or reports false.
func (s *metricStore) apply(p *MetricRec, svc uint32, now int64, reserve func(int64) bool) {
	if p.Type == 0 {
		return
	}
	key := s.streamKey(p, svc)
	st := s.streams[string(key)]
	if st == nil {
		need := int64(streamBytes + 2*len(key))
		if s.nstreams >= s.maxStreams || !reserve(need+metricBytes) {
			s.dropped++
			return
		}
		m := s.byName[metricKey{p.Name, svc}]
		if m == nil {
			s.nextID++
			m = &metric{id: s.nextID, name: p.Name, svc: svc}
			s.byName[metricKey{p.Name, svc}] = m
			s.metrics = append(s.metrics, m)
			s.bytes += metricBytes
		}
		s.nextID++
		st = &stream{id: s.nextID, m: m, key: string(key), attrs: p.Attrs}
		st.attrs = []byte(st.key[8:])
		s.streams[st.key] = st
		m.streams = append(m.streams, st)
		s.nstreams++
		s.bytes += need
	}
	m := st.m
	if m.typ != p.Type {
		// A metric that changed type starts its streams' history again.
		m.typ = p.Type
		for _, o := range m.streams {
			o.have = false
		}
	}
	m.unit, m.desc, m.monotonic, m.delta = p.Unit, p.Desc, p.Monotonic, p.Delta
	smp := s.sampleOf(st, p, now)
	s.push(st, smp, now, reserve)
	st.last, st.lastSeen = smp, now
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// sampleOf turns a point into a sample and remembers what the next point
// needs. A counter that went down (a reset) or restarted (a new start
// time) never gives a negative rate.
func (s *metricStore) sampleOf(st *stream, p *MetricRec, now int64) sample {
	smp := sample{at: now, rate: math.NaN(), p50: math.NaN(), p99: math.NaN()}
	dt := p.Time - st.prevTime
	continued := st.have && dt > 0
	switch p.Type {
	case MetricGauge:
		smp.value = p.Value
	case MetricSum:
		if p.Delta {
			smp.value = p.Value
			if st.have {
				smp.value += st.prevValue
			}
			switch {
			case p.Start > 0 && p.Time > p.Start:
				smp.rate = p.Value / seconds(p.Time-p.Start)
			case continued:
				smp.rate = p.Value / seconds(dt)
			}
		} else {
			smp.value = p.Value
			switch {
			case continued && p.Start == st.prevStart && p.Value >= st.prevValue:
				smp.rate = (p.Value - st.prevValue) / seconds(dt)
			case st.have && p.Start > 0 && p.Time > p.Start:
				// Reset: what was counted since the new start.
				smp.rate = p.Value / seconds(p.Time-p.Start)
			}
		}
		if p.Monotonic && smp.rate < 0 {
			smp.rate = 0
		}
		st.prevValue = smp.value
	default:
		s.distSample(st, p, &smp, continued, dt)
	}
	st.have, st.prevStart, st.prevTime = true, p.Start, p.Time
	return smp
}

// distSample fills a histogram's, exponential histogram's or summary's
// sample: its count, rate of observations and p50/p99 over the last
// interval.
func (s *metricStore) distSample(st *stream, p *MetricRec, smp *sample, continued bool, dt int64) {
	h := p.Hist
	if h == nil {
		return
	}
	count := h.Count
	var interval uint64
	switch {
	case p.Delta:
		interval = count
		st.count += count
		st.sum += h.Sum
	case continued && p.Start == st.prevStart && count >= st.prevCount:
		interval = count - st.prevCount
		st.count, st.sum = count, h.Sum
	default:
		interval = count
		st.count, st.sum = count, h.Sum
	}
	smp.value = float64(st.count)
	switch {
	case p.Delta && p.Start > 0 && p.Time > p.Start:
		smp.rate = float64(interval) / seconds(p.Time-p.Start)
	case continued && (p.Delta || p.Start == st.prevStart && count >= st.prevCount):
		smp.rate = float64(interval) / seconds(dt)
	case continued:
		smp.rate = 0 // a reset: the interval's count is unknown, never negative
	}
	if p.Type == MetricSummary {
		smp.p50, smp.p99 = summaryQuantile(h.Quantiles, 0.5), summaryQuantile(h.Quantiles, 0.99)
		st.prevCount = count
		return
	}
	buckets := pointBuckets(p)
	dist := buckets
	if !p.Delta && continued && p.Start == st.prevStart && count >= st.prevCount {
		if d, ok := subtractBuckets(buckets, st.prevBuckets); ok {
			dist = d
		}
	}
	if !p.Delta {
		s.bytes += int64(cap(buckets)-cap(st.prevBuckets)) * bucketBytes
		st.prevBuckets = buckets
	}
	s.bytes += int64(cap(dist)-cap(st.dist)) * bucketBytes
	st.dist = dist
	smp.p50, smp.p99 = Percentile(dist, 0.5), Percentile(dist, 0.99)
	st.prevCount = count
}

// push appends a sample to a stream's ring, dropping samples older than
// MetricHistory and growing the ring while the budget allows.
func (s *metricStore) push(st *stream, smp sample, now int64, reserve func(int64) bool) {
	cutoff := now - int64(MetricHistory)
	n := len(st.samples)
	if n > 0 && st.samples[st.head].at < cutoff || n >= maxStreamSamples || (n == cap(st.samples) && n > 0 && !reserve(int64(n)*sampleBytes)) {
		if n == 0 {
			return
		}
		st.samples[st.head] = smp
		st.head = (st.head + 1) % n
		return
	}
	// Unroll the ring before it grows, so samples stay in order.
	if st.head != 0 {
		ordered := make([]sample, 0, cap(st.samples))
		ordered = append(ordered, st.samples[st.head:]...)
		ordered = append(ordered, st.samples[:st.head]...)
		st.samples, st.head = ordered, 0
	}
	old := cap(st.samples)
	st.samples = append(st.samples, smp)
	s.bytes += int64(cap(st.samples)-old) * sampleBytes
}

// history returns a stream's samples, oldest first, within MetricHistory
// of now.
func (st *stream) history(now int64) []sample {
	cutoff := now - int64(MetricHistory)
	out := make([]sample, 0, len(st.samples))
	for i := range st.samples {
		smp := st.samples[(st.head+i)%len(st.samples)]
		if smp.at >= cutoff {
			out = append(out, smp)
		}
	}
	return out
}

// expire removes the streams not updated since cutoff (local Unix ns),
// and the metrics left without streams.
func (s *metricStore) expire(cutoff int64) {
	defer func() {
		kept := s.metrics[:0]
		for _, m := range s.metrics {
			if len(m.streams) > 0 {
				kept = append(kept, m)
				continue
			}
			delete(s.byName, metricKey{m.name, m.svc})
			s.bytes -= metricBytes
		}
		clear(s.metrics[len(kept):])
		s.metrics = kept
	}()
	for _, m := range s.metrics {
		kept := m.streams[:0]
		for _, st := range m.streams {
			if st.lastSeen > cutoff {
				kept = append(kept, st)
				continue
			}
			delete(s.streams, st.key)
			s.nstreams--
			s.bytes -= int64(streamBytes+2*len(st.key)) + int64(cap(st.samples))*sampleBytes +
				int64(cap(st.dist)+cap(st.prevBuckets))*bucketBytes
		}
		clear(m.streams[len(kept):])
		m.streams = kept
	}
}

// pointBuckets returns a histogram point's buckets (an exponential
// histogram's converted to bounds), at most maxDistBuckets.
func pointBuckets(p *MetricRec) []Bucket {
	h := p.Hist
	if p.Type == MetricExpHistogram {
		return expBuckets(h)
	}
	if len(h.Counts) == 0 || len(h.Counts) != len(h.Bounds)+1 {
		return nil
	}
	n := min(len(h.Counts), maxDistBuckets)
	out := make([]Bucket, 0, n)
	for i := range n {
		b := Bucket{Lo: math.Inf(-1), Hi: math.Inf(1), Count: h.Counts[i]}
		if i > 0 {
			b.Lo = h.Bounds[i-1]
		}
		if i < len(h.Bounds) {
			b.Hi = h.Bounds[i]
		}
		out = append(out, b)
	}
	return out
}

// expBuckets converts an exponential histogram: bucket index i of scale s
// holds values in (base^i, base^(i+1)] with base = 2^(2^-s).
func expBuckets(h *HistPoint) []Bucket {
	scale := min(max(h.Scale, -10), 20)
	f := math.Exp2(-float64(scale))
	bound := func(i int64) float64 { return math.Exp2(float64(i) * f) }
	neg, pos := h.Neg, h.Pos
	room := maxDistBuckets - 1
	if len(pos) > room {
		pos = pos[:room]
	}
	if len(neg) > room-len(pos) {
		neg = neg[:room-len(pos)]
	}
	out := make([]Bucket, 0, len(neg)+len(pos)+1)
	for i := len(neg) - 1; i >= 0; i-- {
		idx := int64(h.NegOffset) + int64(i)
		out = append(out, Bucket{Lo: -bound(idx + 1), Hi: -bound(idx), Count: neg[i]})
	}
	if h.ZeroCount > 0 {
		out = append(out, Bucket{Lo: 0, Hi: 0, Count: h.ZeroCount})
	}
	for i, c := range pos {
		idx := int64(h.PosOffset) + int64(i)
		out = append(out, Bucket{Lo: bound(idx), Hi: bound(idx + 1), Count: c})
	}
	return out
}

// subtractBuckets returns cur minus prev when both have the same bounds
// and no count went down.
func subtractBuckets(cur, prev []Bucket) ([]Bucket, bool) {
	if len(cur) != len(prev) || len(cur) == 0 {
		return nil, false
	}
	out := make([]Bucket, len(cur))
	for i := range cur {
		if cur[i].Lo != prev[i].Lo || cur[i].Hi != prev[i].Hi || cur[i].Count < prev[i].Count {
			return nil, false
		}
		out[i] = Bucket{Lo: cur[i].Lo, Hi: cur[i].Hi, Count: cur[i].Count - prev[i].Count}
	}
	return out, true
}

// Percentile estimates the q-quantile (0…1) of a distribution by linear
// interpolation inside the bucket that holds it; NaN when it is empty. An
// open-ended bucket answers with its finite bound.
func Percentile(buckets []Bucket, q float64) float64 {
	var total uint64
	for _, b := range buckets {
		total += b.Count
	}
	if total == 0 {
		return math.NaN()
	}
	target := q * float64(total)
	var cum float64
	for _, b := range buckets {
		if b.Count == 0 {
			continue
		}
		next := cum + float64(b.Count)
		if next >= target {
			switch {
			case math.IsInf(b.Lo, -1):
				return b.Hi
			case math.IsInf(b.Hi, 1):
				return b.Lo
			}
			return b.Lo + (b.Hi-b.Lo)*(target-cum)/float64(b.Count)
		}
		cum = next
	}
	last := buckets[len(buckets)-1]
	if math.IsInf(last.Hi, 1) {
		return last.Lo
	}
	return last.Hi
}

// summaryQuantile returns the value of the quantile nearest to q.
func summaryQuantile(qs []Quantile, q float64) float64 {
	best, v := math.Inf(1), math.NaN()
	for _, x := range qs {
		if d := math.Abs(x.Q - q); d < best {
			best, v = d, x.Value
		}
	}
	return v
}
