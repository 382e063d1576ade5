package ingest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/spantop/spantop/model"
)

// sendWithSDK records a server span with a client child (error status) and
// an internal grandchild through the real OTel SDK and exporter, flushes,
// and returns the IDs the SDK assigned, by name.
func sendWithSDK(t *testing.T, exp sdktrace.SpanExporter) map[string]trace.SpanContext {
	t.Helper()
	ctx := context.Background()
	res := resource.NewSchemaless(
		attribute.String("service.name", "e2e-svc"),
		attribute.String("service.instance.id", "i-1"),
		attribute.String("host.name", "h"),
		attribute.Int("process.pid", 99),
	)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	tr := tp.Tracer("e2e/scope", trace.WithInstrumentationVersion("0.1.0"))
	ids := map[string]trace.SpanContext{}

	ctx, root := tr.Start(ctx, "GET /orders", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.Int("http.response.status_code", 200)))
	ids["GET /orders"] = root.SpanContext()
	cctx, child := tr.Start(ctx, "SELECT orders", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.Bool("db.cached", false),
			attribute.Float64("db.ratio", 0.5), attribute.StringSlice("db.tables", []string{"orders", "items"})))
	ids["SELECT orders"] = child.SpanContext()
	_, gc := tr.Start(cctx, "decode rows")
	ids["decode rows"] = gc.SpanContext()
	gc.AddEvent("rows", trace.WithAttributes(attribute.Int("n", 3)))
	gc.End()
	child.SetStatus(codes.Error, "deadlock detected")
	child.End()
	root.End()

	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		t.Fatalf("exporter: %v", err)
	}
	return ids
}

// collect reads batches until n spans have arrived.
func collect(t *testing.T, q *Queue, n int) []*model.Batch {
	t.Helper()
	var out []*model.Batch
	for got := 0; got < n; {
		b := nextBatch(t, q)
		out = append(out, b)
		got += len(b.Spans)
	}
	return out
}

// checkSDKSpans asserts exactly what the SDK sent arrived.
func checkSDKSpans(t *testing.T, batches []*model.Batch, syms *model.Symbols, ids map[string]trace.SpanContext) {
	t.Helper()
	type got struct {
		rec model.SpanRec
		res model.Resource
	}
	spans := map[string]got{}
	for _, b := range batches {
		for _, s := range b.Spans {
			spans[syms.String(s.Name)] = got{s, b.Resources[s.Res]}
		}
	}
	if len(spans) != 3 {
		t.Fatalf("got spans %v", spans)
	}
	for name, sc := range ids {
		g, ok := spans[name]
		if !ok {
			t.Fatalf("span %q missing", name)
		}
		if g.rec.TraceID != model.TraceID(sc.TraceID()) || g.rec.SpanID != model.SpanID(sc.SpanID()) {
			t.Errorf("%s: ids %v/%v, want %v/%v", name, g.rec.TraceID, g.rec.SpanID, sc.TraceID(), sc.SpanID())
		}
		if g.rec.Start == 0 || g.rec.End < g.rec.Start || g.rec.InFlight {
			t.Errorf("%s: times %d..%d inflight %v", name, g.rec.Start, g.rec.End, g.rec.InFlight)
		}
		if syms.String(g.rec.Scope) != "e2e/scope" || syms.String(g.rec.ScopeVersion) != "0.1.0" {
			t.Errorf("%s: scope %q ext %+v", name, syms.String(g.rec.Scope), g.rec.Ext)
		}
		r := g.res
		if syms.String(r.ServiceName) != "e2e-svc" || syms.String(r.InstanceID) != "i-1" || syms.String(r.HostName) != "h" || r.PID != 99 {
			t.Errorf("%s: resource %+v", name, r)
		}
	}
	root, child, gc := spans["GET /orders"].rec, spans["SELECT orders"].rec, spans["decode rows"].rec
	if !root.Parent.IsZero() || child.Parent != root.SpanID || gc.Parent != child.SpanID {
		t.Errorf("parents: root %v child %v gc %v", root.Parent, child.Parent, gc.Parent)
	}
	if root.Kind != model.KindServer || child.Kind != model.KindClient || gc.Kind != model.KindInternal {
		t.Errorf("kinds %v %v %v", root.Kind, child.Kind, gc.Kind)
	}
	if root.Status != model.StatusUnset || child.Status != model.StatusError || child.Ext.StatusMessage != "deadlock detected" {
		t.Errorf("status %v %v %+v", root.Status, child.Status, child.Ext)
	}
	ra := attrMap(root.Attrs, syms)
	if ra["http.request.method"].Str != "GET" || ra["http.response.status_code"].Int != 200 || root.NumAttrs != 2 {
		t.Errorf("root attrs %v", ra)
	}
	ca := attrMap(child.Attrs, syms)
	if ca["db.system"].Str != "postgresql" || ca["db.cached"].Type != model.ValueBool || ca["db.ratio"].Float != 0.5 ||
		ca["db.tables"].Str != `["orders","items"]` || child.NumAttrs != 4 {
		t.Errorf("child attrs %v", ca)
	}
	if gc.Ext == nil || len(gc.Ext.Events) != 1 || gc.Ext.Events[0].Name != "rows" {
		t.Errorf("grandchild events %+v", gc.Ext)
	}
}

