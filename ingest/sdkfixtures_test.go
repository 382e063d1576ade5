package ingest

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/spantop/spantop/ingest/otlpjson"
	"github.com/spantop/spantop/model"
)

// The fixtures in testdata/sdk are OTLP/JSON requests with the attributes
// each SDK family sends by its documentation and real captures. They go
// through the real HTTP receiver into a real model, and the tests read
// what the views show through the model's query API.

// fixtureT0 is the start time of every fixture's first span.
var fixtureT0 = time.Unix(0, 1790000000000000000)

// fixtureModel is a model whose clock the test moves, fed by a real receiver.
type fixtureModel struct {
	t    *testing.T
	m    *model.Model
	s    *Server
	q    *Queue
	now  time.Time
	warn time.Duration
	// grpc sends the fixtures as protobuf to the gRPC receiver, else as
	// OTLP/JSON to the HTTP receiver.
	grpc bool
}

// eachReceiver runs a fixture test once per receiver: OTLP/JSON over
// HTTP, then protobuf over gRPC.
func eachReceiver(t *testing.T, test func(f *fixtureModel)) {
	for _, grpc := range []bool{false, true} {
		name := "http-json"
		if grpc {
			name = "grpc"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixtureModel(t)
			f.grpc = grpc
			test(f)
		})
	}
}

func newFixtureModel(t *testing.T) *fixtureModel {
	t.Helper()
	f := &fixtureModel{t: t, now: fixtureT0.Add(time.Second), warn: 10 * time.Second}
	f.m = model.New(model.Config{Clock: func() time.Time { return f.now }, Warn: model.Thresholds{InFlight: f.warn}})
	f.q = NewQueue(0, f.m.Counters())
	t.Cleanup(f.q.Close)
	f.s = NewServer(Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"}, f.m.Symbols(), f.m.Counters(), f.q)
	if err := f.s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return f
}

// send posts a fixture as OTLP/JSON to the HTTP receiver and applies what
// arrives; spans is how many spans the fixture holds.
func (f *fixtureModel) send(name string, spans int) {
	f.t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "sdk", name))
	if err != nil {
		f.t.Fatal(err)
	}
	if f.grpc {
		req, err := otlpjson.Decode(body)
		if err != nil {
			f.t.Fatal(err)
		}
		var resp coltrace.ExportTraceServiceResponse
		if err := exportRaw(grpcConn(f.t, f.s.GRPCAddr()), traceMethod, req.Proto, &resp); err != nil {
			f.t.Fatalf("%s: %v", name, err)
		}
		if ps := resp.GetPartialSuccess(); ps.GetRejectedSpans() != 0 {
			f.t.Fatalf("%s: rejected %d: %s", name, ps.GetRejectedSpans(), ps.GetErrorMessage())
		}
	} else {
		resp, err := http.Post("http://"+f.s.HTTPAddr()+"/v1/traces", "application/json", bytes.NewReader(body))
		if err != nil {
			f.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			f.t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
	}
	if spans == 0 {
		return
	}
	for _, b := range collect(f.t, f.q, spans) {
		f.m.Apply(b)
	}
}

// rows returns every task row by name (the last one of a name wins).
func (f *fixtureModel) rows(filter string) map[string]model.TaskRow {
	f.t.Helper()
	page := f.m.Tasks(model.Query{Sort: model.TaskID, Filter: filter, Limit: 100})
	if page.FilterErr != "" {
		f.t.Fatalf("filter %q: %s", filter, page.FilterErr)
	}
	out := map[string]model.TaskRow{}
	for _, r := range page.Rows {
		out[r.Name] = r
	}
	return out
}

func (f *fixtureModel) op(name string) model.OpRow {
	f.t.Helper()
	for _, r := range f.m.Operations(model.Query{Sort: model.OpTotal, Limit: 100}).Rows {
		if r.Name == name {
			return r
		}
	}
	f.t.Fatalf("no operation %q", name)
	return model.OpRow{}
}

func fieldOf(r model.TaskRow, key string) string {
	for _, a := range r.Fields {
		if a.Key == key {
			return a.Value.String()
		}
	}
	return ""
}

