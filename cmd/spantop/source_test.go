package main

import (
	"sync/atomic"
	"testing"

	"github.com/spantop/spantop/gotrace"
	"github.com/spantop/spantop/model"
)

// The trace reader's losses reach the header and the dropped-data warning.
func TestSourceCountsLostTraceData(t *testing.T) {
	r := gotrace.New(gotrace.Options{Output: func(*model.RuntimeBatch) {}})
	defer r.Close()
	var queueDrops atomic.Int64
	s := source{Model: model.New(model.Config{}), traces: r}
	s.Model.SetExecTraces(execTraces{r: r, queueDrops: &queueDrops})
	if ws := s.Warnings(); len(ws) != 0 {
		t.Fatalf("warnings before any loss: %+v", ws)
	}
	bad := model.TraceChunk{Session: 1, Generation: 1, Final: true, Header: []byte("go 1.26 trace\x00\x00\x00"), Data: []byte{0xff, 0xff, 0xff}}
	if err := r.Offer(&bad); err == nil {
		t.Fatal("a corrupt chunk was taken")
	}
	queueDrops.Add(2)
	h := s.Header()
	if h.TraceCorrupt != 1 || h.TraceDropped < 2 {
		t.Fatalf("header trace figures: corrupt %d dropped %d", h.TraceCorrupt, h.TraceDropped)
	}
	ws := s.Warnings()
	if len(ws) != 1 || ws[0].Kind != model.WarnDropped || ws[0].Count != int64(h.TraceCorrupt+h.TraceDropped) {
		t.Fatalf("warnings: %+v (header %+v)", ws, h)
	}
	s.Model.Counters().Refused.Add(5)
	if ws := s.Warnings(); len(ws) != 1 || ws[0].Count != int64(h.TraceCorrupt+h.TraceDropped)+5 {
		t.Fatalf("warnings with refused spans too: %+v", ws)
	}
}
