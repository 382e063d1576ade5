// Command benchsteady measures what the whole spantop process costs at a
// steady rate of spans with its UI running in a pseudo-terminal (tmux), next
// to a receiver that only counts spans, in the same run so that the machine's
// load falls on both. For each receiver it reports the CPU it used, as a
// percentage of one core and as microseconds per span, while spans arrive at
// the fixed rate, and while idle: before any load (fresh) and in the seconds
// after it.
//
//	go run ./scripts/benchsteady [flags] BIN...   (make bench-steady)
//
// Each BIN is a spantop binary; several can be compared (a build of main
// against this tree). The CPU time is read from /proc/PID/stat, so it counts
// every thread of the process and nothing else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

type config struct {
	rate      int
	batch     int
	load      time.Duration
	warmup    time.Duration
	idle      time.Duration
	after     time.Duration
	cols      int
	rows      int
	rounds    int
	stored    int
	settle    time.Duration
	baseline  bool   // measure the count-only receiver too
	perfDir   string // record a perf profile of each measured phase here
	sendTo    string // only send the load to this address (a spantop you watch)
	countOnly string // internal: serve as the count-only receiver on this address
}

func main() {
	var c config
	flag.IntVar(&c.rate, "rate", 10_000, "spans per second")
	flag.IntVar(&c.batch, "batch", 512, "spans per export request")
	flag.DurationVar(&c.load, "load", 20*time.Second, "how long the load is measured")
	flag.DurationVar(&c.warmup, "warmup", 3*time.Second, "load before the measurement starts")
	flag.DurationVar(&c.idle, "idle", 10*time.Second, "idle time measured before the load (fresh)")
	flag.DurationVar(&c.after, "after", 20*time.Second, "idle time measured after the load")
	flag.IntVar(&c.cols, "cols", 200, "terminal width")
	flag.IntVar(&c.rows, "rows", 50, "terminal height")
	flag.IntVar(&c.rounds, "rounds", 1, "rounds; each runs every receiver once, in turn")
	flag.IntVar(&c.stored, "stored", 1_000_000, "spans stored (sent at full speed, --retain 1h) before a last idle measurement; 0 skips it")
	flag.DurationVar(&c.settle, "settle", 5*time.Second, "wait between storing the spans and measuring: 5s catches the store settling (trace checks, the fill's garbage); over --linger's 30s, a store at rest")
	flag.BoolVar(&c.baseline, "count-only", true, "measure the count-only receiver too (the baseline)")
	flag.StringVar(&c.perfDir, "perf", "", "record a CPU profile of each measured phase of each spantop with perf record -g into `dir` (NAME-PHASE.data)")
	flag.StringVar(&c.sendTo, "send", "", "only send the load (-rate, -batch, for -load) to the OTLP/gRPC `addr` of a spantop you run yourself, then exit")
	flag.StringVar(&c.countOnly, "serve-count-only", "", "internal: run the count-only receiver on `addr`")
	flag.Parse()
	if c.countOnly != "" {
		if err := serveCountOnly(c.countOnly); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if c.sendTo != "" {
		if err := sendOnly(c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: benchsteady [flags] SPANTOP_BINARY...")
		os.Exit(2)
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		fmt.Fprintln(os.Stderr, "benchsteady needs tmux")
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("steady load: %d spans/s in batches of %d over OTLP/gRPC; load %s after %s warm-up; idle %s fresh, %s after, %s with %d stored (from %s after); UI %dx%d in tmux\n",
		c.rate, c.batch, c.load, c.warmup, c.idle, c.after, c.idle, c.stored, c.settle, c.cols, c.rows)
	fmt.Printf("%-28s %10s %10s %12s %12s %13s %9s\n", "receiver", "load %core", "µs/span", "idle fresh %", "idle after %", "idle stored %", "spans")
	for r := 0; r < c.rounds; r++ {
		runs := flag.Args()
		if c.baseline {
			runs = append([]string{""}, runs...)
		}
		for _, bin := range runs {
			res, err := measure(ctx, c, bin)
			if err == nil && c.stored > 0 {
				res.storedPct, err = measureStored(ctx, c, bin)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "benchsteady:", err)
				os.Exit(1)
			}
			name := "count-only receiver"
			if bin != "" {
				name = filepath.Base(filepath.Dir(bin)) + "/" + filepath.Base(bin)
			}
			fmt.Printf("%-28s %10.2f %10.2f %12.3f %12.3f %13.3f %9d\n", name, res.loadPct, res.usPerSpan, res.freshPct, res.afterPct, res.storedPct, res.spans)
		}
	}
}

type result struct {
	loadPct, usPerSpan, freshPct, afterPct, storedPct float64
	spans                                             int64
}

// measure starts one receiver (the count-only one when bin is empty),
// measures it idle, under load and idle again, and stops it.
func measure(ctx context.Context, c config, bin string) (result, error) {
	var res result
	addr, pid, stopProc, err := start(c, bin)
	if err != nil {
		return res, err
	}
	defer stopProc()
	if res.freshPct, err = idlePhase(ctx, c, bin, "fresh", pid, c.idle); err != nil {
		return res, err
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return res, err
	}
	defer conn.Close()
	client := coltracepb.NewTraceServiceClient(conn)
	var sent atomic.Int64
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- send(loadCtx, client, c, &sent) }()
	select {
	case <-time.After(c.warmup):
	case err := <-done:
		stopLoad()
		return res, fmt.Errorf("sending: %w", err)
	}
	endPerf := startPerf(c, bin, "load", pid)
	t0, cpu0, err := sample(pid)
	if err != nil {
		endPerf()
		stopLoad()
		return res, err
	}
	n0 := sent.Load()
	select {
	case <-time.After(c.load):
	case err := <-done:
		endPerf()
		stopLoad()
		return res, fmt.Errorf("sending: %w", err)
	case <-ctx.Done():
	}
	t1, cpu1, err := sample(pid)
	n1 := sent.Load()
	endPerf()
	stopLoad()
	<-done
	if err != nil {
		return res, err
	}
	res.spans = n1 - n0
	res.loadPct = 100 * (cpu1 - cpu0).Seconds() / t1.Sub(t0).Seconds()
	if res.spans > 0 {
		res.usPerSpan = float64((cpu1 - cpu0).Microseconds()) / float64(res.spans)
	}
	if res.afterPct, err = idlePhase(ctx, c, bin, "after", pid, c.after); err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// start starts one receiver (the count-only one when bin is empty) with
// extra arguments for spantop, and waits until it listens and has started.
func start(c config, bin string, extra ...string) (addr string, pid int, stop func(), err error) {
	if addr, err = freeAddr(); err != nil {
		return "", 0, nil, err
	}
	if bin == "" {
		self, err := os.Executable()
		if err != nil {
			return "", 0, nil, err
		}
		cmd := exec.Command(self, "-serve-count-only", addr)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return "", 0, nil, err
		}
		pid = cmd.Process.Pid
		stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	} else if pid, stop, err = startInTmux(c, bin, addr, extra...); err != nil {
		return "", 0, nil, err
	}
	if err := waitListening(addr, 10*time.Second); err != nil {
		stop()
		return "", 0, nil, err
	}
	time.Sleep(2 * time.Second) // start-up work is not idle
	return addr, pid, stop, nil
}

// measureStored starts a receiver that keeps everything for an hour, sends
// it c.stored spans as fast as it takes them, lets it settle and measures
// it idle: what a large store costs while nothing arrives.
func measureStored(ctx context.Context, c config, bin string) (float64, error) {
	addr, pid, stop, err := start(c, bin, "--retain", "1h", "--max-memory", "2GiB")
	if err != nil {
		return 0, err
	}
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	client := coltracepb.NewTraceServiceClient(conn)
	req := newRequest(c.batch)
	var seq uint64
	for sent := 0; sent < c.stored; sent += c.batch {
		fillRequest(req, &seq, time.Now())
		if err := exportRetrying(ctx, client, req); err != nil {
			return 0, fmt.Errorf("filling: %w", err)
		}
	}
	time.Sleep(c.settle) // the last batches applied, the rates settled
	return idlePhase(ctx, c, bin, "stored", pid, c.idle)
}

// idlePhase measures the process's CPU over d as a percentage of a core,
// with a profile of the phase when -perf asks for one.
func idlePhase(ctx context.Context, c config, bin, phase string, pid int, d time.Duration) (float64, error) {
	defer startPerf(c, bin, phase, pid)()
	return cpuOver(ctx, pid, d)
}

// startPerf starts recording a CPU profile of spantop's process (not of the
// count-only receiver) for one phase when -perf names a directory, and
// returns what ends the recording.
func startPerf(c config, bin, phase string, pid int) (end func()) {
	if c.perfDir == "" || bin == "" {
		return func() {}
	}
	name := filepath.Base(filepath.Dir(bin)) + "-" + filepath.Base(bin) + "-" + phase + ".data"
	cmd := exec.Command("perf", "record", "-g", "-q", "-o", filepath.Join(c.perfDir, name), "-p", strconv.Itoa(pid))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "benchsteady: perf:", err)
		return func() {}
	}
	return func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
}