func TestFixtureRustTracing(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("rust_tracing.json", 3)
		rows := f.rows("")
		root := rows["handle_request"]
		if root.Service != "orders-rs" || root.Target != "orders-rs" || root.Location != "src/server.rs:88" {
			t.Errorf("root row = %+v", root)
		}
		if root.Busy != 3*time.Millisecond || root.Idle != 37*time.Millisecond || root.Sched != model.SchedNotMeasured {
			t.Errorf("root busy %v sched %v idle %v, want 3ms, not measured, 37ms", root.Busy, root.Sched, root.Idle)
		}
		if fieldOf(root, "thread.name") != "tokio-runtime-worker" || fieldOf(root, "level") != "INFO" || fieldOf(root, "busy_ns") != "3000000" {
			t.Errorf("root fields = %+v", root.Fields)
		}
		// level is filterable; Busy sorts.
		if got := f.rows("level=DEBUG"); len(got) != 1 || got["query_db"].ID == 0 {
			t.Errorf("level=DEBUG rows = %v", got)
		}
		page := f.m.Tasks(model.Query{Sort: model.TaskBusy, Desc: true, Limit: 10})
		var busy []time.Duration
		for _, r := range page.Rows {
			busy = append(busy, r.Busy)
		}
		if len(busy) != 3 || busy[0] != 3*time.Millisecond || busy[1] != 2*time.Millisecond || busy[2] != time.Millisecond {
			t.Errorf("sorted by busy: %v", busy)
		}
		d, ok := f.m.Span(root.ID)
		if !ok || !d.HasTimes || d.Busy != 3*time.Millisecond || d.Idle != 37*time.Millisecond || d.Sched >= 0 {
			t.Errorf("details times = %v %v %v %v", d.HasTimes, d.Busy, d.Sched, d.Idle)
		}
		op := f.op("query_db")
		if op.Count != 2 || op.Busy != 3*time.Millisecond || op.Idle != 32*time.Millisecond {
			t.Errorf("query_db operation = %+v", op)
		}
	})
}

func TestFixturePython(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("python_flask.json", 1)
		r := f.rows("")["GET /users/<int:user_id>"]
		if r.Kind != model.KindServer || r.Service != "users-py" || r.Target != "opentelemetry.instrumentation.flask" ||
			r.Location != "/srv/app.py:31" || r.State != model.StateDone || r.Total != 25*time.Millisecond {
			t.Errorf("row = %+v", r)
		}
		if r.Busy != 0 || r.Sched != 0 || r.Idle != 0 || fieldOf(r, "thread.id") != "140213" {
			t.Errorf("row times %v %v %v fields %+v", r.Busy, r.Sched, r.Idle, r.Fields)
		}
		if op := f.op("GET /users/<int:user_id>"); op.Count != 1 || op.Busy != 0 || op.Max != 25*time.Millisecond {
			t.Errorf("operation = %+v", op)
		}
	})
}

func TestFixtureJavaAgent(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("java_agent.json", 3)
		rows := f.rows("")
		ctl := rows["OwnerController.showOwner"]
		if ctl.Location != "org.springframework.samples.petclinic.owner.OwnerController.showOwner" || ctl.Target != "io.opentelemetry.spring-webmvc-6.0" {
			t.Errorf("controller row = %+v", ctl)
		}
		db := rows["SELECT petclinic.owners"]
		if db.Kind != model.KindClient || db.State != model.StateError || fieldOf(db, "thread.name") != "http-nio-8080-exec-1" || fieldOf(db, "thread.id") != "41" {
			t.Errorf("jdbc row = %+v", db)
		}
		if got := f.rows("thread.name=http-nio-8080-exec-1"); len(got) != 3 {
			t.Errorf("thread filter rows = %d", len(got))
		}
		d, _ := f.m.Span(db.ID)
		if d.StatusMsg == "" || d.HasTimes {
			t.Errorf("jdbc detail status %q times %v", d.StatusMsg, d.HasTimes)
		}
		if op := f.op("SELECT petclinic.owners"); op.Errors != 1 || op.Kind != model.KindClient {
			t.Errorf("operation = %+v", op)
		}
	})
}

func TestFixtureDotNet(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("dotnet_aspnetcore.json", 2)
		rows := f.rows("")
		srv, cli := rows["GET WeatherForecast"], rows["GET"]
		if srv.Kind != model.KindServer || srv.Target != "Microsoft.AspNetCore" || srv.Total != 80*time.Millisecond || srv.Service != "weather-api" {
			t.Errorf("server row = %+v", srv)
		}
		if cli.Kind != model.KindClient || cli.Target != "System.Net.Http" || fieldOf(cli, "url.full") != "https://api.weather.example/forecast" {
			t.Errorf("client row = %+v", cli)
		}
		d, _ := f.m.Span(cli.ID)
		if d.Parent.String() != "00f067aa0ba902b7" || d.TraceSpans != 2 {
			t.Errorf("client detail parent %s spans %d", d.Parent, d.TraceSpans)
		}
	})
}

func TestFixtureNode(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("node_express.json", 2)
		rows := f.rows("")
		if r := rows["GET /cart/:id"]; r.Kind != model.KindServer || r.Target != "@opentelemetry/instrumentation-http" || r.Total != 15*time.Millisecond {
			t.Errorf("server row = %+v", r)
		}
		if r := rows["request handler - /cart/:id"]; r.Kind != model.KindInternal || fieldOf(r, "express.type") != "request_handler" {
			t.Errorf("express row = %+v", r)
		}
	})
}

