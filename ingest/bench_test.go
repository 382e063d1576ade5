package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/spantop/spantop/model"
)

// benchSpans is the size of the benchmark request, like an SDK batch.
const benchSpans = 512

// benchSpansPerTrace groups the request's spans into traces with parents.
const benchSpansPerTrace = 8

var benchRoutes = []string{"/api/orders/{id}", "/api/users/{id}", "/api/cart", "/api/checkout", "/healthz", "/api/items/{id}", "/api/search", "/login"}

// benchRequest is a realistic 512-span export: one service, one scope, ten
// attributes per span (strings, ints, a bool, a double; a path and a user
// ID that vary).
func benchRequest(seed uint64) *coltrace.ExportTraceServiceRequest {
	rng := rand.New(rand.NewPCG(seed, 42))
	spans := make([]*tracepb.Span, 0, benchSpans)
	start := uint64(1_700_000_000_000_000_000)
	var traceID, parent []byte
	for i := range benchSpans {
		if i%benchSpansPerTrace == 0 {
			traceID = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, rng.Uint64()), rng.Uint64())
			parent = nil
		}
		spanID := binary.BigEndian.AppendUint64(nil, rng.Uint64()|1)
		route := benchRoutes[i%len(benchRoutes)]
		id := rng.IntN(1_000_000)
		s := &tracepb.Span{
			TraceId: traceID, SpanId: spanID, ParentSpanId: parent,
			Name:              "GET " + route,
			Kind:              tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: start + uint64(i)*1000,
			EndTimeUnixNano:   start + uint64(i)*1000 + uint64(rng.IntN(50_000_000)),
			Attributes: []*commonpb.KeyValue{
				strKV("http.request.method", "GET"),
				strKV("http.route", route),
				intKV("http.response.status_code", 200),
				strKV("server.address", "api.internal"),
				strKV("url.path", strings.Replace(route, "{id}", strconv.Itoa(id), 1)),
				strKV("user.id", "user-"+strconv.Itoa(id%100_000)),
				strKV("db.system", "postgresql"),
				intKV("net.peer.port", 5432),
				boolKV("cache.hit", id%3 == 0),
				doubleKV("sample.ratio", 0.25),
			},
			Status: &tracepb.Status{},
		}
		if i%benchSpansPerTrace == 0 {
			parent = spanID
		}
		spans = append(spans, s)
	}
	req := request(spans...)
	req.ResourceSpans[0].ScopeSpans[0].Scope = &commonpb.InstrumentationScope{Name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"}
	return req
}

func BenchmarkDecode(b *testing.B) {
	body := marshal(b, benchRequest(1))
	syms := model.NewSymbols()
	w := model.NewAttrWriter(syms)
	if _, _, _, err := DecodeTraces(body, syms, w); err != nil { // warm the intern table
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	ru0 := rusage(b)
	n := 0
	for b.Loop() {
		batch, _, _, err := DecodeTraces(body, syms, w)
		if err != nil || len(batch.Spans) != benchSpans {
			b.Fatal(err)
		}
		n++
	}
	ru1 := rusage(b)
	runtime.ReadMemStats(&ms1)
	spans := float64(n * benchSpans)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/spans, "ns/span")
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(float64((cpuTime(ru1)-cpuTime(ru0)).Nanoseconds())/spans, "cpu-ns/span")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/spans, "allocs/span")
}

// BenchmarkIngestGRPC measures spantop's own CPU per span and its
// throughput for OTLP/gRPC into a real model. The client runs in a separate
// process (this test binary re-executed as TestBenchClientProcess), so the
// CPU measured with getrusage(RUSAGE_SELF) is the receiver's, decoder's,
// queue's and model's only. One iteration is a round of benchRound
// requests over benchStreams concurrent streams; it ends when the model has
// applied every span of the round.
func BenchmarkIngestGRPC(b *testing.B) {
	// A smaller budget than the default so that the store is full and
	// evicting (its steady state in a long run) after a short warm-up.
	m, s, applied := startBenchServer(b, nil)
	runBenchClient(b, s.GRPCAddr(), applied.wait, func() bool { return m.Header().Evicted > 0 })
	b.ReportMetric(float64(m.Counters().Refused.Load()), "refused-spans")
}