// exportRetrying sends req, again after a pause while the receiver says
// it is busy: the fill goes as fast as the receiver takes it.
func exportRetrying(ctx context.Context, client coltracepb.TraceServiceClient, req *coltracepb.ExportTraceServiceRequest) error {
	for {
		_, err := client.Export(ctx, req)
		switch status.Code(err) {
		case codes.ResourceExhausted, codes.Unavailable:
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			return err
		}
	}
}

// startInTmux runs spantop in a detached tmux session of the configured
// size and returns its process ID.
func startInTmux(c config, bin, addr string, extra ...string) (int, func(), error) {
	dir, err := os.MkdirTemp("", "benchsteady-")
	if err != nil {
		return 0, nil, err
	}
	sock := filepath.Join(dir, "tmux.sock")
	tmux := func(args ...string) ([]byte, error) {
		return exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return 0, nil, err
	}
	// exec: the pane's process is spantop itself, not a shell around it.
	cmdline := "exec " + shellQuote(abs) + " --grpc " + addr + " --http '' --log " + shellQuote(filepath.Join(dir, "spantop.log"))
	for _, a := range extra {
		cmdline += " " + shellQuote(a)
	}
	if out, err := tmux("new-session", "-d", "-s", "bench", "-x", strconv.Itoa(c.cols), "-y", strconv.Itoa(c.rows),
		"-e", "TERM=xterm-256color", "-e", "COLORTERM=truecolor", cmdline); err != nil {
		os.RemoveAll(dir)
		return 0, nil, fmt.Errorf("tmux: %v: %s", err, out)
	}
	stop := func() {
		_, _ = tmux("kill-server")
		os.RemoveAll(dir)
	}
	out, err := tmux("display-message", "-p", "-t", "bench", "#{pane_pid}")
	if err != nil {
		stop()
		return 0, nil, fmt.Errorf("tmux pane pid: %v: %s", err, out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		stop()
		return 0, nil, err
	}
	return pid, stop, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// sendOnly sends the load to c.sendTo for c.load.
func sendOnly(c config) error {
	conn, err := grpc.NewClient(c.sendTo, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, stop := context.WithTimeout(context.Background(), c.load)
	defer stop()
	var sent atomic.Int64
	err = send(ctx, coltracepb.NewTraceServiceClient(conn), c, &sent)
	fmt.Printf("sent %d spans\n", sent.Load())
	return err
}

// send exports spans at the configured rate until ctx ends: every batch is
// due at a fixed time, so a slow answer does not lower the rate.
func send(ctx context.Context, client coltracepb.TraceServiceClient, c config, sent *atomic.Int64) error {
	req := newRequest(c.batch)
	interval := time.Duration(float64(time.Second) * float64(c.batch) / float64(c.rate))
	next := time.Now()
	var seq uint64
	for {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(d):
			}
		} else if ctx.Err() != nil {
			return nil
		}
		next = next.Add(interval)
		fillRequest(req, &seq, time.Now())
		if _, err := client.Export(ctx, req); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		sent.Add(int64(c.batch))
	}
}

// fillRequest gives the request's spans the next IDs, ending now.
func fillRequest(req *coltracepb.ExportTraceServiceRequest, seq *uint64, now time.Time) {
	for i, s := range req.ResourceSpans[0].ScopeSpans[0].Spans {
		*seq++
		n := *seq
		// Traces of eight spans: a root and its seven children.
		trace := n / 8
		putU64(s.TraceId[8:], trace)
		putU64(s.SpanId, n)
		if n%8 == 0 {
			s.ParentSpanId = nil
		} else {
			s.ParentSpanId = make([]byte, 8)
			putU64(s.ParentSpanId, trace*8)
		}
		// 1–50 ms to the nanosecond, as an app's are: with a few distinct
		// durations the spans lingering out of a table sorted by Total
		// are neighbours in its index, and take it far less work.
		dur := time.Millisecond + time.Duration(n*2654435761%49_000_000)
		s.EndTimeUnixNano = uint64(now.UnixNano())
		s.StartTimeUnixNano = uint64(now.Add(-dur).UnixNano())
		s.Name = names[i%len(names)]
	}
}

var names = []string{"GET /api/users", "SELECT users", "GET /api/orders", "cache.get", "POST /api/checkout", "publish order", "render", "auth.check"}

func putU64(b []byte, v uint64) {
	for i := range 8 {
		b[7-i] = byte(v >> (8 * i))
	}
}

func newRequest(n int) *coltracepb.ExportTraceServiceRequest {
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	spans := make([]*tracepb.Span, n)
	for i := range spans {
		spans[i] = &tracepb.Span{
			TraceId: make([]byte, 16), SpanId: make([]byte, 8),
			Kind:       tracepb.Span_SPAN_KIND_SERVER,
			Attributes: []*commonpb.KeyValue{str("http.method", "GET"), str("http.route", "/api/users/{id}"), str("net.peer.name", "10.0.0.7")},
		}
		spans[i].TraceId[0] = 0xbe
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "bench"), str("host.name", "bench-host")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
	}}}
}

