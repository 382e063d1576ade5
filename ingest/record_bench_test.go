package ingest

import (
	"math"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spantop/spantop/ingest/otlpjson"
	"github.com/spantop/spantop/ingest/record"
)

// switchTap passes requests to a tap only while on, so that one run can
// measure ingest with and without it on the same server and connection.
type switchTap struct {
	on atomic.Bool
	t  Tap
}

func (s *switchTap) Received(sig Signal, body []byte, json bool, at time.Time) {
	if s.on.Load() {
		s.t.Received(sig, body, json, at)
	}
}

// BenchmarkIngestGRPCRecording is BenchmarkIngestGRPC with --record: the
// same server runs rounds without and with the recorder, alternately, and
// the recorder's writer is waited for (every request written and flushed
// to the file) before each round's CPU is read, so its cost falls on the
// recording rounds. It reports the spantop CPU per span of each and their
// ratio (issue 10: at most 1.25), with the garbage collector's cost spread
// over the rounds by what each mode allocated (perSpanCosts), and the
// ratio with each collection left in the round it fell in (as-fell).
func BenchmarkIngestGRPCRecording(b *testing.B) { benchRecording(b, "bench.jsonl") }

// BenchmarkIngestGRPCRecordingGzip is the same with a .gz recording.
func BenchmarkIngestGRPCRecordingGzip(b *testing.B) { benchRecording(b, "bench.jsonl.gz") }