// startBenchServer starts a gRPC receiver on loopback in front of a real
// model kept at a 128 MiB budget, applied by runBenchModel, with tap on
// the server when set; the benchmark's cleanup stops them.
func startBenchServer(b *testing.B, tap Tap) (*model.Model, *Server, *progress) {
	m := model.New(model.Config{MaxMemory: 128 << 20})
	q := NewQueue(0, m.Counters())
	applied := &progress{}
	ctx, cancel := context.WithCancel(context.Background())
	go runBenchModel(ctx, m, q, applied)
	s := NewServer(Config{GRPCAddr: "127.0.0.1:0"}, m.Symbols(), m.Counters(), q)
	if tap != nil {
		s.SetTap(tap)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = s.Shutdown(context.Background())
		cancel()
		q.Close()
	})
	return m, s, applied
}

// startBenchClient starts the client process sending to addr and returns
// a round: benchRound requests sent, and back once the client has its
// answers. The benchmark's cleanup ends the client.
func startBenchClient(b *testing.B, addr string) (round func()) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchClientProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchEnvAddr+"="+addr)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait() // the client exits when stdin closes
	})
	acks := bufio.NewScanner(stdout)
	return func() {
		if _, err := fmt.Fprintf(stdin, "%d\n", benchRound); err != nil {
			b.Fatal(err)
		}
		for acks.Scan() {
			if strings.HasPrefix(acks.Text(), "ack") {
				return
			}
		}
		b.Fatalf("client process ended: %v", acks.Err())
	}
}

// runBenchModel is m.Run, plus a count of the items applied.
func runBenchModel(ctx context.Context, m *model.Model, q *Queue, applied *progress) {
	t := time.NewTicker(model.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case batch, ok := <-q.C():
			if !ok {
				return
			}
			m.Apply(batch)
			applied.add(batch.Size())
		case <-t.C:
			m.Sweep()
		}
	}
}

// BenchmarkIngestGRPCCeiling is BenchmarkIngestGRPC with a receiver that
// does the least any OTLP receiver must: the same gRPC server and raw codec,
// and a protowire walk that counts the spans. It is the ceiling spantop's
// figures are measured against.
func BenchmarkIngestGRPCCeiling(b *testing.B) {
	benchCeiling(b, traceService, countSpans, &coltrace.ExportTraceServiceResponse{})
}

// benchCeiling runs the benchmark client against a count-only receiver of
// one OTLP service.
func benchCeiling(b *testing.B, service string, count func([]byte) (int, error), resp any) {
	var counted progress
	g := grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{}), grpc.MaxRecvMsgSize(DefaultMaxMessage))
	handler := func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		var m rawMsg
		if err := dec(&m); err != nil {
			return nil, err
		}
		defer m.free()
		n, err := count(m.bytes())
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		counted.add(n)
		return resp, nil
	}
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: service,
		HandlerType: (*anyHandler)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: handler}},
	}, nil)
	l, err := listen("127.0.0.1:0", "--grpc")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = g.Serve(l) }()
	defer g.Stop()
	runBenchClient(b, l.Addr().String(), counted.wait, func() bool { return true })
}

// progress counts spans handled and wakes a waiter when a target is
// reached, without polling (polling would add to the CPU measured).
type progress struct {
	done    atomic.Int64
	target  atomic.Int64
	reached chan struct{}
	once    sync.Once
}

func (p *progress) ch() chan struct{} {
	p.once.Do(func() { p.reached = make(chan struct{}, 1) })
	return p.reached
}

func (p *progress) add(n int) {
	if p.done.Add(int64(n)) >= p.target.Load() {
		select {
		case p.ch() <- struct{}{}:
		default:
		}
	}
}

func (p *progress) wait(target int64) {
	p.target.Store(target)
	for p.done.Load() < target {
		<-p.ch()
	}
}

