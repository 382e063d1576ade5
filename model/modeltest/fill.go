// Package modeltest generates realistic span workloads for the model's
// and the UI's benchmarks and tests.
package modeltest

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/spantop/spantop/model"
)

// Fill stores n finished spans with 10 attributes each, in traces of 8
// spans over 6 services and 40 operations, as a busy app would send them.
func Fill(m *model.Model, n int, start time.Time) {
	for _, b := range Batches(m.Symbols(), n, start) {
		m.Apply(b)
	}
}

// Batches builds the batches Fill applies, interned in syms, without
// applying them.
func Batches(syms *model.Symbols, n int, start time.Time) []*model.Batch {
	return BatchesFrom(syms, 0, n, start)
}

// BatchesFrom is Batches for the spans numbered first to first+n-1, so that
// a second call adds new spans rather than repeating the first's.
func BatchesFrom(syms *model.Symbols, first, n int, start time.Time) []*model.Batch {
	var out []*model.Batch
	w := model.NewAttrWriter(syms)
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	routes := []string{"/api/users/{id}", "/api/orders", "/api/cart/{id}/items", "/healthz", "/api/search"}
	var res []model.Resource
	for s := range 6 {
		rw := model.NewAttrWriter(syms)
		rw.String([]byte("service.name"), []byte(fmt.Sprint("svc-", s)))
		rw.String([]byte("service.instance.id"), []byte(fmt.Sprint("i-", s)))
		res = append(res, model.Resource{ServiceName: syms.InternString(fmt.Sprint("svc-", s)), Attrs: rw.Blob()})
	}
	const per = 512
	for done := first; done < first+n; {
		batch := &model.Batch{Resources: res, Spans: make([]model.SpanRec, 0, per)}
		for j := 0; j < per && done < first+n; j++ {
			i := uint64(done)
			w.Reset()
			w.String([]byte("http.request.method"), []byte(methods[i%4]))
			w.String([]byte("http.route"), []byte(routes[i%5]))
			w.Int([]byte("http.response.status_code"), int64(200+(i%7)*50))
			w.String([]byte("server.address"), []byte("api.internal"))
			w.String([]byte("url.path"), []byte("/api/users/"+strconv.FormatUint(i%100_000, 10)))
			w.String([]byte("user.id"), []byte("u-"+strconv.FormatUint(i*7919%1_000_000, 10)))
			w.String([]byte("db.system"), []byte("postgresql"))
			w.Int([]byte("net.peer.port"), 5432)
			w.Bool([]byte("cache.hit"), i%3 == 0)
			w.Double([]byte("sample.ratio"), 0.25)
			st := start.Add(time.Duration(i-uint64(first)) * time.Microsecond).UnixNano()
			batch.Spans = append(batch.Spans, model.SpanRec{
				TraceID: traceID(i/8 + 1), SpanID: spanID(i + 1), Parent: spanID(i/8*8 + 1),
				Start: st, End: st + int64(i%1000)*int64(time.Millisecond)/10,
				Name: syms.InternString(fmt.Sprint("op-", i%40)), Res: uint32(i % 6), Kind: model.SpanKind(1 + i%5),
				Attrs: w.Blob(), NumAttrs: 10,
			})
			done++
		}
		out = append(out, batch)
	}
	return out
}

func traceID(n uint64) model.TraceID {
	var t model.TraceID
	binary.BigEndian.PutUint64(t[8:], n)
	t[0] = 1
	return t
}

func spanID(n uint64) model.SpanID {
	var s model.SpanID
	binary.BigEndian.PutUint64(s[:], n)
	return s
}

// BigTrace stores one trace of n spans, as a batch job or a fan-out query
// sends them: a root, a few levels of fan-out (each span up to 12
// children, starting in sequence inside their parent), six services, a
// few spans still in flight and a few orphans whose parent never arrived.
// It returns the trace's ID.
func BigTrace(m *model.Model, n int, start time.Time) model.TraceID {
	syms := m.Symbols()
	var res []model.Resource
	for s := range 6 {
		rw := model.NewAttrWriter(syms)
		rw.String([]byte("service.name"), []byte(fmt.Sprint("svc-", s)))
		res = append(res, model.Resource{ServiceName: syms.InternString(fmt.Sprint("svc-", s)), Attrs: rw.Blob()})
	}
	tid := traceID(1 << 40)
	type span struct{ start, end int64 }
	spans := make([]span, 0, n)
	batch := &model.Batch{Resources: res}
	flush := func() {
		if len(batch.Spans) > 0 {
			m.Apply(batch)
			batch = &model.Batch{Resources: res}
		}
	}
	t0 := start.UnixNano()
	spans = append(spans, span{t0, t0 + int64(n)*int64(time.Millisecond)})
	for i := 0; i < n; i++ {
		parent := uint64(0)
		if i > 0 {
			// Parents in breadth-first order, 12 children each.
			p := (i - 1) / 12
			k := (i - 1) % 12
			ps := spans[p]
			w := (ps.end - ps.start) / 13
			st := ps.start + int64(k)*w + w/4
			spans = append(spans, span{st, st + w - w/8*int64(i%3)})
			parent = uint64(p + 1)
		}
		s := spans[i]
		rec := model.SpanRec{
			TraceID: tid, SpanID: spanID(uint64(i + 1)), Parent: spanID(parent),
			Start: s.start, End: s.end,
			Name: syms.InternString(fmt.Sprint("step-", i%50)), Res: uint32(i % 6), Kind: model.SpanKind(1 + i%5),
		}
		switch {
		case i%997 == 5: // in flight
			rec.End, rec.InFlight, rec.SnapshotSeq = 0, true, 1
		case i%1499 == 7: // the parent never arrives
			rec.Parent = spanID(uint64(1<<32 + i))
		}
		if parent == 0 && i > 0 {
			rec.Parent = model.SpanID{}
		}
		batch.Spans = append(batch.Spans, rec)
		if len(batch.Spans) == 512 {
			flush()
		}
	}
	flush()
	return tid
}
