package ingest

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// DecodeTracesJSON is DecodeTraces for OTLP/JSON. OTLP/JSON is protobuf's
// JSON mapping with one exception: trace and span IDs are hex, not base64.
// Unknown fields are ignored, as the OTLP spec asks of receivers.
func DecodeTracesJSON(b []byte, syms *model.Symbols, w *model.AttrWriter) (batch *model.Batch, rejected int, errMsg string, err error) {
	d := decoder{syms: syms, w: w}
	return d.decodeJSON(b)
}

var jsonOptions = protojson.UnmarshalOptions{DiscardUnknown: true}

// decodeJSON goes through the generated structs (JSON is not the fast
// path), fixes the IDs, and hands the re-marshalled request to the protobuf
// decoder so both encodings share one set of rules.
func (d *decoder) decodeJSON(b []byte) (*model.Batch, int, string, error) {
	var req coltrace.ExportTraceServiceRequest
	if err := jsonOptions.Unmarshal(b, &req); err != nil {
		return nil, 0, "", fmt.Errorf("malformed OTLP/JSON: %w", err)
	}
	rejected, first := fixJSONIDs(&req)
	pb, err := proto.Marshal(&req)
	if err != nil {
		return nil, 0, "", fmt.Errorf("re-encoding OTLP/JSON: %w", err)
	}
	batch, n, msg, err := d.decode(pb)
	if err != nil {
		return nil, 0, "", err
	}
	if rejected > 0 {
		msg = fmt.Sprintf("%d span(s) rejected; first: %s", rejected+n, first)
	}
	return batch, rejected + n, msg, nil
}

// fixJSONIDs turns the IDs protojson decoded as base64 back into the hex
// digits they were and decodes those. Hex digits are all in the base64
// alphabet and 32 or 16 of them decode without padding, so re-encoding
// gives the original text exactly. Spans whose IDs are not hex are removed
// and counted.
func fixJSONIDs(req *coltrace.ExportTraceServiceRequest) (rejected int, first string) {
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.GetScopeSpans() {
			kept := ss.Spans[:0]
			for _, sp := range ss.Spans {
				if sp == nil {
					continue
				}
				if bad := fixSpanIDs(sp); bad != "" {
					rejected++
					if first == "" {
						first = fmt.Sprintf("span %q: %s", sp.Name, bad)
					}
					continue
				}
				kept = append(kept, sp)
			}
			clear(ss.Spans[len(kept):])
			ss.Spans = kept
		}
	}
	return rejected, first
}

func fixSpanIDs(sp *tracepb.Span) string {
	var ok bool
	if sp.TraceId, ok = hexID(sp.TraceId); !ok {
		return "trace ID is not 32 hex digits (OTLP/JSON)"
	}
	if sp.SpanId, ok = hexID(sp.SpanId); !ok {
		return "span ID is not 16 hex digits (OTLP/JSON)"
	}
	if sp.ParentSpanId, ok = hexID(sp.ParentSpanId); !ok {
		return "parent span ID is not 16 hex digits or empty (OTLP/JSON)"
	}
	for _, l := range sp.Links {
		if l == nil {
			continue
		}
		// A link with a bad ID keeps a zero ID rather than costing the span.
		l.TraceId, _ = hexID(l.TraceId)
		l.SpanId, _ = hexID(l.SpanId)
	}
	return ""
}

func hexID(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, true
	}
	out, err := hex.DecodeString(base64.RawStdEncoding.EncodeToString(b))
	if err != nil {
		return nil, false
	}
	return out, true
}
