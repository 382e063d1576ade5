package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/spantop/spantop/agentlib"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

// The accuracy workload: goroutines of known shape in an app of its own
// (the test binary run as a child, so spantop's work does not mix with
// it), traced by agentlib and sent over real OTLP to spantop. The app
// measures the truth itself and sends it as the attributes of a "truth"
// span; the test compares what spantop derived from the execution trace.
const (
	accuracyAppCommand = "accuracy-app"
	accuracyRun        = 2500 * time.Millisecond
	accuracyHold       = 200 * time.Millisecond
	accuracyPeriod     = 250 * time.Millisecond
	accuracyTolerance  = 0.10
)

// runAccuracyApp is the child: it waits for agentlib's trace session, runs
// the workload for accuracyRun, reports the truth and lingers until the
// generation holding the goroutines' exits has been sent.
func runAccuracyApp(endpoint string) int {
	ctx := context.Background()
	stop, err := agentlib.Start(ctx, agentlib.Options{Endpoint: endpoint, ServiceName: "accuracy-app", ExportSpans: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "agentlib:", err)
		return 1
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(agentlib.SpanProcessor()))
	tracer := tp.Tracer("accuracy")
	for deadline := time.Now().Add(10 * time.Second); !agentlib.ReadStats().Tracing; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "agentlib never started tracing")
			return 1
		}
	}

	var (
		mu    = agentlib.NewMutex("accuracy.lock")
		truth sync.Map // attribute name → ns
		wg    sync.WaitGroup
	)
	add := func(k string, d time.Duration) {
		v, _ := truth.LoadOrStore(k, new(int64))
		*(v.(*int64)) += int64(d) // each key has one writer goroutine
	}
	end := time.Now().Add(accuracyRun)
	run := func(name string, fn func()) {
		wg.Add(1)
		agentlib.Go(ctx, name, func(context.Context) {
			defer wg.Done()
			start := time.Now()
			fn()
			add(name+".life", time.Since(start))
		})
	}
	run("holder", func() {
		for time.Now().Before(end) {
			t := time.Now()
			mu.Lock()
			add("holder.mutex", time.Since(t))
			t = time.Now()
			time.Sleep(accuracyHold)
			mu.Unlock()
			time.Sleep(accuracyPeriod - accuracyHold)
			add("holder.sleep", time.Since(t))
		}
	})
	for w := 1; w <= 3; w++ {
		name := "waiter-" + strconv.Itoa(w)
		run(name, func() {
			time.Sleep(10 * time.Millisecond) // let the holder take the lock first
			for time.Now().Before(end) {
				t := time.Now()
				mu.Lock()
				add(name+".mutex", time.Since(t))
				mu.Unlock()
				t = time.Now()
				time.Sleep(20 * time.Millisecond)
				add(name+".sleep", time.Since(t))
			}
		})
	}
	run("spinner", func() {
		x := 1
		for time.Now().Before(end) {
			for range 10000 {
				x = x*31 + 7
			}
		}
		spinSink = x
	})
	run("sleeper", func() {
		for time.Now().Before(end) {
			t := time.Now()
			time.Sleep(100 * time.Millisecond)
			add("sleeper.sleep", time.Since(t))
		}
	})
	// A span in flight long enough to be sent as a snapshot, then ended.
	_, job := tracer.Start(ctx, "long-job")
	time.Sleep(1500 * time.Millisecond)
	job.End()
	wg.Wait()

	var attrs []attribute.KeyValue
	truth.Range(func(k, v any) bool {
		attrs = append(attrs, attribute.Int64(k.(string), *(v.(*int64))))
		return true
	})
	_, span := tracer.Start(ctx, "truth")
	span.SetAttributes(attrs...)
	span.End()
	// Two more generations carry the goroutines' exits and final figures.
	time.Sleep(2500 * time.Millisecond)
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = tp.Shutdown(sctx)
	if err := stop(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "agentlib stop:", err)
	}
	return 0
}

var spinSink int

// TestAgentlibAccuracyEndToEnd: agentlib in an app → spantop on
// 127.0.0.1:0 → the model. Busy, sched and idle by reason of each goroutine
// must be within 10% of what the app measured.
func TestAgentlibAccuracyEndToEnd(t *testing.T) {
	runAgentlibApp(t, accuracyAppCommand, func(m *Main, src ui.Source, _ *exec.Cmd) error {
		if err := checkAccuracy(t, src); err != nil {
			return err
		}
		// agentlib's runtime metrics are metrics too, besides the services' rows.
		if m.Model.Metrics(model.Query{Filter: "name=spantop.go.goroutines", Limit: 1}).Total != 1 {
			return errors.New("agentlib's runtime metrics are not among the metrics")
		}
		return nil
	})
}

