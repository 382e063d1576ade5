package model

import (
	"fmt"
	"testing"
	"time"
)

// Each warning kind is checked quiet on healthy traffic of the shapes real
// senders produce (telemetrygen, the OpenTelemetry Collector, the demo) and
// firing on a broken case of its own.

// gen builds span batches with fresh IDs for one simulated sender.
type gen struct {
	m      *Model
	clk    *fakeClock
	nextID uint64
}

func (g *gen) id() uint64 { g.nextID++; return g.nextID }

// span is one span of a fixture; its IDs are the fixture's numbers.
type span struct {
	spec
	parentLocal bool
	links       int
}

func (g *gen) apply(spans ...span) {
	b := &Batch{}
	seen := map[string]uint32{}
	for _, s := range spans {
		r := g.m.rec(s.spec)
		r.Res = g.m.resourceIn(b, seen, s.service)
		r.ParentLocal = s.parentLocal
		if s.links > 0 {
			r.Ext = &SpanExt{}
			for range s.links {
				r.Ext.Links = append(r.Ext.Links, Link{TraceID: traceID(g.id()), SpanID: spanID(g.id())})
			}
		}
		b.Spans = append(b.Spans, r)
	}
	g.m.Apply(b)
}

// second lets a second pass, as a sender's exporter and the model's sweep see it.
func (g *gen) second() {
	g.clk.Advance(time.Second)
	g.m.Sweep()
}

// telemetrygen reproduces cmd/telemetrygen's traces (pkg/traces/worker.go):
// per trace a CLIENT root "lets-go" (net.sock.peer.addr=1.2.3.4,
// peer.service=telemetrygen-server) and childSpans SERVER children
// "okey-dokey-<j>" of it in the same process (peer.service=
// telemetrygen-client), back to back, each spanDuration long, starting
// with the client; the client ends with the last child. With --propagate
// the children's parent is marked remote. --rate is per worker; the SDK's
// batcher exports children before their parent (they end first).
func telemetrygen(workers, rate, childSpans int, propagate bool) func(g *gen) {
	const spanDuration = 123 * time.Microsecond // telemetrygen's default
	return func(g *gen) {
		for range 20 {
			var batch []span
			for w := range workers {
				for r := range rate {
					start := g.clk.Now().Add(time.Duration(w*rate+r) * time.Second / time.Duration(workers*rate+1))
					trace, client := g.id(), g.id()
					var children []span
					for j := range childSpans {
						children = append(children, span{spec: spec{trace: trace, span: g.id(), parent: client, name: fmt.Sprintf("okey-dokey-%d", j),
							service: "telemetrygen", kind: KindServer, start: start.Add(time.Duration(j) * spanDuration), dur: spanDuration,
							attrs: map[string]string{"net.sock.peer.addr": "1.2.3.4", "peer.service": "telemetrygen-client"}}, parentLocal: !propagate})
					}
					batch = append(batch, children...)
					batch = append(batch, span{spec: spec{trace: trace, span: client, name: "lets-go", service: "telemetrygen", kind: KindClient,
						start: start, dur: time.Duration(max(childSpans, 1)) * spanDuration,
						attrs: map[string]string{"net.sock.peer.addr": "1.2.3.4", "peer.service": "telemetrygen-server"}}})
				}
			}
			g.apply(batch...)
			g.second()
		}
	}
}

// throughCollector forwards telemetrygen's traces as the Collector's batch
// processor does: a trace's spans split over exports a second apart, the
// children in one and their client in the next.
func throughCollector(g *gen) {
	var held []span
	for range 20 {
		var children, clients []span
		for range 8 {
			start := g.clk.Now().Add(100 * time.Millisecond)
			trace, client := g.id(), g.id()
			children = append(children, span{spec: spec{trace: trace, span: g.id(), parent: client, name: "okey-dokey-0", service: "telemetrygen",
				kind: KindServer, start: start, dur: 123 * time.Microsecond}, parentLocal: true})
			clients = append(clients, span{spec: spec{trace: trace, span: client, name: "lets-go", service: "telemetrygen", kind: KindClient,
				start: start, dur: 123 * time.Microsecond}})
		}
		g.apply(append(children, held...)...)
		held = clients
		g.second()
	}
	g.apply(held...)
}

