package gotrace

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

// This file holds what the tests share: a splitter that frames a
// runtime/trace stream the way agentlib sends it, and a collector of batches.

// testGen is one generation of a real trace, as whole batches.
type testGen struct {
	gen     uint64
	batches [][]byte
	eog     bool // it ended with an end-of-generation marker
}

func (g testGen) bytes() int {
	n := 0
	for _, b := range g.batches {
		n += len(b)
	}
	return n
}

// splitTrace cuts a Go ≥ 1.26 trace into its header and generations,
// reading the batch framing independently of the package's own code.
func splitTrace(t testing.TB, data []byte) (header []byte, gens []testGen) {
	t.Helper()
	if len(data) < 16 || !bytes.HasPrefix(data, []byte("go 1.")) {
		t.Fatalf("not a trace: %q", data[:min(len(data), 16)])
	}
	header, data = data[:16], data[16:]
	var cur *testGen
	for len(data) > 0 {
		switch data[0] {
		case 52: // EvEndOfGeneration
			if cur == nil {
				t.Fatal("end of generation before any batch")
			}
			cur.eog = true
			gens = append(gens, *cur)
			cur = nil
			data = data[1:]
			continue
		case 1, 49: // EvEventBatch, EvExperimentalBatch
		default:
			t.Fatalf("unexpected batch type %d", data[0])
		}
		p := 1
		if data[0] == 49 {
			p = 2
		}
		var vals [4]uint64
		for i := range vals {
			v, n := binary.Uvarint(data[p:])
			if n <= 0 {
				t.Fatal("bad uvarint in batch header")
			}
			vals[i], p = v, p+n
		}
		end := p + int(vals[3])
		if cur == nil {
			cur = &testGen{gen: vals[0]}
		} else if cur.gen != vals[0] {
			t.Fatalf("generation %d inside %d", vals[0], cur.gen)
		}
		cur.batches = append(cur.batches, data[:end])
		data = data[end:]
	}
	if cur != nil {
		gens = append(gens, *cur)
	}
	return header, gens
}

var testResource = model.Resource{PID: 4242, Attrs: []byte("service.name=test")}

// chunks frames one generation as agentlib does: batches packed into
// chunks of at most size bytes (a batch never split), the header on chunk 0,
// the last chunk final. withEOG keeps the end-of-generation marker.
func chunks(header []byte, g testGen, session, dropped uint64, size int, withEOG bool) []*model.TraceChunk {
	var out []*model.TraceChunk
	var cur []byte
	flush := func() {
		c := &model.TraceChunk{
			Resource:           testResource,
			Session:            session,
			Generation:         g.gen,
			Chunk:              uint32(len(out)),
			DroppedGenerations: dropped,
			Data:               cur,
		}
		if c.Chunk == 0 {
			c.Header = header
		}
		out = append(out, c)
		cur = nil
	}
	for _, b := range g.batches {
		if len(cur) > 0 && len(cur)+len(b) > size {
			flush()
		}
		cur = append(cur, b...)
	}
	if withEOG && g.eog {
		cur = append(cur, 52)
	}
	flush()
	out[len(out)-1].Final = true
	return out
}

// collector gathers the batches a Reader outputs.
type collector struct {
	mu      sync.Mutex
	batches []*model.RuntimeBatch
}

func (c *collector) add(b *model.RuntimeBatch) {
	c.mu.Lock()
	c.batches = append(c.batches, b)
	c.mu.Unlock()
}

func (c *collector) all() []*model.RuntimeBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*model.RuntimeBatch(nil), c.batches...)
}

// newTestReader returns a Reader whose batches the collector gathers; it
// is closed when the test ends.
func newTestReader(t testing.TB, opts Options) (*Reader, *collector) {
	c := &collector{}
	opts.Output = c.add
	r := New(opts)
	t.Cleanup(func() { r.Close() })
	return r, c
}

// settle waits until r has parsed everything it holds.
func settle(t testing.TB, r *Reader) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if r.idle() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("reader did not settle: %+v", r.Stats())
}

// offerAll offers every chunk and fails the test on an error.
func offerAll(t testing.TB, r *Reader, cs []*model.TraceChunk) {
	t.Helper()
	for _, c := range cs {
		if err := r.Offer(c); err != nil {
			t.Fatalf("offer gen %d chunk %d: %v", c.Generation, c.Chunk, err)
		}
	}
}

// goroutineTotals folds a stream's batches into the last record of each goroutine.
func lastRecords(bs []*model.RuntimeBatch) map[int64]model.GoroutineRec {
	m := map[int64]model.GoroutineRec{}
	for _, b := range bs {
		for _, g := range b.Goroutines {
			prev, ok := m[g.ID]
			if ok && g.CreateStack == nil {
				g.CreateStack = prev.CreateStack
			}
			if ok && g.Name == "" {
				g.Name = prev.Name
			}
			m[g.ID] = g
		}
	}
	return m
}
