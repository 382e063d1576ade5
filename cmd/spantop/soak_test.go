package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// TestSoak is `make soak` (not in CI: it runs only when SOAK_TIME is
// set): spantop in tmux at a small budget, for SOAK_TIME, under mixed
// traffic — SDK traces over gRPC and HTTP, logs, metrics, hostile bodies,
// agentlib apps (the demo workload) coming and going — while a key is
// pressed every 2s and the screen must answer it. It reports peak RSS,
// refusals, drops and the UI's answers, and fails if spantop dies or the
// UI stops answering.
func TestSoak(t *testing.T) {
	soakTime := os.Getenv("SOAK_TIME")
	if soakTime == "" {
		t.Skip("SOAK_TIME not set (make soak)")
	}
	d, err := time.ParseDuration(soakTime)
	if err != nil {
		t.Fatalf("SOAK_TIME=%q: %v", soakTime, err)
	}
	budget := os.Getenv("SOAK_BUDGET")
	if budget == "" {
		budget = "64MiB"
	}
	budgetBytes, err := parseSize(budget)
	if err != nil {
		t.Fatal(err)
	}
	tm := startTerm(t, 120, 40, "--max-memory", budget)
	tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
	pid := tm.spantopPID()
	bin := spantopBinary(t)

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	var st soakStats
	run := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	run(func() { soakSDK(ctx, grpcExporterNoRetry(t, tm.grpc), "soak-grpc", 2000, &st) })
	run(func() { soakSDK(ctx, httpExporter(t, tm.http), "soak-http", 500, &st) })
	run(func() { soakLogsMetrics(ctx, "http://"+tm.http, &st) })
	run(func() { soakHostile(ctx, "http://"+tm.http, &st) })
	run(func() { soakAgentApps(ctx, bin, tm.grpc, &st) })

	// The UI: every 2s a key, and the screen must show its view within
	// keyWait; how long each took is reported.
	const keyWait = 5 * time.Second
	var peakHWM, lastRSS int64
	keys, keysOK, keysSlow := 0, 0, 0
	var worstKey time.Duration
	view := "o"
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	start := time.Now()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		if err := syscall.Kill(pid, 0); err != nil {
			t.Fatalf("spantop died after %v: %v", time.Since(start).Round(time.Second), err)
		}
		hwm, rss := procMem(pid)
		peakHWM, lastRSS = max(peakHWM, hwm), rss
		keys++
		sent := time.Now()
		tm.keys(view)
		want := view == "o"
		for time.Since(sent) < keyWait {
			if strings.Contains(tm.screen(), "p50") == want {
				took := time.Since(sent)
				keysOK++
				if took > time.Second {
					keysSlow++
				}
				worstKey = max(worstKey, took)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		view = map[string]string{"o": "t", "t": "o"}[view]
	}
	wg.Wait()
	screen := tm.screen()
	hwm, _ := procMem(pid)
	peakHWM = max(peakHWM, hwm)
	tm.keys("q")
	code := tm.waitExit()

	lines := strings.Split(screen, "\n")
	fmt.Printf("\n== spantop soak: %v at --max-memory %s ==\n", d, budget)
	fmt.Printf("header at the end:\n  %s\n  %s\n  %s\n", lines[0], lines[1], lines[2])
	fmt.Printf("peak RSS (VmHWM) %.1f MiB = %.2f× the budget; RSS at the end %.1f MiB\n",
		float64(peakHWM)/(1<<20), float64(peakHWM)/float64(budgetBytes), float64(lastRSS)/(1<<20))
	fmt.Printf("SDK spans sent %d (gRPC) + %d (HTTP); export errors %d (refused or failed batches)\n",
		st.grpcSpans.Load(), st.httpSpans.Load(), st.exportErrs.Load())
	fmt.Printf("logs/metrics requests %d, answered non-2xx %d\n", st.lmReqs.Load(), st.lmBad.Load())
	fmt.Printf("hostile requests %d: %s\n", st.hostile.Load(), st.hostileCodes())
	fmt.Printf("agentlib apps started %d, stopped %d\n", st.appsStarted.Load(), st.appsStopped.Load())
	fmt.Printf("UI: %d of %d keys answered within %v (%d of them after more than 1s), slowest %v; exit status after q: %d\n",
		keysOK, keys, keyWait, keysSlow, worstKey.Round(time.Millisecond), code)
	if keysOK < keys {
		t.Errorf("the UI did not answer %d of %d keys within %v", keys-keysOK, keys, keyWait)
	}
	if code != 0 {
		t.Errorf("exit status %d after q", code)
	}
}

type soakStats struct {
	grpcSpans, httpSpans, exportErrs atomic.Int64
	lmReqs, lmBad, hostile           atomic.Int64
	appsStarted, appsStopped         atomic.Int64
	mu                               sync.Mutex
	codes                            map[int]int
}

func (s *soakStats) code(c int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.codes == nil {
		s.codes = map[int]int{}
	}
	s.codes[c]++
}

func (s *soakStats) hostileCodes() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for c, n := range s.codes {
		parts = append(parts, fmt.Sprintf("%d×%d", n, c))
	}
	return strings.Join(parts, " ")
}

// procMem reads VmHWM and VmRSS of pid in bytes.
func procMem(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = n << 10
		case "VmRSS:":
			rss = n << 10
		}
	}
	return hwm, rss
}

func grpcExporterNoRetry(t *testing.T, endpoint string) sdktrace.SpanExporter {
	return grpcExporter(t, endpoint)
}

