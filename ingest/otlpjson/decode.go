package otlpjson

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ArrivalField is the top-level field in which spantop's recordings keep
// when each request arrived (Unix nanoseconds, as a string like OTLP's
// other 64-bit integers). The Collector and other OTLP/JSON readers skip
// fields they do not know.
const ArrivalField = "spantopArrivalUnixNano"

// Request is one decoded line.
type Request struct {
	Signal Signal
	// Proto is the request in the protobuf wire format.
	Proto []byte
	// Arrived is when spantop received it (Unix ns), from ArrivalField;
	// 0 when the line has none (a Collector file).
	Arrived int64
	// Latest is the latest timestamp the request's data holds (span end or
	// start, log or data point time), for files without arrival times.
	Latest int64
	// Spans counts the spans of a traces request.
	Spans int
}

var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

// Decode reads one OTLP/JSON Export*ServiceRequest (a line of a recording
// or a Collector file, or a whole export file). Which signal it is comes
// from its top-level field: resourceSpans, resourceLogs, resourceMetrics.
func Decode(b []byte) (Request, error) {
	sig, ok := signalOf(b)
	if !ok {
		return Request{}, fmt.Errorf("not an OTLP/JSON export request: no resourceSpans, resourceLogs or resourceMetrics")
	}
	return DecodeSignal(b, sig)
}

// DecodeSignal is Decode for a request known to be of signal sig (one a
// receiver took at that signal's path, "{}" included).
func DecodeSignal(b []byte, sig Signal) (Request, error) {
	r := Request{Signal: sig}
	var msg proto.Message
	switch sig {
	case Traces:
		msg = &coltrace.ExportTraceServiceRequest{}
	case Logs:
		msg = &collogs.ExportLogsServiceRequest{}
	case Metrics:
		msg = &colmetrics.ExportMetricsServiceRequest{}
	default:
		return r, fmt.Errorf("otlpjson: unknown signal %d", sig)
	}
	if err := unmarshal.Unmarshal(b, msg); err != nil {
		return r, fmt.Errorf("malformed OTLP/JSON: %w", err)
	}
	if err := walk(msg.ProtoReflect(), &r, 0); err != nil {
		return r, err
	}
	r.Arrived = arrival(b)
	var err error
	if r.Proto, err = proto.Marshal(msg); err != nil {
		return r, fmt.Errorf("re-encoding OTLP/JSON: %w", err)
	}
	return r, nil
}

// signalKeys is in Signal order: Append writes an empty request by it.
var signalKeys = [...]struct {
	sig       Signal
	camel, pb []byte
}{
	{Traces, []byte(`"resourceSpans"`), []byte(`"resource_spans"`)},
	{Logs, []byte(`"resourceLogs"`), []byte(`"resource_logs"`)},
	{Metrics, []byte(`"resourceMetrics"`), []byte(`"resource_metrics"`)},
}

// signalOf finds the request's top-level field: the first of the three
// names in the text (a request begins with it; any string value that
// happens to hold one of them comes later).
func signalOf(b []byte) (Signal, bool) {
	best, found := -1, Signal(0)
	for _, k := range signalKeys {
		for _, key := range [][]byte{k.camel, k.pb} {
			if i := bytes.Index(b, key); i >= 0 && (best < 0 || i < best) {
				best, found = i, k.sig
			}
		}
	}
	return found, best >= 0
}

// arrival reads ArrivalField from the end of a line.
func arrival(b []byte) int64 {
	key := []byte(`"` + ArrivalField + `"`)
	i := bytes.LastIndex(b, key)
	if i < 0 {
		return 0
	}
	rest := bytes.TrimLeft(b[i+len(key):], " \t:")
	rest = bytes.TrimLeft(rest, `"`)
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// AppendArrival closes a request's JSON object (as Append wrote it) with
// ArrivalField. dst must end with the object's closing brace.
func AppendArrival(dst []byte, unixNano int64) []byte {
	if len(dst) == 0 || dst[len(dst)-1] != '}' {
		return dst
	}
	dst = dst[:len(dst)-1]
	if len(dst) > 0 && dst[len(dst)-1] != '{' { // not an empty object (dst may hold lines before it)
		dst = append(dst, ',')
	}
	dst = append(dst, `"`+ArrivalField+`":"`...)
	dst = strconv.AppendInt(dst, unixNano, 10)
	return append(dst, '"', '}')
}

// walk fixes the IDs protojson read as base64 (OTLP/JSON writes them as
// hex), and notes the latest timestamp and the number of spans.
func walk(m protoreflect.Message, r *Request, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("malformed OTLP/JSON: nested too deeply")
	}
	if m.Descriptor().Name() == "Span" {
		r.Spans++
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() == protoreflect.BytesKind && idFields[fd.Name()]:
			var id []byte
			if id, err = hexID(v.Bytes()); err != nil {
				err = fmt.Errorf("malformed OTLP/JSON: %s: %w", fd.JSONName(), err)
				return false
			}
			m.Set(fd, protoreflect.ValueOfBytes(id))
		case fd.Kind() == protoreflect.Fixed64Kind && !fd.IsList():
			switch fd.Name() {
			case "time_unix_nano", "start_time_unix_nano", "end_time_unix_nano", "observed_time_unix_nano":
				if t := int64(v.Uint()); t > r.Latest {
					r.Latest = t
				}
			}
		case fd.Kind() == protoreflect.MessageKind && fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = walk(l.Get(i).Message(), r, depth+1)
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			err = walk(v.Message(), r, depth+1)
		}
		return err == nil
	})
	return err
}

// hexID turns the bytes protojson decoded from the hex text as base64 back
// into that text and decodes it as hex. Hex digits are all in the base64
// alphabet, so re-encoding gives the original text exactly.
func hexID(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return b, nil
	}
	text := base64.StdEncoding.EncodeToString(b)
	id, err := hex.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("ID %q is not hex", text)
	}
	return id, nil
}
