package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The parallel gzip-bomb case of issue 13: many clients at once send a
// small gzip body that inflates to about 65 MB, over OTLP/HTTP and
// OTLP/gRPC. Bytes being read and decoded are admitted against a bound
// derived from the memory budget, so spantop's peak RSS (VmHWM) must stay
// under twice the budget plus bombAllowance, whatever the number of
// clients.

// bombAllowance is the fixed memory beyond twice the budget that spantop
// may use: the Go runtime and binary, the terminal UI, gRPC's and net/http's
// connection buffers, and the garbage of refused requests not yet
// collected. The README states it.
const bombAllowance = 64 << 20

// bombSize is what each bomb inflates to: zeros, under the default
// --max-message of 64 MiB.
const bombSize = 65_000_000

// gzipBomb returns bombSize zeros gzipped; with lie set, the gzip trailer
// claims 1000 bytes, so the receiver cannot refuse it from the trailer and
// must bound the inflation itself.
func gzipBomb(t *testing.T, lie bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for n := 0; n < bombSize; n += len(zero) {
		if _, err := zw.Write(zero[:min(len(zero), bombSize-n)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if lie {
		binary.LittleEndian.PutUint32(b[len(b)-4:], 1000)
	}
	return b
}

// spantopPID finds spantop's process: the child of the shell tmux started
// in the pane.
func (tm *term) spantopPID() int {
	tm.t.Helper()
	shell := strings.TrimSpace(tm.tmux("list-panes", "-t", "e2e", "-F", "#{pane_pid}"))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
		if err == nil {
			if f := strings.Fields(string(b)); len(f) > 0 {
				pid, err := strconv.Atoi(f[0])
				if err == nil {
					return pid
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("no child of the pane's shell %s", shell)
	return 0
}

// vmHWM reads a process's peak resident set size in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/pid/status")
	return 0
}

// bombOutcome counts the answers to the bombs.
type bombOutcome struct {
	mu    sync.Mutex
	codes map[string]int
}

func (o *bombOutcome) add(code string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.codes == nil {
		o.codes = map[string]int{}
	}
	o.codes[code]++
}

// postHTTPBomb sends one bomb to /v1/traces and returns the status.
func postHTTPBomb(client *http.Client, addr string, body []byte) string {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		return "error"
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return "http " + strconv.Itoa(resp.StatusCode)
}

// postGRPCBomb sends one bomb as a gzip-compressed gRPC message, written by
// hand over h2c so that the test process does not inflate or hold 65 MB
// per request itself, and returns the grpc-status.
func postGRPCBomb(client *http.Client, addr string, body []byte) string {
	msg := make([]byte, 5+len(body))
	msg[0] = 1 // compressed
	binary.BigEndian.PutUint32(msg[1:5], uint32(len(body)))
	copy(msg[5:], body)
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/opentelemetry.proto.collector.trace.v1.TraceService/Export", bytes.NewReader(msg))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Grpc-Encoding", "gzip")
	req.Header.Set("Te", "trailers")
	resp, err := client.Do(req)
	if err != nil {
		return "error"
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	st := resp.Trailer.Get("Grpc-Status")
	if st == "" {
		st = resp.Header.Get("Grpc-Status")
	}
	return "grpc " + st
}

// h2cClient speaks HTTP/2 with prior knowledge over plain TCP, as gRPC
// clients do.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}, Timeout: time.Minute}
}

func TestGzipBombsKeepRSSNearBudget(t *testing.T) {
	needTmux(t)
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	budgets := []string{"32MiB"}
	if s := os.Getenv("SPANTOP_BOMB_BUDGETS"); s != "" {
		budgets = strings.Split(s, ",") // make bench-bomb: 32MiB,128MiB,512MiB
	}
	parallel := 32
	if s := os.Getenv("SPANTOP_BOMB_PARALLEL"); s != "" {
		parallel, _ = strconv.Atoi(s)
	}
	bombs := [][]byte{gzipBomb(t, false), gzipBomb(t, true)}
	t.Logf("bomb: %d bytes gzipped, %d inflated", len(bombs[0]), bombSize)
	for _, budget := range budgets {
		t.Run(budget, func(t *testing.T) {
			n, err := parseSize(budget)
			if err != nil {
				t.Fatal(err)
			}
			tm := startTerm(t, 120, 30, "--max-memory", budget)
			tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
			pid := tm.spantopPID()
			idle := vmHWM(t, pid)
			var out bombOutcome
			httpClient, grpcClient := &http.Client{Timeout: time.Minute}, h2cClient()
			for round := 0; round < 3; round++ {
				var wg sync.WaitGroup
				for i := range parallel {
					body := bombs[i%2]
					wg.Go(func() { out.add(postHTTPBomb(httpClient, tm.http, body)) })
					wg.Go(func() { out.add(postGRPCBomb(grpcClient, tm.grpc, body)) })
				}
				wg.Wait()
			}
			peak := vmHWM(t, pid)
			limit := 2*n + bombAllowance
			t.Logf("--max-memory %s: VmHWM idle %.1f MiB, after %d×2×3 bombs %.1f MiB (limit 2×budget+%d MiB = %.0f MiB); answers %v",
				budget, mib(idle), parallel, mib(peak), bombAllowance>>20, mib(limit), out.codes)
			if peak > limit {
				t.Errorf("peak RSS %.1f MiB over %.0f MiB", mib(peak), mib(limit))
			}
			if out.codes["error"] > 0 {
				t.Errorf("%d requests failed without an answer", out.codes["error"])
			}
			// spantop still answers: an ordinary span gets through.
			sent := sendSpans(t, grpcExporter(t, tm.grpc), 5)
			tm.waitFor(fmt.Sprintf("received %d", sent), func(s string) bool { return received(s) == sent })
			tm.keys("q")
			if code := tm.waitExit(); code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
