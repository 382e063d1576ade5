package model

// operation aggregates every span of one (service, name, kind). It outlives
// the spans it counts: evicting a span never changes its operation.
type operation struct {
	id       uint64
	svc      uint32
	name     Sym
	kind     SpanKind
	count    int64 // finished spans
	errors   int64
	inFlight int64
	total    int64 // summed duration of finished spans, ns
	// busy and idle sum the Busy and Idle of finished spans that had them
	// when they ended (tracing-opentelemetry's busy_ns/idle_ns, agentlib's
	// goroutine times), ns.
	busy, idle int64
	hist       Histogram
	rate       rateRing
	errRate    rateRing   // errors per second, for error spikes
	recent     *opHistory // see opdetail.go
	version    uint64     // OpRow.Version
}

// opKey packs (service, name, kind) into one integer: the map lookup per
// span then hashes 8 bytes instead of a struct.
type opKey uint64

func makeOpKey(svc uint32, name Sym, kind SpanKind) opKey {
	return opKey(uint64(svc)<<40 | uint64(name)<<8 | uint64(kind))
}

// opBytes is the fixed cost of one operation, besides histogram groups.
const opBytes = 640

// service is one OTel resource: a process of an application.
type service struct {
	id       uint64
	name     Sym
	instance Sym
	host     Sym
	pid      int64
	attrs    []byte
	spans    int64
	errors   int64
	rate     rateRing
	since    int64 // local Unix ns first heard of
	live     *liveSpans
}

const serviceBytes = 400

// traceKey is a trace ID's seeded 64-bit hash. Two live traces sharing
// one would share a list of spans; with a random seed that takes about
// four billion traces stored at once.
func traceKey(id TraceID) uint64 { return spanKey{trace: id}.hash() }

// traceRec links the stored spans of one trace.
type traceRec struct {
	head  uint32 // first span slot of the trace's list
	count uint32
	// due is when the trace has been quiet long enough for its
	// propagation to be judged; queued says it is in Model.traceChecks.
	due    int64
	queued bool
	sum    traceSum // its row in the traces table (tracesum.go)
}

const traceEntryBytes = 72 + traceSumBytes

// Operations and services outlive their spans, so their number is bounded:
// past maxOperations (or when aggregates fill their share of the budget) a
// new operation is counted in its service's "other operations" row, and past
// maxServices a new resource in one "other services" row. Otherwise a stream
// of unique span or service names would pin memory (and their strings) for
// good.
const (
	maxOperations = 20000
	maxServices   = 2000
)

const (
	otherOperations = "…(other operations)"
	otherServices   = "…(other services)"
)

// aggregatesFull says aggregates, with the strings they keep from being
// reclaimed, have taken their share of the budget.
func (m *Model) aggregatesFull() bool { return m.aggs.bytes+m.aggs.pinned > m.cfg.MaxMemory/8 }

// serviceKey is what makes two resources one service: its
// service.instance.id with its service.name, or service.name alone when
// there is no instance ID. Other attributes (process.runtime.*, pid) do
// not split a service: the same process's spans may arrive from the
// application's exporter and from agentlib with more or fewer of them.
// The key is built in a reused buffer: a map lookup by string(bytes) does
// not allocate.
func (m *Model) serviceKey(r *Resource) []byte {
	name := r.ServiceName
	if name == 0 {
		name = m.aggs.unknownService
	}
	k := append(m.aggs.keyBuf[:0], m.syms.String(name)...)
	if r.InstanceID != 0 {
		k = append(k, 0)
		k = append(k, m.syms.String(r.InstanceID)...)
	}
	m.aggs.keyBuf = k
	return k
}

// otherServicesKey is the key of the row every resource past maxServices
// is folded into; no serviceKey starts with a zero byte.
const otherServicesKey = "\x00"

func (m *Model) serviceFor(r *Resource) uint32 {
	kb := m.serviceKey(r)
	if idx, ok := m.aggs.svcIndex[string(kb)]; ok {
		if s := m.aggs.services[idx]; len(r.Attrs) > len(s.attrs) {
			// The fuller resource of the same service (agentlib's adds
			// the process attributes) is the one details show.
			s.attrs = r.Attrs
			if s.host == 0 && r.HostName != 0 {
				s.host = r.HostName
				m.aggs.pinned += int64(len(m.syms.String(s.host)))
			}
			if s.pid == 0 {
				s.pid = r.PID
			}
		}
		return idx
	}
	key := string(kb)
	if len(m.aggs.services) >= maxServices || m.aggregatesFull() {
		other := Resource{ServiceName: m.syms.InternString(otherServices)}
		other.Attrs = []byte{} // one key for every resource folded here
		if idx, ok := m.aggs.svcIndex[otherServicesKey]; ok {
			return idx
		}
		r, key = &other, otherServicesKey
	}
	m.aggs.nextSvcID++
	s := &service{id: m.aggs.nextSvcID, name: r.ServiceName, instance: r.InstanceID, host: r.HostName, pid: r.PID, attrs: r.Attrs, since: m.now().UnixNano()}
	if s.name == 0 {
		s.name = m.aggs.unknownService
	}
	idx := uint32(len(m.aggs.services))
	m.aggs.services = append(m.aggs.services, s)
	m.aggs.svcIndex[key] = idx
	m.aggs.bytes += serviceBytes + 2*int64(len(key))
	m.aggs.pinned += int64(len(m.syms.String(s.name)) + len(m.syms.String(s.instance)) + len(m.syms.String(s.host)))
	return idx
}

func (m *Model) operationFor(svc uint32, name Sym, kind SpanKind) uint32 {
	k := makeOpKey(svc, name, kind)
	if idx, ok := m.aggs.opIndex[k]; ok {
		return idx
	}
	if len(m.aggs.ops) >= maxOperations || m.aggregatesFull() {
		name = m.syms.InternString(otherOperations)
		k = makeOpKey(svc, name, kind)
		if idx, ok := m.aggs.opIndex[k]; ok {
			return idx
		}
	}
	m.aggs.nextOpID++
	idx := uint32(len(m.aggs.ops))
	m.aggs.ops = append(m.aggs.ops, &operation{id: m.aggs.nextOpID, svc: svc, name: name, kind: kind})
	m.aggs.opIndex[k] = idx
	m.aggs.bytes += opBytes
	m.aggs.pinned += int64(len(m.syms.String(name)))
	return idx
}

// recordFinished adds a finished span to its operation and service.
func (m *Model) recordFinished(op *operation, svc *service, dur int64, status StatusCode, now int64) {
	op.count++
	op.version++
	op.total += dur
	m.aggs.bytes += op.hist.Record(dur)
	op.rate.add(now, 1)
	svc.spans++
	svc.rate.add(now, 1)
	if status == StatusError {
		op.errors++
		op.errRate.add(now, 1)
		svc.errors++
	}
}