// collectorOwnTraffic is the Collector's own telemetry as it exports it:
// the OTLP receiver's SERVER span per export received (a root: the sender
// is not traced), and per batch sent an exporter span that links to the
// requests it carries (the batch processor leaves their contexts) with the
// gRPC CLIENT span of the export to the next hop, which traces nothing.
// The batches go out while requests are being received.
func collectorOwnTraffic(g *gen) {
	const svc = "otelcol-contrib"
	const export = "opentelemetry.proto.collector.trace.v1.TraceService/Export"
	rpc := map[string]string{"rpc.system": "grpc", "rpc.service": "opentelemetry.proto.collector.trace.v1.TraceService", "rpc.method": "Export"}
	for range 20 {
		var batch []span
		for r := range 10 {
			start := g.clk.Now().Add(time.Duration(r) * 100 * time.Millisecond)
			batch = append(batch, span{spec: spec{trace: g.id(), span: g.id(), name: export, service: svc, kind: KindServer,
				start: start, dur: 50 * time.Millisecond, attrs: rpc}})
			trace, exp := g.id(), g.id()
			batch = append(batch,
				span{spec: spec{trace: trace, span: exp, name: "exporter/otlp/traces", service: svc, kind: KindInternal,
					start: start.Add(10 * time.Millisecond), dur: 2 * time.Millisecond}, links: 3},
				span{spec: spec{trace: trace, span: g.id(), parent: exp, name: export, service: svc, kind: KindClient,
					start: start.Add(10 * time.Millisecond), dur: time.Millisecond, attrs: rpc}, parentLocal: true})
		}
		// The same through OTLP/HTTP: the client span names the URL.
		trace, exp := g.id(), g.id()
		batch = append(batch,
			span{spec: spec{trace: trace, span: exp, name: "exporter/otlphttp/traces", service: svc, kind: KindInternal,
				start: g.clk.Now(), dur: 2 * time.Millisecond}, links: 2},
			span{spec: spec{trace: trace, span: g.id(), parent: exp, name: "POST", service: svc, kind: KindClient,
				start: g.clk.Now(), dur: time.Millisecond, attrs: map[string]string{"url.full": "http://127.0.0.1:4318/v1/traces", "http.request.method": "POST"}}, parentLocal: true})
		g.apply(batch...)
		g.second()
	}
}