// cpuOver returns the CPU the process used over d, in percent of a core.
func cpuOver(ctx context.Context, pid int, d time.Duration) (float64, error) {
	t0, c0, err := sample(pid)
	if err != nil {
		return 0, err
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	t1, c1, err := sample(pid)
	if err != nil {
		return 0, err
	}
	return 100 * (c1 - c0).Seconds() / t1.Sub(t0).Seconds(), nil
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times on Linux.
const clockTick = 100

// sample reads the CPU time the process has used: the sum of its threads'
// run time in /proc/PID/task/*/schedstat (nanoseconds), or, where that is
// not available, user+system time from /proc/PID/stat, which counts in
// 10 ms ticks: too coarse for an idle process over a few seconds (0.2% of
// a core for 10 s is two ticks).
func sample(pid int) (time.Time, time.Duration, error) {
	now := time.Now()
	if d, ok := schedstat(pid); ok {
		return now, d, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return now, 0, err
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return now, 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return now, 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // utime, field 14
	st, err2 := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	if err1 != nil || err2 != nil {
		return now, 0, errors.New("bad /proc stat")
	}
	return now, time.Duration(ut+st) * time.Second / clockTick, nil
}

// schedstat sums the run time of the process's threads. A thread that
// exited takes its time with it; the Go runtime keeps its threads.
func schedstat(pid int) (time.Duration, bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, false
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if err != nil {
			continue // exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, false
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		sum += time.Duration(ns)
	}
	return sum, true
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func waitListening(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			return c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after %s", addr, d)
}

// countOnly is the baseline: a receiver that decodes each request with
// the generated types and counts its spans, nothing more.
type countOnly struct {
	coltracepb.UnimplementedTraceServiceServer
	spans atomic.Int64
}

func (s *countOnly) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	n := 0
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	s.spans.Add(int64(n))
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func serveCountOnly(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, &countOnly{})
	return srv.Serve(l)
}