// soakSDK sends about rate spans a second through the OTel SDK: traces of
// a server span with client children, some errors, some slow.
func soakSDK(ctx context.Context, exp sdktrace.SpanExporter, service string, rate int, st *soakStats) {
	counting := &countingExporter{SpanExporter: exp, st: st, grpc: service == "soak-grpc"}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(counting, sdktrace.WithMaxQueueSize(8192), sdktrace.WithBatchTimeout(200*time.Millisecond)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
	tr := tp.Tracer("soak")
	perTick := max(rate/10/5, 1) // traces of 5 spans, 10 ticks a second
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = tp.Shutdown(sctx)
			cancel()
			return
		case <-tick.C:
		}
		now := time.Now()
		for j := range perTick {
			rctx, root := tr.Start(context.Background(), fmt.Sprintf("GET /soak/%d", j%20), trace.WithSpanKind(trace.SpanKindServer),
				trace.WithTimestamp(now.Add(-50*time.Millisecond)), trace.WithAttributes(attribute.Int("i", i)))
			for k := range 4 {
				_, c := tr.Start(rctx, fmt.Sprintf("SELECT table%d", k), trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(now.Add(-40*time.Millisecond)))
				c.End(trace.WithTimestamp(now.Add(-time.Duration(rand.IntN(30)) * time.Millisecond)))
			}
			if rand.IntN(50) == 0 {
				root.SetStatus(codes.Error, "soak failure")
			}
			root.End(trace.WithTimestamp(now))
		}
	}
}

type countingExporter struct {
	sdktrace.SpanExporter
	st   *soakStats
	grpc bool
}

func (c *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := c.SpanExporter.ExportSpans(ctx, spans)
	switch {
	case err != nil:
		c.st.exportErrs.Add(1)
	case c.grpc:
		c.st.grpcSpans.Add(int64(len(spans)))
	default:
		c.st.httpSpans.Add(int64(len(spans)))
	}
	return err
}

// soakLogsMetrics posts OTLP/HTTP logs and metrics ten times a second.
func soakLogsMetrics(ctx context.Context, base string, st *soakStats) {
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "soak-logs"}}}}}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := uint64(time.Now().UnixNano())
		var recs []*logspb.LogRecord
		for j := range 20 {
			recs = append(recs, &logspb.LogRecord{TimeUnixNano: now, SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
				Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: fmt.Sprintf("soak log %d/%d", i, j)}}})
		}
		logs := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{Resource: res, ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}}}}}
		var pts []*metricspb.Metric
		for j := range 10 {
			pts = append(pts, &metricspb.Metric{Name: fmt.Sprintf("soak.gauge.%d", j), Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
				DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: now, Value: &metricspb.NumberDataPoint_AsInt{AsInt: int64(i)},
					Attributes: []*commonpb.KeyValue{{Key: "shard", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(i % 7)}}}}}}}}})
		}
		metrics := &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{Resource: res, ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: pts}}}}}
		for path, msg := range map[string]proto.Message{"/v1/logs": logs, "/v1/metrics": metrics} {
			b, _ := proto.Marshal(msg)
			st.lmReqs.Add(1)
			if code := post(ctx, base+path, "application/x-protobuf", "", b); code/100 != 2 {
				st.lmBad.Add(1)
			}
		}
	}
}

// soakHostile sends what a broken or hostile client sends, five times a
// second: garbage, truncated protobuf, bad JSON, control characters,
// huge names, bad IDs, a wrong content type, a gzip bomb now and then.
func soakHostile(ctx context.Context, base string, st *soakStats) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(make([]byte, 32<<20))
	_ = zw.Close()
	huge := strings.Repeat("N", 1<<20)
	bodies := []struct {
		ctype, enc string
		body       []byte
	}{
		{"application/x-protobuf", "", []byte("\xff\xff\xff\xff garbage")},
		{"application/x-protobuf", "", []byte{0x0a, 0x80, 0x80, 0x04}},
		{"application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":`)},
		{"application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102","spanId":"01","name":"bad ids"}]}]}]}`)},
		{"application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"\u001b[2J\u001b]0;pwned\u0007ctl","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`)},
		{"application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f11","spanId":"0102030405060709","name":"` + huge + `","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`)},
		{"text/plain", "", []byte("hello")},
		{"application/x-protobuf", "gzip", bomb.Bytes()},
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		b := bodies[i%len(bodies)]
		if b.enc == "gzip" && i%(5*len(bodies)) != len(bodies)-1 {
			continue // a bomb every 8s or so
		}
		st.hostile.Add(1)
		st.code(post(ctx, base+"/v1/traces", b.ctype, b.enc, b.body))
	}
}

func post(ctx context.Context, url, ctype, enc string, body []byte) int {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return -1
	}
	req.Header.Set("Content-Type", ctype)
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// soakAgentApps runs the demo workload (an agentlib app: in-flight spans,
// execution trace, metrics) as processes that come and go: each lives
// 15–40s, and a new one starts every 10s, so one to four run at a time.
func soakAgentApps(ctx context.Context, bin, endpoint string, st *soakStats) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		cmd := exec.Command(bin, demoWorkloadCommand, endpoint)
		cmd.SysProcAttr = childProcAttr()
		if err := cmd.Start(); err == nil {
			st.appsStarted.Add(1)
			life := time.Duration(15+rand.IntN(25)) * time.Second
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case <-time.After(life):
				case <-ctx.Done():
				}
				_ = cmd.Process.Signal(os.Interrupt)
				done := make(chan struct{})
				go func() { _ = cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					_ = cmd.Process.Kill()
					<-done
				}
				st.appsStopped.Add(1)
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
