package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/ingest/replay"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

var (
	otelAppOnce sync.Once
	otelAppPath string
	otelAppErr  error
)

// otelApp builds internal/otelapp, a small app exporting spans, logs and
// metrics with the stock OTel SDK exporters.
func otelApp(t *testing.T) string {
	t.Helper()
	otelAppOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spantop-otelapp")
		if err != nil {
			otelAppErr = err
			return
		}
		otelAppPath = filepath.Join(dir, "otelapp")
		out, err := exec.Command("go", "build", "-o", otelAppPath, "github.com/spantop/spantop/internal/otelapp").CombinedOutput()
		if err != nil {
			otelAppErr = fmt.Errorf("building otelapp: %v\n%s", err, out)
		}
	})
	if otelAppErr != nil {
		t.Fatal(otelAppErr)
	}
	return otelAppPath
}

// spanSource is what spansOf reads.
type spanSource interface {
	Tasks(q model.Query) model.Page[model.TaskRow]
	Span(id uint64) (model.SpanDetail, bool)
}

// spansOf returns every stored span's details by trace and span ID,
// without what depends on the order of arrival (display IDs).
func spansOf(src spanSource) map[string]model.SpanDetail {
	out := map[string]model.SpanDetail{}
	for _, r := range src.Tasks(model.Query{Sort: model.TaskID, Limit: 1 << 20}).Rows {
		d, ok := src.Span(r.ID)
		if !ok || r.Kind == model.KindGoroutine {
			continue
		}
		d.ID = 0
		d.Warnings = nil
		out[d.TraceID.String()+d.SpanID.String()] = d
	}
	return out
}

// Spans, logs and metrics from the stock OTel SDK exporters → --record →
// replay at max speed: the replayed model holds the same spans, with their
// attributes, events and links.
func TestRecordReplayRoundTrip(t *testing.T) {
	app := otelApp(t)
	rec := filepath.Join(t.TempDir(), "session.jsonl.gz")
	m := testMain(t)
	m.Config.Around.Record = rec
	var live map[string]model.SpanDetail
	var status string
	m.UI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
		cmd := exec.CommandContext(ctx, app)
		cmd.Env = append(childEnv(os.Environ(), m.Server.GRPCAddr(), ""), "OTELAPP_REQUESTS=30")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("otelapp: %v\n%s", err, out)
		}
		deadline := time.Now().Add(10 * time.Second)
		for src.Header().Spans < 60 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		live = spansOf(src)
		status = opts.Status()
		return nil
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(live) != 60 {
		t.Fatalf("live model holds %d spans, want 60", len(live))
	}
	if !strings.HasPrefix(status, "REC "+rec+" ") {
		t.Errorf("header note %q, want REC <file> <size>", status)
	}

	r, err := replay.Load(rec)
	if err != nil {
		t.Fatal(err)
	}
	var sigs [3]int
	for _, x := range r.Records {
		sigs[x.Signal]++
		if x.Arrived == 0 {
			t.Error("a line without its arrival time")
		}
	}
	if sigs[ingest.SignalTraces] == 0 || sigs[ingest.SignalLogs] == 0 || sigs[ingest.SignalMetrics] == 0 {
		t.Errorf("recorded requests by signal: %v, want traces, logs and metrics", sigs)
	}
	e := replay.New(r, replay.Options{Speed: replay.Max, Model: model.Config{Retain: time.Hour}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !e.State().AtEnd() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	replayed := spansOf(replaySource{engine: e})
	cancel()
	<-done

	if len(replayed) != len(live) {
		t.Fatalf("replayed %d spans, live %d", len(replayed), len(live))
	}
	var events, links, attrs int
	for k, want := range live {
		got, ok := replayed[k]
		if !ok {
			t.Errorf("span %s missing from the replay", k)
			continue
		}
		events += len(want.Events)
		links += len(want.Links)
		attrs += len(want.Attrs)
		// Live spans of a finished trace may be judged at other moments;
		// the trace's size is the same.
		if !reflect.DeepEqual(got, want) {
			t.Errorf("span %s differs:\n got %+v\nwant %+v", k, got, want)
		}
	}
	if events == 0 || links == 0 || attrs == 0 {
		t.Errorf("the app's spans had %d events, %d links, %d attributes: the test compares nothing", events, links, attrs)
	}
}

// runMain runs spantop's main with args and returns its status and output.
func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

const fixture = "../../ingest/replay/testdata/collector.jsonl"

// Snapshot of a Collector file: text and JSON goldens.
func TestSnapshotFromGolden(t *testing.T) {
	for _, format := range []string{"text", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			code, out, errs := runMain(t, "snapshot", "--from", fixture, "--format", format)
			if code != 0 {
				t.Fatalf("status %d: %s", code, errs)
			}
			golden(t, "snapshot."+format, out)
		})
	}
}

