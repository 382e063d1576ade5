package model_test

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

// logBatches builds n log records with a 100-byte body and 5 attributes in
// 512-record batches; logsPerTrace records share a trace (0: no trace
// context).
func logBatches(syms *model.Symbols, n, logsPerTrace int, start time.Time) []*model.Batch {
	rw := model.NewAttrWriter(syms)
	rw.String([]byte("service.name"), []byte("api"))
	res := []model.Resource{{ServiceName: syms.InternString("api"), Attrs: rw.Blob()}}
	w := model.NewAttrWriter(syms)
	var out []*model.Batch
	levels := []model.Severity{model.SevInfo, model.SevInfo, model.SevDebug, model.SevWarn, model.SevError}
	for done := 0; done < n; {
		b := &model.Batch{Resources: res}
		for j := 0; j < 512 && done < n; j++ {
			i := done
			body := fmt.Sprintf("request %08d handled for user u-%06d in %4dms; cache=%v shard=%02d", i, i*7919%1_000_000, i%1000, i%3 == 0, i%16)
			body += strings.Repeat(".", 100-len(body))
			w.Reset()
			w.String([]byte("http.route"), []byte("/api/users/{id}"))
			w.String([]byte("user.id"), []byte("u-"+strconv.Itoa(i*7919%1_000_000)))
			w.Int([]byte("http.status_code"), int64(200+i%5*100))
			w.String([]byte("code.function"), []byte("handler.Serve"))
			w.Bool([]byte("cache.hit"), i%3 == 0)
			r := model.LogRec{Time: start.Add(time.Duration(i) * time.Microsecond).UnixNano(), Severity: levels[i%5],
				Data: append([]byte(body), w.Blob()...), BodyLen: uint32(len(body)), NumAttrs: 5}
			if logsPerTrace > 0 {
				binary.BigEndian.PutUint64(r.TraceID[8:], uint64(i/logsPerTrace+1))
				r.TraceID[0] = 1
				binary.BigEndian.PutUint64(r.SpanID[:], uint64(i/2+1))
			}
			b.Logs = append(b.Logs, r)
			done++
		}
		out = append(out, b)
	}
	return out
}

// BenchmarkRetainedLogMemory stores 1M log records (100-byte body, 5
// attributes) and reports the live heap and the model's accounting per
// record: with trace context, 4 records per trace; in a trace of their
// own each (the worst case for the per-trace index); without context.
func BenchmarkRetainedLogMemory(b *testing.B) {
	const n = 1_000_000
	for _, c := range []struct {
		name     string
		perTrace int
	}{{"4-per-trace", 4}, {"1-per-trace", 1}, {"no-trace", 0}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				before := heapInUse()
				m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
				for _, bt := range logBatches(m.Symbols(), n, c.perTrace, time.Now()) {
					m.Apply(bt)
				}
				after := heapInUse()
				h := m.Header()
				if h.Logs != n {
					b.Fatalf("stored %d records", h.Logs)
				}
				b.ReportMetric(float64(after-before)/n, "heap-B/log")
				b.ReportMetric(float64(h.MemoryUsed)/n, "accounted-B/log")
				runtime.KeepAlive(m)
			}
		})
	}
}

// BenchmarkLogsTail1M measures one frame of the logs view with 1M records
// stored: the live tail, and the tail filtered by severity.
func BenchmarkLogsTail1M(b *testing.B) {
	m := model.New(model.Config{MaxMemory: 4 << 30, Retain: time.Hour})
	for _, bt := range logBatches(m.Symbols(), 1_000_000, 4, time.Now()) {
		m.Apply(bt)
	}
	for _, c := range []struct {
		name string
		q    model.Query
	}{
		{"tail", model.Query{Sort: model.LogTime, Offset: model.FollowOffset, Limit: 45}},
		{"tail-severity>=warn", model.Query{Sort: model.LogTime, Offset: model.FollowOffset, Limit: 45, Filter: "severity>=warn"}},
		{"tail-text", model.Query{Sort: model.LogTime, Offset: model.FollowOffset, Limit: 45, Filter: "cache.hit=true shard"}},
		{"tail-body-regexp", model.Query{Sort: model.LogTime, Offset: model.FollowOffset, Limit: 45, Filter: `body~u-0\d+5\b`}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if p := m.Logs(c.q); len(p.Rows) != 45 || p.FilterErr != "" {
					b.Fatalf("%d rows (%s)", len(p.Rows), p.FilterErr)
				}
			}
		})
	}
}
