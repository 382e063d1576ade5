package agentlib

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// This file turns OTel SDK values into OTLP protobuf messages, the way the
// stock OTLP exporter does, so that spantop sees the same span from the
// application's exporter and from agentlib.

const scopeName = "github.com/spantop/spantop/agentlib"

// scopeVersion is agentlib's version as its instrumentation scope says.
const scopeVersion = "0.1.0"

func agentScope() *commonpb.InstrumentationScope {
	return &commonpb.InstrumentationScope{Name: scopeName, Version: scopeVersion}
}

func anyValue(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return intValue(v.AsInt64())
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRING:
		return stringValue(v.AsString())
	case attribute.BYTESLICE:
		return bytesValue(v.AsByteSlice())
	case attribute.BOOLSLICE:
		s := v.AsBoolSlice()
		vals := make([]*commonpb.AnyValue, len(s))
		for i, x := range s {
			vals[i] = &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: x}}
		}
		return arrayValue(vals)
	case attribute.INT64SLICE:
		s := v.AsInt64Slice()
		vals := make([]*commonpb.AnyValue, len(s))
		for i, x := range s {
			vals[i] = intValue(x)
		}
		return arrayValue(vals)
	case attribute.FLOAT64SLICE:
		s := v.AsFloat64Slice()
		vals := make([]*commonpb.AnyValue, len(s))
		for i, x := range s {
			vals[i] = &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
		}
		return arrayValue(vals)
	case attribute.STRINGSLICE:
		s := v.AsStringSlice()
		vals := make([]*commonpb.AnyValue, len(s))
		for i, x := range s {
			vals[i] = stringValue(x)
		}
		return arrayValue(vals)
	case attribute.SLICE:
		s := v.AsSlice()
		vals := make([]*commonpb.AnyValue, len(s))
		for i, x := range s {
			vals[i] = anyValue(x)
		}
		return arrayValue(vals)
	case attribute.MAP:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{
			KvlistValue: &commonpb.KeyValueList{Values: keyValues(v.AsMap())}}}
	default: // EMPTY
		return &commonpb.AnyValue{}
	}
}

func intValue(x int64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: x}}
}

func stringValue(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func bytesValue(b []byte) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: b}}
}

func boolValue(b bool) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
}

func arrayValue(vals []*commonpb.AnyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vals}}}
}

func kv(key string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: key, Value: v}
}

func keyValues(attrs []attribute.KeyValue) []*commonpb.KeyValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, kv(string(a.Key), anyValue(a.Value)))
	}
	return out
}

// resourceProto is agentlib's own resource.
func resourceProto(attrs []attribute.KeyValue) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: keyValues(attrs)}
}

// inflightSeq, when positive, makes spanProto build an in-flight snapshot:
// no end time, and the attributes spantop.span.inflight and
// spantop.snapshot.seq added.
func spanProto(s sdktrace.ReadOnlySpan, inflightSeq int64) *tracepb.Span {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	attrs := s.Attributes()
	p := &tracepb.Span{
		TraceId:                tid[:],
		SpanId:                 sid[:],
		TraceState:             sc.TraceState().String(),
		Name:                   s.Name(),
		Kind:                   tracepb.Span_SpanKind(s.SpanKind()),
		StartTimeUnixNano:      unixNano(s.StartTime().UnixNano()),
		DroppedAttributesCount: uint32(s.DroppedAttributes()),
		DroppedEventsCount:     uint32(s.DroppedEvents()),
		DroppedLinksCount:      uint32(s.DroppedLinks()),
		Flags:                  spanFlags(sc.TraceFlags(), s.Parent()),
	}
	if inflightSeq > 0 {
		p.Attributes = make([]*commonpb.KeyValue, 0, len(attrs)+2)
		p.Attributes = append(p.Attributes, keyValues(attrs)...)
		p.Attributes = append(p.Attributes,
			kv(attrInFlight, boolValue(true)),
			kv(attrSnapshotSeq, intValue(inflightSeq)))
	} else {
		p.Attributes = keyValues(attrs)
		if end := s.EndTime(); !end.IsZero() {
			p.EndTimeUnixNano = unixNano(end.UnixNano())
		}
	}
	if psc := s.Parent(); psc.SpanID().IsValid() {
		psid := psc.SpanID()
		p.ParentSpanId = psid[:]
	}
	if st := s.Status(); st.Code != codes.Unset || st.Description != "" {
		p.Status = &tracepb.Status{Message: st.Description}
		switch st.Code {
		case codes.Ok:
			p.Status.Code = tracepb.Status_STATUS_CODE_OK
		case codes.Error:
			p.Status.Code = tracepb.Status_STATUS_CODE_ERROR
		}
	}
	for _, e := range s.Events() {
		p.Events = append(p.Events, &tracepb.Span_Event{
			TimeUnixNano:           unixNano(e.Time.UnixNano()),
			Name:                   e.Name,
			Attributes:             keyValues(e.Attributes),
			DroppedAttributesCount: uint32(e.DroppedAttributeCount),
		})
	}
	for _, l := range s.Links() {
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		p.Links = append(p.Links, &tracepb.Span_Link{
			TraceId:                ltid[:],
			SpanId:                 lsid[:],
			TraceState:             l.SpanContext.TraceState().String(),
			Attributes:             keyValues(l.Attributes),
			DroppedAttributesCount: uint32(l.DroppedAttributeCount),
			Flags:                  spanFlags(l.SpanContext.TraceFlags(), l.SpanContext),
		})
	}
	return p
}

// spanFlags are the W3C trace flags plus whether the parent (or linked)
// context is remote, as OTLP defines them.
func spanFlags(tf trace.TraceFlags, remote trace.SpanContext) uint32 {
	f := uint32(tf) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if remote.IsRemote() {
		f |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	return f
}

func unixNano(ns int64) uint64 {
	if ns < 0 {
		return 0
	}
	return uint64(ns)
}

func scopeProto(s sdktrace.ReadOnlySpan) (*commonpb.InstrumentationScope, string) {
	is := s.InstrumentationScope()
	return &commonpb.InstrumentationScope{
		Name:       is.Name,
		Version:    is.Version,
		Attributes: keyValues(is.Attributes.ToSlice()),
	}, is.SchemaURL
}