func TestSnapshotFailOn(t *testing.T) {
	// The fixture has a span whose parent never arrives.
	code, _, errs := runMain(t, "snapshot", "--from", fixture, "--fail-on", "error-spike,orphan,leak")
	if code != exitFailOn || !strings.Contains(errs, "orphan (1)") {
		t.Errorf("status %d, stderr %q; want %d naming the orphan", code, errs, exitFailOn)
	}
	code, _, errs = runMain(t, "snapshot", "--from", fixture, "--fail-on", "leak,lost")
	if code != 0 {
		t.Errorf("status %d (%s) with no such warnings", code, errs)
	}
	code, _, errs = runMain(t, "snapshot", "--from", fixture, "--fail-on", "nonsense")
	if code != 2 || !strings.Contains(errs, `unknown warning kind "nonsense"`) {
		t.Errorf("status %d, stderr %q", code, errs)
	}
}

// snapshot -- CMD: the command's spans are printed, and spantop exits with
// the command's status.
func TestSnapshotAroundCommand(t *testing.T) {
	app := otelApp(t)
	t.Setenv("OTELAPP_REQUESTS", "10")
	code, out, errs := runMain(t, "snapshot", "--format", "json", "--", app)
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	for _, want := range []string{`"name": "GET /items"`, `"name": "SELECT items"`, `"spans": 20`, `"exit_code": 0`, `"critical_path"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(errs, "nothing arrived") {
		t.Errorf("says nothing arrived when 20 spans did: %s", errs)
	}
	t.Setenv("OTELAPP_EXIT", "7")
	code, out, _ = runMain(t, "snapshot", "--", app)
	if code != 7 || !strings.Contains(out, `exited with status 7`) || !strings.Contains(out, "GET /items") {
		t.Errorf("status %d, want the command's 7; output:\n%s", code, out)
	}
}

// snapshot -- CMD where CMD sends nothing (as a program that takes its
// endpoint from a flag would, to another port): spantop says where CMD
// was told to send.
func TestSnapshotAroundSilentCommand(t *testing.T) {
	code, out, errs := runMain(t, "snapshot", "--", os.Args[0], "-test.list=^$")
	if code != 0 || !strings.Contains(out, "received 0") {
		t.Fatalf("status %d, output:\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"nothing arrived from " + os.Args[0], "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:", "SPANTOP_ENDPOINT=127.0.0.1:", "--otlp-endpoint"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q: %s", want, errs)
		}
	}
}

// snapshot --for listens like plain spantop, then prints.
func TestSnapshotFor(t *testing.T) {
	app := otelApp(t)
	addr := freeAddr(t)
	rec := filepath.Join(t.TempDir(), "ci.jsonl")
	done := make(chan struct{})
	var code int
	var out, errs string
	go func() {
		defer close(done)
		code, out, errs = runMain(t, "snapshot", "--for", "5s", "--grpc", addr, "--http", "", "--record", rec)
	}()
	// Wait for it to listen (a loaded machine may take a while).
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshot --for never listened on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd := exec.Command(app)
	cmd.Env = append(childEnv(os.Environ(), addr, ""), "OTELAPP_REQUESTS=5")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("otelapp: %v\n%s", err, b)
	}
	<-done
	if code != 0 || !strings.Contains(out, "spans 10") || !strings.Contains(out, "listened 5s") {
		t.Errorf("status %d stderr %q output:\n%s", code, errs, out)
	}
	// --record works here too: the file replays to the same figures.
	code, again, _ := runMain(t, "snapshot", "--from", rec)
	if code != 0 || !strings.Contains(again, "spans 10") {
		t.Errorf("the recording: status %d\n%s", code, again)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	m := testMain(t)
	m.Config.HTTPAddr = ""
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	addr := m.Server.GRPCAddr()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// golden compares got with testdata/<name>.golden; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// A recording of `spantop demo` (an agentlib app: in-flight snapshots,
// execution-trace chunks, runtime metrics) replays with its goroutines and
// resources.
func TestRecordedDemoReplaysGoroutines(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "demo.jsonl")
	m := testMain(t)
	m.Config.Command = "demo"
	m.Config.Around.Record = rec
	var live model.Header
	m.UI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			live = src.Header()
			if live.Goroutines > 0 && live.Resources > 0 && live.TraceGenerations >= 3 {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("no goroutines from the demo: %+v", live)
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runMain(t, "snapshot", "--from", rec, "--format", "json")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	// The recording ends with the demo's goodbye (agentlib's stop), so its
	// goroutines are there as exited rows, not live ones.
	if r.Summary.Resources == 0 || len(r.Goroutines) == 0 || len(r.Resources) == 0 {
		t.Errorf("replayed: %+v, %d goroutine rows, %d resource rows (live: %+v)", r.Summary, len(r.Goroutines), len(r.Resources), live)
	}
}