const (
	benchRound   = 64 // requests per iteration
	benchStreams = 8  // concurrent client streams
	benchEnvAddr = "SPANTOP_BENCH_CLIENT_ADDR"
)

// runBenchClient starts the client process, runs b.Loop rounds through it
// and reports spans/s and the server process's CPU µs per span. wait blocks
// until the server has handled target spans in all.
func runBenchClient(b *testing.B, addr string, wait func(target int64), warm func() bool) {
	round := startBenchClient(b, addr)
	// Warm up: connection, intern table, and the receiver's steady state.
	var sent int64
	for {
		round()
		sent += benchRound * benchSpans
		wait(sent)
		if warm() {
			break
		}
	}

	ru0 := rusage(b)
	start := time.Now()
	rounds := 0
	for b.Loop() {
		round()
		sent += benchRound * benchSpans
		wait(sent)
		rounds++
	}
	elapsed := time.Since(start)
	ru1 := rusage(b)
	spans := float64(rounds * benchRound * benchSpans)
	cpu := cpuTime(ru1) - cpuTime(ru0)
	unit := benchUnit()
	b.ReportMetric(spans/elapsed.Seconds(), unit+"s/s")
	b.ReportMetric(float64(cpu.Microseconds())/spans, "cpu-µs/"+unit)
	b.ReportMetric(float64(elapsed.Nanoseconds())/spans, "ns/"+unit)
}

func rusage(b *testing.B) syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru
}

func cpuTime(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBenchClientProcess is the benchmarks' client, run in its own process.
// It skips unless started by runBenchClient. Each line "N" on stdin asks for
// N requests of benchRequest over benchStreams concurrent streams, every one
// with fresh trace IDs; it answers "ack" when all were accepted (refused
// ones are retried after a short pause, as an SDK would).
func TestBenchClientProcess(t *testing.T) {
	addr := os.Getenv(benchEnvAddr)
	if addr == "" {
		t.Skip("only run by the ingest benchmarks")
	}
	body, offsets, method := benchClientRequest(t)
	var conns []*grpc.ClientConn
	for range 2 {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		conns = append(conns, cc)
	}
	var seq atomic.Uint64
	send := func(cc *grpc.ClientConn, buf []byte) {
		n := seq.Add(1)
		for _, off := range offsets {
			binary.BigEndian.PutUint64(buf[off:], n)
		}
		for {
			err := cc.Invoke(context.Background(), method, buf, &coltrace.ExportTraceServiceResponse{}, grpc.ForceCodecV2(rawCodec{}))
			if err == nil {
				return
			}
			if status.Code(err) != codes.ResourceExhausted {
				fmt.Fprintln(os.Stderr, "bench client:", err)
				os.Exit(1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		n, err := strconv.Atoi(in.Text())
		if err != nil {
			t.Fatal(err)
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for i := range benchStreams {
			wg.Go(func() {
				buf := bytes.Clone(body)
				for next.Add(1) <= int64(n) {
					send(conns[i%len(conns)], buf)
				}
			})
		}
		wg.Wait()
		if _, err := io.WriteString(os.Stdout, "ack\n"); err != nil {
			t.Fatal(err)
		}
	}
}

// patchableRequest marshals benchRequest and finds where each span's trace
// ID sits, so the client can make every request's trace IDs unique by
// overwriting their first 8 bytes.
func patchableRequest(t testing.TB) ([]byte, []int) {
	req := benchRequest(7)
	var ids [][]byte
	for _, sp := range req.ResourceSpans[0].ScopeSpans[0].Spans {
		ids = append(ids, sp.TraceId)
	}
	body := marshal(t, req)
	return body, idOffsets(t, body, ids)
}

// idOffsets finds each of ids, in order, in a marshalled request.
func idOffsets(t testing.TB, body []byte, ids [][]byte) []int {
	var offsets []int
	from := 0
	for _, id := range ids {
		i := bytes.Index(body[from:], id)
		if i < 0 {
			t.Fatal("trace ID not found in the marshalled request")
		}
		offsets = append(offsets, from+i)
		from += i + len(id)
	}
	return offsets
}
