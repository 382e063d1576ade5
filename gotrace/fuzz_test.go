package gotrace

import (
	"bytes"
	"slices"
	"testing"

	"github.com/spantop/spantop/model"
)

// FuzzOffer offers a hostile generation between two good ones: whatever it
// holds, nothing crashes, nothing stays held, and the good generation after
// it is read.
func FuzzOffer(f *testing.F) {
	header, gens := splitTrace(f, getWorkload(f).raw)
	if len(gens) < 3 {
		f.Fatalf("%d generations", len(gens))
	}
	good := chunks(header, gens[1], 1, 0, 1<<20, true)[0]
	f.Add(good.Data, true, true, uint32(0), uint64(0))
	f.Add(good.Data[:len(good.Data)/2], true, false, uint32(0), uint64(0))
	f.Add(good.Data[len(good.Data)/3:], false, true, uint32(1), uint64(0))
	f.Add([]byte{1, 2, 1, 2, 10, 0xff}, true, true, uint32(0), uint64(1))
	f.Add([]byte{52}, true, true, uint32(0), uint64(0))
	f.Add(bytes.Repeat([]byte{1, 2, 3, 4, 200, 1}, 20), false, true, uint32(4095), uint64(0))
	f.Fuzz(func(t *testing.T, data []byte, withHeader, final bool, chunk uint32, dropped uint64) {
		r, c := newTestReader(t, Options{Workers: 1, MaxStreamBytes: 4 << 20})
		offerAll(t, r, chunks(header, gens[0], 1, 0, 1<<20, true))
		// The hostile generation, cut in two chunks at a point the data chooses.
		cut := 0
		if len(data) > 0 {
			cut = int(data[0]) % (len(data) + 1)
		}
		hostile := []*model.TraceChunk{
			{Resource: testResource, Session: 1, Generation: 2, Chunk: chunk, Data: data[:cut]},
			{Resource: testResource, Session: 1, Generation: 2, Chunk: chunk + 1, Final: final, Data: data[cut:], DroppedGenerations: dropped},
		}
		if withHeader {
			hostile[0].Header = header
		}
		for _, h := range hostile {
			_ = r.Offer(h) // refusals are expected; only crashes and leaks are not
		}
		offerAll(t, r, chunks(header, gens[2], 1, 0, 1<<20, true))
		settle(t, r)
		st := r.Stats()
		if st.Held != 0 {
			t.Fatalf("held %d after settling: %+v", st.Held, st)
		}
		bs := c.all()
		if len(bs) < 2 || bs[len(bs)-1].End < bs[0].End {
			t.Fatalf("%d batches; the generation after the hostile one was not read: %+v", len(bs), st)
		}
	})
}

// FuzzGeneration hands the parser hostile generations directly, past the
// framing checks Offer does: a parser panic is caught and reported as an
// error, never a crash.
func FuzzGeneration(f *testing.F) {
	header, gens := splitTrace(f, getWorkload(f).raw)
	for _, g := range gens {
		f.Add(append(bytes.Join(g.batches, nil), evEndOfGeneration))
	}
	f.Add([]byte{evEndOfGeneration})
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{}
		opts.setDefaults()
		b := newBuilder(&opts, &counters{}, testResource, 1)
		for range 2 {
			batch, _, err := b.generation(&genJob{gen: 1, header: header, data: data})
			if err == nil && batch != nil {
				for _, g := range batch.Goroutines {
					if g.Resource >= int32(len(batch.SyncResources)) {
						t.Fatalf("resource index %d of %d", g.Resource, len(batch.SyncResources))
					}
				}
			}
		}
	})
}

// FuzzReassembly offers the chunks of two sessions of one process (the
// second a restart: its generations count from the start again) in the
// order, with the duplicates and the gaps the schedule chooses. Whatever
// the schedule, nothing crashes, what is held stays within the stream
// bound, every batch is well formed, and a fresh session sent in order
// afterwards is read.
func FuzzReassembly(f *testing.F) {
	header, gens := splitTrace(f, getWorkload(f).raw)
	if len(gens) < 3 {
		f.Fatalf("%d generations", len(gens))
	}
	const chunkSize = 16 << 10
	var pool []*model.TraceChunk
	for _, g := range gens[:3] {
		pool = append(pool, chunks(header, g, 1, 0, chunkSize, true)...)
	}
	for _, g := range gens[:2] {
		pool = append(pool, chunks(header, g, 2, 0, chunkSize, true)...)
	}
	if len(pool) > 255 {
		pool = pool[:255] // a schedule byte names a chunk
	}
	inOrder := make([]byte, len(pool))
	for i := range inOrder {
		inOrder[i] = byte(i)
	}
	f.Add(inOrder)
	reversed := bytes.Clone(inOrder)
	slices.Reverse(reversed)
	f.Add(reversed)
	f.Add(append(bytes.Clone(inOrder[:len(inOrder)/2]), inOrder...)) // duplicates
	f.Add(inOrder[1:])                                               // the first chunk missing
	evens := []byte{}
	for i := 0; i < len(inOrder); i += 2 {
		evens = append(evens, inOrder[i])
	}
	f.Add(evens)
	const maxStream = 4 << 20
	f.Fuzz(func(t *testing.T, schedule []byte) {
		if len(schedule) > 4*len(pool) {
			schedule = schedule[:4*len(pool)]
		}
		r, c := newTestReader(t, Options{Workers: 1, MaxStreamBytes: maxStream})
		for _, i := range schedule {
			ch := *pool[int(i)%len(pool)]
			ch.Data = bytes.Clone(ch.Data)
			_ = r.Offer(&ch) // refusals are expected; only crashes and leaks are not
			if held := r.Stats().Held; held > 2*maxStream {
				t.Fatalf("holding %d bytes for two streams bounded at %d", held, maxStream)
			}
		}
		settle(t, r)
		before := len(c.all())
		offerAll(t, r, chunks(header, gens[0], 3, 0, chunkSize, true))
		settle(t, r)
		bs := c.all()
		if len(bs) <= before {
			t.Fatalf("a fresh session after the schedule was not read: %+v", r.Stats())
		}
		for _, b := range bs {
			for _, g := range b.Goroutines {
				if g.Resource >= int32(len(b.SyncResources)) {
					t.Fatalf("resource index %d of %d", g.Resource, len(b.SyncResources))
				}
			}
		}
	})
}