// TestFixtureUnendedThenEnded: vercel/otel#206 and Embrace send a span
// with no end time when it starts and again when it ends.
func TestFixtureUnendedThenEnded(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("inflight_unended.json", 2)
		check := func(when string, wantState model.State, wantTotal time.Duration, wantWarn bool) {
			t.Helper()
			rows := f.rows("")
			if len(rows) != 2 {
				t.Fatalf("%s: %d rows", when, len(rows))
			}
			r := rows["GET /api/report"]
			if r.State != wantState || r.Total != wantTotal || (r.Warnings > 0) != wantWarn {
				t.Errorf("%s: state %v total %v warnings %d, want %v %v warned=%v", when, r.State, r.Total, r.Warnings, wantState, wantTotal, wantWarn)
			}
		}
		check("just sent", model.StateRunning, time.Second, false)
		if op := f.op("GET /api/report"); op.InFlight != 1 || op.Count != 0 {
			t.Errorf("operation while running = %+v", op)
		}
		// No heartbeats come: it is not lost after three, it keeps running
		// and is warned about once in flight longer than --warn-inflight.
		f.now = fixtureT0.Add(5 * time.Second)
		f.m.Sweep()
		check("5s, no heartbeat", model.StateRunning, 5*time.Second, false)
		f.now = fixtureT0.Add(15 * time.Second)
		f.m.Sweep()
		check("15s", model.StateRunning, 15*time.Second, true)
		if h := f.m.Header(); h.Lost != 0 {
			t.Errorf("lost = %d", h.Lost)
		}
		// The ended copy replaces it: one row per span, done, its own duration.
		f.send("inflight_ended.json", 2)
		check("ended", model.StateDone, 20*time.Second, true)
		if op := f.op("GET /api/report"); op.InFlight != 0 || op.Count != 1 || op.Max < 19*time.Second {
			t.Errorf("operation when ended = %+v", op)
		}
		// An unended copy sent late (reordered) does not bring it back.
		f.send("inflight_unended.json", 2)
		check("stale copy", model.StateDone, 20*time.Second, true)
	})
}

// TestFixtureUnendedNeverEnds: a span never sent again stays running,
// then is shown lost after model.NoHeartbeatLostAfter, never with a
// negative or huge duration.
func TestFixtureUnendedNeverEnds(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("inflight_unended.json", 2)
		f.now = fixtureT0.Add(model.NoHeartbeatLostAfter - time.Second)
		f.m.Sweep()
		if r := f.rows("")["GET /api/report"]; r.State != model.StateRunning || r.Total != model.NoHeartbeatLostAfter-time.Second {
			t.Errorf("before the limit: %+v", r)
		}
		f.now = fixtureT0.Add(model.NoHeartbeatLostAfter + 2*time.Second)
		f.m.Sweep()
		r := f.rows("")["GET /api/report"]
		if r.State != model.StateLost || r.Total < 0 || r.Total > time.Second {
			t.Errorf("after the limit: state %v total %v", r.State, r.Total)
		}
	})
}

// TestFixtureLogfirePending: Logfire sends a pending span when a span
// starts (its parent is the real span) and the real span when it ends.
func TestFixtureLogfirePending(t *testing.T) {
	eachReceiver(t, func(f *fixtureModel) {
		t := f.t
		f.send("logfire_pending.json", 2)
		rows := f.rows("")
		if len(rows) != 2 {
			t.Fatalf("rows = %v", rows)
		}
		outer, inner := rows["outer"], rows["inner"]
		if outer.State != model.StateRunning || inner.State != model.StateRunning {
			t.Errorf("states %v %v, want running", outer.State, inner.State)
		}
		for _, r := range []model.TaskRow{outer, inner} {
			for _, a := range r.Fields {
				if strings.HasPrefix(a.Key, "logfire.span_type") || a.Key == "logfire.pending_parent_id" {
					t.Errorf("%s keeps %s", r.Name, a.Key)
				}
			}
		}
		do, _ := f.m.Span(outer.ID)
		di, _ := f.m.Span(inner.ID)
		if do.SpanID.String() != "1111111111111111" || !do.Parent.IsZero() || di.SpanID.String() != "2222222222222222" || di.Parent.String() != "1111111111111111" {
			t.Errorf("ids: outer %s<-%s inner %s<-%s", do.SpanID, do.Parent, di.SpanID, di.Parent)
		}
		f.now = fixtureT0.Add(10 * time.Second)
		f.m.Sweep()
		if h := f.m.Header(); h.Lost != 0 || h.Running != 2 {
			t.Errorf("after 10s without heartbeats: running %d lost %d", h.Running, h.Lost)
		}
		f.send("logfire_real.json", 2)
		rows = f.rows("")
		if len(rows) != 2 || rows["outer"].State != model.StateDone || rows["outer"].Total != 500*time.Millisecond ||
			rows["inner"].State != model.StateDone || rows["inner"].Total != 295*time.Millisecond || rows["outer"].ID != outer.ID {
			t.Errorf("after the real spans: %+v", rows)
		}
		if fieldOf(rows["outer"], "logfire.span_type") != "span" {
			t.Errorf("real span fields = %+v", rows["outer"].Fields)
		}
	})
}
