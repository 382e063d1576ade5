package ingest

import (
	"path/filepath"
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
// recording rounds. It reports the spantop CPU per
// span of each and their ratio (issue 10: at most 1.25).
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
	var cpu, sys [2]time.Duration
	var rounds [2]int
	i := 0
	for b.Loop() {
		recording := i%2 == 1
		ru0 := rusage(b)
		round(recording)
		ru1 := rusage(b)
		k := 0
		if recording {
			k = 1
		}
		cpu[k] += cpuTime(ru1) - cpuTime(ru0)
		sys[k] += time.Duration(ru1.Stime.Nano() - ru0.Stime.Nano())
		rounds[k]++
		i++
	}
	if rounds[0] == 0 || rounds[1] == 0 {
		b.Skip("needs at least 2 iterations (-benchtime 2x or more)")
	}
	per := func(k int) float64 {
		return float64(cpu[k].Microseconds()) / float64(rounds[k]*benchRound*benchSpans)
	}
	b.ReportMetric(per(0), "cpu-µs/span-off")
	b.ReportMetric(per(1), "cpu-µs/span-rec")
	b.ReportMetric(per(1)/per(0), "rec/off")
	// The kernel's share (the file's writes among it).
	b.ReportMetric(float64(sys[0].Microseconds())/float64(rounds[0]*benchRound*benchSpans), "sys-µs/span-off")
	b.ReportMetric(float64(sys[1].Microseconds())/float64(rounds[1]*benchRound*benchSpans), "sys-µs/span-rec")
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