// demoHealthy is the demo's healthy paths: frontend → checkout over HTTP
// (session.load a sibling of the call), a database call, a producer and
// its linked consumer in another service, a server-sent event stream
// in flight for 4 s with heartbeats, and a steady runtime (an idle loop
// and an idle pool parked on channels, a steady goroutine count).
func demoHealthy(g *gen) {
	now := g.clk.Now().UnixNano()
	res := g.m.svcResource("frontend")
	rb := &RuntimeBatch{Resource: res, Session: 1, Start: now - 1e9, End: now,
		SyncResources: []SyncResourceRec{{Kind: WaitChanRecv, Location: "main.loop main.go:30", Waiters: 1},
			{Kind: WaitChanRecv, Location: "grpc.pool transport.go:40", Waiters: 2 * leakWaiters}},
		Goroutines: []GoroutineRec{{ID: 1, StartFunc: "main.idleloop", State: GoWaiting, Wait: WaitChanRecv, Since: now - int64(60*time.Second), Resource: 0},
			{ID: 2, StartFunc: "main.handler", State: GoRunnable, LongestRun: int64(5 * time.Millisecond), Resource: -1}}}
	for id := int64(200); id < 200+2*leakWaiters; id++ {
		rb.Goroutines = append(rb.Goroutines, GoroutineRec{ID: id, StartFunc: "grpc.pooled", State: GoWaiting, Wait: WaitChanRecv,
			Since: now - int64(60*time.Second), Resource: 1})
	}
	g.m.Apply(&Batch{Runtime: rb})
	sse, sseTrace := g.id(), g.id()
	sseStart := g.clk.Now()
	for sec := range 20 {
		st := newStats()
		st.Goroutines = int64(56 + sec%4)
		g.m.Apply(&Batch{Samples: []RuntimeSample{{Resource: res, Stats: st}}})
		var batch []span
		for r := range 5 {
			start := g.clk.Now().Add(time.Duration(r) * 150 * time.Millisecond)
			trace, srv, call, co, prod := g.id(), g.id(), g.id(), g.id(), g.id()
			at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
			status := StatusUnset
			if r == 0 && sec%5 == 0 {
				status = StatusError // a few errors all along, no spike
			}
			batch = append(batch,
				span{spec: spec{trace: trace, span: g.id(), parent: srv, name: "session.load", service: "frontend", start: at(1), dur: 2 * time.Millisecond}, parentLocal: true},
				span{spec: spec{trace: trace, span: call, parent: srv, name: "POST /checkout", service: "frontend", kind: KindClient, start: at(4), dur: 40 * time.Millisecond,
					attrs: map[string]string{"url.full": "http://checkout:8080/checkout", "http.request.method": "POST"}}, parentLocal: true},
				span{spec: spec{trace: trace, span: co, parent: call, name: "POST /checkout", service: "checkout", kind: KindServer, start: at(5), dur: 38 * time.Millisecond, status: status}},
				span{spec: spec{trace: trace, span: g.id(), parent: co, name: "INSERT orders", service: "checkout", kind: KindClient, start: at(6), dur: 5 * time.Millisecond,
					attrs: map[string]string{"db.system.name": "postgresql"}}, parentLocal: true},
				span{spec: spec{trace: trace, span: prod, parent: co, name: "send orders", service: "checkout", kind: KindProducer, start: at(12), dur: time.Millisecond,
					attrs: map[string]string{"messaging.system": "demo-queue"}}, parentLocal: true},
				span{spec: spec{trace: trace, span: g.id(), parent: prod, name: "process orders", service: "shipping", kind: KindConsumer, start: at(20), dur: 10 * time.Millisecond}, links: 1},
				span{spec: spec{trace: trace, span: srv, name: "POST /api/checkout", service: "frontend", kind: KindServer, start: start, dur: 45 * time.Millisecond, status: status}},
			)
		}
		// The event stream: in flight, refreshed every second, then ended.
		switch {
		case sec < 4:
			batch = append(batch, span{spec: spec{trace: sseTrace, span: sse, name: "GET /api/events", service: "frontend", kind: KindServer,
				start: sseStart, inflight: true, seq: uint32(sec + 1)}})
		case sec == 4:
			batch = append(batch, span{spec: spec{trace: sseTrace, span: sse, name: "GET /api/events", service: "frontend", kind: KindServer,
				start: sseStart, dur: 4500 * time.Millisecond}})
		}
		g.apply(batch...)
		g.second()
	}
}

// healthyTraffic is every healthy sender the warnings must stay quiet on.
var healthyTraffic = []struct {
	name string
	run  func(g *gen)
}{
	{"telemetrygen --workers 4 --rate 10", telemetrygen(4, 10, 1, false)},
	{"telemetrygen --workers 2 --rate 5 --child-spans 3", telemetrygen(2, 5, 3, false)},
	{"telemetrygen --workers 2 --rate 5 --propagate-context", telemetrygen(2, 5, 1, true)},
	{"telemetrygen through the Collector", throughCollector},
	{"the Collector's own telemetry", collectorOwnTraffic},
	{"the demo's healthy paths", demoHealthy},
}

