package ingest

import (
	"testing"

	"github.com/spantop/spantop/model"
)

func TestDecodeLogsJSONHexIDs(t *testing.T) {
	body := []byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
	 "scopeLogs":[{"scope":{"name":"app"},"logRecords":[
	  {"timeUnixNano":"1700000000000000000","severityText":"WARN","body":{"stringValue":"disk almost full"},
	   "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
	   "attributes":[{"key":"disk","value":{"stringValue":"/dev/sda1"}},{"key":"free","value":{"intValue":"42"}}]},
	  {"body":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}}]}},"severityNumber":17},
	  {"traceId":"not-hex","body":{"stringValue":"bad"}}]}]}]}`)
	syms := model.NewSymbols()
	b, agent, rejected, msg, err := DecodeLogsJSON(body, syms, model.NewAttrWriter(syms))
	if err != nil || agent || rejected != 1 || msg == "" || len(b.Logs) != 2 {
		t.Fatalf("batch %+v agent %v rejected %d (%s) err %v", b, agent, rejected, msg, err)
	}
	r := b.Logs[0]
	if r.TraceID.String() != "5b8efff798038103d269b633813fc60c" || r.SpanID.String() != "eee19b7ec3c1b174" ||
		r.Severity != model.SevWarn || syms.String(r.SevText) != "WARN" || string(r.Data[:r.BodyLen]) != "disk almost full" ||
		r.Time != 1700000000000000000 || syms.String(r.Scope) != "app" || syms.String(b.Resources[r.Res].ServiceName) != "web" {
		t.Errorf("record %+v", r)
	}
	if a := attrMap(r.Data[r.BodyLen:], syms); a["disk"].Str != "/dev/sda1" || a["free"].Int != 42 {
		t.Errorf("attributes %v", a)
	}
	if k := b.Logs[1]; string(k.Data[:k.BodyLen]) != `{"a":1}` || k.Severity != model.SevError || k.Time == 0 {
		t.Errorf("kvlist body %q severity %d time %d", k.Data[:k.BodyLen], k.Severity, k.Time)
	}
}

func TestDecodeMetricsJSON(t *testing.T) {
	body := []byte(`{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
	 "scopeMetrics":[{"metrics":[
	  {"name":"reqs","unit":"1","sum":{"aggregationTemporality":1,"isMonotonic":true,
	    "dataPoints":[{"startTimeUnixNano":"1","timeUnixNano":"2","asInt":"7","attributes":[{"key":"route","value":{"stringValue":"/a"}}]}]}},
	  {"name":"lat","histogram":{"aggregationTemporality":2,
	    "dataPoints":[{"count":"3","sum":6,"bucketCounts":["1","2"],"explicitBounds":[5]}]}},
	  {"name":"nan","gauge":{"dataPoints":[{"asDouble":"NaN"}]}}]}]}]}`)
	syms := model.NewSymbols()
	b, runtime, rejected, msg, err := DecodeMetricsJSON(body, syms, model.NewAttrWriter(syms))
	if err != nil || runtime || rejected != 1 || msg == "" || len(b.Metrics) != 2 {
		t.Fatalf("batch %+v rejected %d (%s) err %v", b, rejected, msg, err)
	}
	s := b.Metrics[0]
	if syms.String(s.Name) != "reqs" || s.Type != model.MetricSum || !s.Monotonic || !s.Delta || s.Value != 7 || s.Start != 1 || s.Time != 2 ||
		attrMap(s.Attrs, syms)["route"].Str != "/a" {
		t.Errorf("sum point %+v", s)
	}
	h := b.Metrics[1]
	if h.Type != model.MetricHistogram || h.Delta || h.Hist.Count != 3 || h.Hist.Sum != 6 || len(h.Hist.Counts) != 2 || h.Hist.Bounds[0] != 5 {
		t.Errorf("histogram point %+v %+v", h, h.Hist)
	}
}