// runAgentlibApp runs spantop on loopback (gRPC only) with, as its UI,
// the test binary started as the app appCommand names, sending to it, and
// check; the test fails with the app's output if check or the app does.
func runAgentlibApp(t *testing.T, appCommand string, check func(m *Main, src ui.Source, app *exec.Cmd) error) {
	t.Helper()
	m := testMain(t)
	m.Config.HTTPAddr = ""
	var app *exec.Cmd
	var appOut bytes.Buffer
	var checkErr error
	m.UI = func(ctx context.Context, src ui.Source, _ ui.Options) error {
		app = exec.Command(os.Args[0], appCommand, m.Server.GRPCAddr())
		app.Stdout, app.Stderr = &appOut, &appOut
		if err := app.Start(); err != nil {
			return err
		}
		checkErr = check(m, src, app)
		return nil
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if app != nil && app.ProcessState == nil { // check did not wait for it
		if err := app.Wait(); err != nil {
			t.Errorf("app: %v\n%s", err, appOut.String())
		}
	}
	if checkErr != nil {
		t.Fatalf("%v\napp output:\n%s", checkErr, appOut.String())
	}
}

// allDone reports whether each named goroutine is shown as exited.
func allDone(src ui.Source, names ...string) bool {
	for _, n := range names {
		if src.Tasks(model.Query{Goroutines: true, Sort: model.TaskID, Limit: 1, Filter: "kind=goroutine state=done name=" + n}).Total != 1 {
			return false
		}
	}
	return true
}

func checkAccuracy(t *testing.T, src ui.Source) error {
	t.Helper()
	var sawRunning bool
	var truth map[string]int64
	deadline := time.Now().Add(40 * time.Second)
	for ; ; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			var rows []string
			for _, r := range src.Tasks(model.Query{Goroutines: true, Sort: model.TaskID, Limit: 40, Filter: "kind=goroutine"}).Rows {
				rows = append(rows, fmt.Sprintf("%s %v %v", r.Name, r.State, r.Fields))
			}
			return fmt.Errorf("timed out: saw the job running %v, truth %v, header %+v\ngoroutines:\n%s", sawRunning, truth != nil, src.Header(), strings.Join(rows, "\n"))
		}
		if p := src.Tasks(model.Query{Sort: model.TaskID, Limit: 5, Filter: "name=long-job state=running"}); p.Total == 1 {
			sawRunning = true
		}
		if truth == nil {
			if p := src.Tasks(model.Query{Sort: model.TaskID, Limit: 1, Filter: "name=truth"}); p.Total == 1 {
				d, _ := src.Span(p.Rows[0].ID)
				truth = map[string]int64{}
				for _, a := range d.Attrs {
					truth[a.Key] = a.Value.Int
				}
			}
		}
		if truth != nil && allDone(src, "holder", "waiter-1", "waiter-2", "waiter-3", "spinner", "sleeper") {
			break
		}
	}
	if !sawRunning {
		t.Error("the long job was never shown running (in-flight snapshot)")
	}
	if p := src.Tasks(model.Query{Sort: model.TaskID, Limit: 5, Filter: "name=long-job"}); p.Total != 1 || p.Rows[0].State != model.StateDone ||
		p.Rows[0].Idle < 1200*time.Millisecond {
		t.Errorf("long-job after it ended: %+v (want one done row whose goroutine idled ~1.5s)", p.Rows)
	}

	gor := map[string]model.GoroutineDetail{}
	for _, r := range src.Tasks(model.Query{Goroutines: true, Sort: model.TaskID, Limit: 50, Filter: "kind=goroutine state=done"}).Rows {
		if d, ok := src.Goroutine(r.ID); ok {
			gor[r.Name] = d
		}
	}
	idle := func(d model.GoroutineDetail, k model.WaitKind) time.Duration {
		for _, w := range d.Idle {
			if w.Kind == k {
				return w.Time
			}
		}
		return 0
	}
	within := func(what string, got time.Duration, want int64) {
		t.Helper()
		diff := float64(got) - float64(want)
		if want <= 0 || diff > accuracyTolerance*float64(want) || -diff > accuracyTolerance*float64(want) {
			t.Errorf("%s: spantop %v, truth %v (tolerance %.0f%%)", what, got, time.Duration(want), accuracyTolerance*100)
			return
		}
		t.Logf("%s: spantop %v, truth %v (%+.1f%%)", what, got, time.Duration(want), 100*diff/float64(want))
	}
	for _, w := range []string{"waiter-1", "waiter-2", "waiter-3"} {
		d := gor[w]
		within(w+" blocked on the mutex", idle(d, model.WaitMutex), truth[w+".mutex"])
		within(w+" sleeping", idle(d, model.WaitSleep), truth[w+".sleep"])
	}
	within("holder sleeping (incl. holding the lock)", idle(gor["holder"], model.WaitSleep), truth["holder.sleep"])
	within("sleeper sleeping", idle(gor["sleeper"], model.WaitSleep), truth["sleeper.sleep"])
	sp := gor["spinner"]
	within("spinner on or waiting for a CPU", sp.Busy+sp.Sched, truth["spinner.life"])
	if sp.Busy < sp.Total/2 {
		t.Errorf("spinner busy %v of %v", sp.Busy, sp.Total)
	}
	for name, d := range gor {
		if life := truth[name+".life"]; life > 0 {
			var sum time.Duration
			for _, w := range d.Idle {
				sum += w.Time
			}
			within(name+" busy+sched+idle vs its life", d.Busy+d.Sched+sum, life)
		}
	}

	// The named mutex is a resource with its waits; the trace can be saved.
	res := src.Resources(model.Query{Sort: model.ResID, Limit: 100, Filter: "accuracy.lock"})
	if res.Total != 1 || res.Rows[0].Type != "agentlib.Mutex" || res.Rows[0].WaitTotal < time.Second {
		t.Errorf("named mutex resource: %+v", res.Rows)
	}
	id := src.Tasks(model.Query{Goroutines: true, Sort: model.TaskID, Limit: 1, Filter: "name=holder"}).Rows[0].ID
	if d, _ := src.Goroutine(id); !d.CanSaveTrace {
		return errors.New("the holder's process trace is not held for saving")
	}
	path, err := src.SaveTrace(id)
	if err != nil {
		return fmt.Errorf("SaveTrace: %w", err)
	}
	defer os.Remove(path)
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "go 1.") || len(b) < 1024 {
		return fmt.Errorf("saved trace %s: %d bytes, err %v", path, len(b), err)
	}
	if out, err := exec.Command("go", "tool", "trace", "-d=parsed", path).CombinedOutput(); err != nil {
		return fmt.Errorf("go tool trace cannot read the saved trace: %v\n%.500s", err, out)
	}
	return nil
}