func TestEachWarningKindQuietOnHealthyTrafficAndFiringOnABrokenCase(t *testing.T) {
	broken := [WarnKinds]struct {
		what string
		run  func(g *gen)
	}{
		WarnLongInFlight: {"a span in flight for 12s", func(g *gen) {
			start := g.clk.Now()
			for s := range 13 {
				g.apply(span{spec: spec{trace: 1, span: 1, name: "job", start: start, inflight: true, seq: uint32(s + 1)}})
				g.second()
			}
		}},
		WarnLost: {"a span in flight, then never refreshed", func(g *gen) {
			g.apply(span{spec: spec{trace: 1, span: 1, name: "job", start: g.clk.Now(), inflight: true, seq: 1}})
			for range LostAfterHeartbeats + 2 {
				g.second()
			}
		}},
		WarnNoRemoteChild: {"an HTTP call whose server started a trace of its own", func(g *gen) {
			now := g.clk.Now()
			g.apply(span{spec: spec{trace: 1, span: 1, name: "GET /users", service: "web", kind: KindClient, start: now, dur: 5 * time.Millisecond,
				attrs: map[string]string{"url.full": "http://users:8080/users"}}},
				span{spec: spec{trace: 2, span: 2, name: "GET /users", service: "users", kind: KindServer, start: now, dur: 4 * time.Millisecond}})
			for range 7 {
				g.second()
			}
		}},
		WarnOrphan: {"a span whose parent never arrives", func(g *gen) {
			g.apply(span{spec: spec{trace: 1, span: 2, parent: 1, name: "child", start: g.clk.Now(), dur: time.Millisecond}})
			for range 7 {
				g.second()
			}
		}},
		WarnRootBurst: {"goroutines started without the request's context", func(g *gen) {
			start := g.clk.Now()
			g.apply(span{spec: spec{trace: 100, span: 100, name: "GET /order", kind: KindServer, start: start, inflight: true, seq: 1}})
			for r := range 6 {
				g.apply(span{spec: spec{trace: uint64(r + 1), span: uint64(r + 1), name: "detached", start: start.Add(time.Duration(r+1) * 10 * time.Millisecond), dur: time.Millisecond}})
			}
		}},
		WarnBlocked: {"a goroutine blocked on a mutex for a minute", func(g *gen) {
			now := g.clk.Now().UnixNano()
			g.m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: g.m.svcResource("api"), Session: 1, Start: now - 1e9, End: now,
				Goroutines: []GoroutineRec{{ID: 1, StartFunc: "main.waiter", State: GoWaiting, Wait: WaitMutex, Since: now - int64(60*time.Second), Resource: -1}}}})
			g.second()
		}},
		WarnNeverYields: {"a goroutine running 300ms without yielding", func(g *gen) {
			now := g.clk.Now().UnixNano()
			g.m.Apply(&Batch{Runtime: &RuntimeBatch{Resource: g.m.svcResource("api"), Session: 1, Start: now - 1e9, End: now,
				Goroutines: []GoroutineRec{{ID: 1, StartFunc: "main.spin", State: GoRunning, LongestRun: int64(300 * time.Millisecond), Resource: -1}}}})
		}},
		WarnGoroutineGrowth: {"a goroutine count rising for 40s", func(g *gen) {
			for i := range 40 {
				st := newStats()
				st.Goroutines = int64(100 + i)
				g.m.Apply(&Batch{Samples: []RuntimeSample{{Resource: g.m.svcResource("api"), Stats: st}}})
				g.second()
			}
		}},
		WarnErrorSpike: {"an operation failing for its last 8s", func(g *gen) {
			for sec := range 60 {
				for range 5 {
					s := spec{trace: g.id(), span: g.id(), name: "pay", start: g.clk.Now(), dur: time.Millisecond}
					if sec >= 52 {
						s.status = StatusError
					}
					g.apply(span{spec: s})
				}
				g.clk.Advance(time.Second)
			}
		}},
		WarnDropped: {"spans rejected at ingest", func(g *gen) { g.m.Counters().Rejected.Add(2) }},
	}
	for k := range WarnKinds {
		t.Run(k.String(), func(t *testing.T) {
			for _, tc := range healthyTraffic {
				m, clk := newTestModel(Config{})
				g := &gen{m: m, clk: clk, nextID: 1000}
				tc.run(g)
				for range 7 { // every trace judged
					g.second()
				}
				if n := warnCount(m, k); n != 0 {
					t.Errorf("%s: %d %s warnings on healthy traffic: %+v", tc.name, n, k, m.Warnings())
				}
			}
			b := broken[k]
			if b.run == nil {
				t.Fatalf("no broken case for %s", k)
			}
			m, clk := newTestModel(Config{})
			b.run(&gen{m: m, clk: clk, nextID: 1000})
			if n := warnCount(m, k); n == 0 {
				t.Errorf("%s: no %s warning: %+v", b.what, k, m.Warnings())
			}
		})
	}
}