func benchRecording(b *testing.B, name string) {
	rec, err := record.Open(record.Options{Path: filepath.Join(b.TempDir(), name)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rec.Close() }) // after the server's shutdown (cleanups run last first)
	tap := &switchTap{t: rec}
	m, s, applied := startBenchServer(b, tap)
	sendRound := startBenchClient(b, s.GRPCAddr())
	var sent int64
	var written int64 // requests the recorder has written
	round := func(recording bool) {
		tap.on.Store(recording)
		sendRound()
		sent += benchRound * benchSpans
		applied.wait(sent)
		if recording {
			written += benchRound
			// The last lines wait up to the recorder's 100 ms flush: looked
			// at every 200 µs, the waiting cost the recording rounds 500
			// wake-ups (2-5% of their CPU), which a few looks do not.
			for st := rec.Stats(); st.Requests+st.Dropped < written || st.Unflushed > 0; st = rec.Stats() {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	for m.Header().Evicted == 0 { // warm up to the steady state
		round(false)
		round(true)
	}
	var rounds []benchRoundCost
	for b.Loop() {
		mode := len(rounds) % 2 // 0 off, 1 recording
		gc0, alloc0 := heapCounters()
		ru0 := rusage(b)
		round(mode == 1)
		ru1 := rusage(b)
		gc1, alloc1 := heapCounters()
		rounds = append(rounds, benchRoundCost{
			mode: mode, cpu: cpuTime(ru1) - cpuTime(ru0), sys: time.Duration(ru1.Stime.Nano() - ru0.Stime.Nano()),
			gcs: gc1 - gc0, alloc: alloc1 - alloc0,
		})
	}
	if len(rounds) < 2 {
		b.Skip("needs at least 2 iterations (-benchtime 2x or more)")
	}
	spansPerRound := float64(benchRound * benchSpans)
	spread, fell := perSpanCosts(rounds, spansPerRound)
	b.ReportMetric(spread[0], "cpu-µs/span-off")
	b.ReportMetric(spread[1], "cpu-µs/span-rec")
	b.ReportMetric(spread[1]/spread[0], "rec/off")
	b.ReportMetric(fell[1]/fell[0], "rec/off-as-fell")
	for k, t := range totalsByMode(rounds) {
		name := [2]string{"off", "rec"}[k]
		spans := float64(t.n) * spansPerRound
		b.ReportMetric(float64(t.gcs), "gc-"+name)
		b.ReportMetric(float64(t.alloc)/spans, "alloc-B/span-"+name)
		// The kernel's share (the file's writes among it).
		b.ReportMetric(float64(t.sys.Microseconds())/spans, "sys-µs/span-"+name)
	}
	b.ReportMetric(float64(rec.Stats().Dropped), "rec-dropped")
	if st := rec.Stats(); st.Requests > 0 {
		// What the file takes per span (compressed for .gz), once flushed.
		if err := rec.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rec.Stats().Total)/float64(st.Requests*benchSpans), "disk-B/span")
	}
}

// BenchmarkRecordEncode is the recorder's conversion of the benchmark
// request to an OTLP/JSON line, per span (issue 10's budget for the whole
// recording is about a quarter of ingest's CPU per span).
func BenchmarkRecordEncode(b *testing.B) {
	benchEncode(b, [][]byte{marshal(b, benchRequest(1))})
}

// BenchmarkRecordEncodeUnique is the worst case for the encoder's memo of
// attributes: every attribute of every span is new.
func BenchmarkRecordEncodeUnique(b *testing.B) {
	var bodies [][]byte
	for s := range 64 {
		req := benchRequest(uint64(s))
		for i, sp := range req.ResourceSpans[0].ScopeSpans[0].Spans {
			for j, kv := range sp.Attributes {
				kv.Key += "." + strconv.Itoa((s*benchSpans+i)*16+j)
			}
		}
		bodies = append(bodies, marshal(b, req))
	}
	benchEncode(b, bodies)
}

func benchEncode(b *testing.B, bodies [][]byte) {
	var enc otlpjson.Encoder
	var out []byte
	b.SetBytes(int64(len(bodies[0])))
	b.ReportAllocs()
	ru0 := rusage(b)
	i := 0
	for b.Loop() {
		var err error
		if out, err = enc.Append(out[:0], otlpjson.Traces, bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	// CPU rather than wall time: the machine may be shared.
	b.ReportMetric(float64((cpuTime(rusage(b))-cpuTime(ru0)).Nanoseconds())/float64(b.N*benchSpans), "cpu-ns/span")
	b.ReportMetric(float64(len(out))/benchSpans, "json-B/span")
}

// benchRoundCost is what one round of benchRecording cost: its mode (0
// off, 1 recording), the process's CPU and the kernel's part of it, the
// garbage collections that completed in it and the heap bytes it
// allocated.
type benchRoundCost struct {
	mode     int
	cpu, sys time.Duration
	gcs      uint64
	alloc    uint64
}

// modeTotals sums one mode's rounds.
type modeTotals struct {
	n        int
	cpu, sys time.Duration
	gcs      uint64
	alloc    uint64
}

func totalsByMode(rounds []benchRoundCost) (t [2]modeTotals) {
	for _, r := range rounds {
		m := &t[r.mode]
		m.n++
		m.cpu += r.cpu
		m.sys += r.sys
		m.gcs += r.gcs
		m.alloc += r.alloc
	}
	return t
}

// perSpanCosts returns each mode's CPU µs per span two ways. fell leaves
// each collection where it fell. A run has two or three, each about two
// thirds of a round's CPU here, and where they fall moved the ratio by up
// to 10% from run to run. spread takes each mode's quiet rounds as its
// cost, and shares out what the others cost above that by the bytes each
// mode allocated, which is what brings collections on. A round is quiet
// when no collection completed in it or in the round after it (one may
// have started in it).
func perSpanCosts(rounds []benchRoundCost, spansPerRound float64) (spread, fell [2]float64) {
	collecting := func(i int) bool {
		return rounds[i].gcs > 0 || i+1 < len(rounds) && rounds[i+1].gcs > 0
	}
	all := totalsByMode(rounds)
	var quiet [2]time.Duration
	var nQuiet [2]int
	for i, r := range rounds {
		if !collecting(i) {
			quiet[r.mode] += r.cpu
			nQuiet[r.mode]++
		}
	}
	var typical [2]float64 // µs a round without a collection
	for k := range 2 {
		fell[k] = float64(all[k].cpu.Microseconds()) / (float64(all[k].n) * spansPerRound)
		if nQuiet[k] == 0 {
			return fell, fell // every round had one: nothing to share out
		}
		typical[k] = float64(quiet[k].Microseconds()) / float64(nQuiet[k])
	}
	excess := 0.0 // what the other rounds cost above their mode's typical round
	for i, r := range rounds {
		if collecting(i) {
			excess += float64(r.cpu.Microseconds()) - typical[r.mode]
		}
	}
	for k := range 2 {
		share := 0.5
		if allocs := all[0].alloc + all[1].alloc; allocs > 0 {
			share = float64(all[k].alloc) / float64(allocs)
		}
		n := float64(all[k].n)
		spread[k] = (typical[k]*n + excess*share) / (n * spansPerRound)
	}
	return spread, fell
}

// heapCounters reads the garbage collections completed and the bytes the
// heap has allocated so far.
func heapCounters() (gcs, alloc uint64) {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

func TestPerSpanCostsSharesCollectionsByAllocation(t *testing.T) {
	us := func(n int) time.Duration { return time.Duration(n) * time.Microsecond }
	rounds := []benchRoundCost{
		{mode: 0, cpu: us(100), alloc: 10}, {mode: 1, cpu: us(120), alloc: 5},
		// The collection completed in the recording round, 60 µs above a
		// typical one; it started in the round before, 10 above.
		{mode: 0, cpu: us(110), alloc: 10}, {mode: 1, cpu: us(180), alloc: 5, gcs: 1},
		{mode: 0, cpu: us(100), alloc: 20}, {mode: 1, cpu: us(120), alloc: 0},
	}
	// Off allocated 40 of 50 bytes: it takes 56 of the 70 µs.
	spread, fell := perSpanCosts(rounds, 2)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if want := (300.0 + 56) / 6; !near(spread[0], want) {
		t.Errorf("off: %v µs a span, want %v", spread[0], want)
	}
	if want := (360.0 + 14) / 6; !near(spread[1], want) {
		t.Errorf("recording: %v µs a span, want %v", spread[1], want)
	}
	if !near(fell[0], 310.0/6) || !near(fell[1], 420.0/6) {
		t.Errorf("as fell: %v", fell)
	}
	// Every round of a mode with a collection: nothing to compare with.
	for i := range rounds {
		rounds[i].gcs = 1
	}
	if spread, fell := perSpanCosts(rounds, 2); spread != fell {
		t.Errorf("with a collection in every round: %v, want %v", spread, fell)
	}
}