func TestE2EGRPC(t *testing.T) {
	for _, gz := range []bool{false, true} {
		name := "plain"
		if gz {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			s, q, syms, c := testServer(t, Config{})
			opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(s.GRPCAddr()), otlptracegrpc.WithInsecure()}
			if gz {
				opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
			}
			exp, err := otlptracegrpc.New(context.Background(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			ids := sendWithSDK(t, exp)
			checkSDKSpans(t, collect(t, q, 3), syms, ids)
			if c.Received.Load() != 3 {
				t.Errorf("received = %d", c.Received.Load())
			}
		})
	}
}

func TestE2EHTTP(t *testing.T) {
	for _, gz := range []bool{false, true} {
		name := "plain"
		if gz {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			s, q, syms, _ := testServer(t, Config{})
			opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(s.HTTPAddr()), otlptracehttp.WithInsecure()}
			if gz {
				opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
			}
			exp, err := otlptracehttp.New(context.Background(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			ids := sendWithSDK(t, exp)
			checkSDKSpans(t, collect(t, q, 3), syms, ids)
		})
	}
}

// TestE2EJSON posts OTLP/JSON as a hand-written client (curl, a browser
// SDK) would: hex IDs, int64 times as strings, enum ints.
func TestE2EJSON(t *testing.T) {
	s, q, syms, _ := testServer(t, Config{})
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
	"scopeSpans":[{"scope":{"name":"browser"},"spans":[
	{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173",
	 "name":"click","kind":1,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
	 "attributes":[{"key":"ui.button","value":{"stringValue":"buy"}},{"key":"n","value":{"intValue":"3"}}],
	 "status":{"code":1}}]}]}]}`
	resp := postHTTP(t, s.HTTPAddr(), "/v1/traces", ctJSON, []byte(body), false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp.Body))
	}
	if got := string(readAll(t, resp.Body)); got != "{}" {
		t.Errorf("response body %q", got)
	}
	b := nextBatch(t, q)
	if len(b.Spans) != 1 {
		t.Fatalf("spans = %d", len(b.Spans))
	}
	sp := b.Spans[0]
	if sp.TraceID.String() != "5b8efff798038103d269b633813fc60c" || sp.SpanID.String() != "eee19b7ec3c1b174" ||
		sp.Parent.String() != "eee19b7ec3c1b173" || sp.Kind != model.KindInternal || sp.Status != model.StatusOK ||
		sp.Start != 1544712660000000000 || sp.End != 1544712661000000000 || syms.String(sp.Name) != "click" ||
		syms.String(b.Resources[0].ServiceName) != "web" {
		t.Errorf("span = %+v", sp)
	}
	if a := attrMap(sp.Attrs, syms); a["ui.button"].Str != "buy" || a["n"].Int != 3 {
		t.Errorf("attrs = %v", a)
	}
}
