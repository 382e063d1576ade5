package gotrace

import (
	"bytes"
	"io"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xtrace "golang.org/x/exp/trace"
)

var (
	busyOnce  sync.Once
	busyBytes []byte
)

// busyTrace is a trace dense in scheduling events: goroutine pairs
// ping-ponging over channels with a shared mutex, for 1.5s (two generations).
func busyTrace(b *testing.B) (header []byte, jobs []*genJob, size int64) {
	busyOnce.Do(func() {
		var buf bytes.Buffer
		if err := trace.Start(&buf); err != nil {
			b.Fatal(err)
		}
		var done atomic.Bool
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 4 {
			ping, pong := make(chan int), make(chan int)
			wg.Go(func() {
				for !done.Load() {
					ping <- 1
					<-pong
				}
				close(ping)
			})
			wg.Go(func() {
				for range ping {
					mu.Lock()
					mu.Unlock() //lint:ignore SA2001 contention on the lock is the point
					pong <- 1
				}
			})
		}
		time.Sleep(1500 * time.Millisecond)
		done.Store(true)
		wg.Wait()
		trace.Stop()
		busyBytes = buf.Bytes()
	})
	header, gens := splitTrace(b, busyBytes)
	for _, g := range gens {
		data := append(bytes.Join(g.batches, nil), evEndOfGeneration)
		jobs = append(jobs, &genJob{gen: g.gen, header: header, data: data})
		size += int64(len(data))
	}
	return header, jobs, size
}

// BenchmarkParse measures the whole read of a generation: x/exp/trace and
// the builder, per byte of trace and per event.
func BenchmarkParse(b *testing.B) {
	_, jobs, size := busyTrace(b)
	opts := Options{}
	opts.setDefaults()
	b.SetBytes(size)
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		bl := newBuilder(&opts, &counters{}, testResource, 1)
		for _, j := range jobs {
			_, n, err := bl.generation(j)
			if err != nil {
				b.Fatal(err)
			}
			events += n
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkParserAlone measures x/exp/trace reading the same generations,
// for the builder's share of BenchmarkParse.
func BenchmarkParserAlone(b *testing.B) {
	_, jobs, size := busyTrace(b)
	b.SetBytes(size)
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		for _, j := range jobs {
			rd, err := xtrace.NewReader(io.MultiReader(bytes.NewReader(j.header), bytes.NewReader(j.data)))
			if err != nil {
				b.Fatal(err)
			}
			for {
				_, err := rd.ReadEvent()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				events++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}
