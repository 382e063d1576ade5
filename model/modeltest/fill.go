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
	for done := 0; done < n; {
		batch := &model.Batch{Resources: res, Spans: make([]model.SpanRec, 0, per)}
		for j := 0; j < per && done < n; j++ {
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
			st := start.Add(time.Duration(i) * time.Microsecond).UnixNano()
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
