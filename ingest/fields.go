package ingest

import "google.golang.org/protobuf/encoding/protowire"

// Field numbers of the OTLP trace messages the span decoder reads, from
// opentelemetry/proto/{collector/trace,trace,resource,common}/v1/*.proto.
const (
	// ExportTraceServiceRequest
	fReqResourceSpans protowire.Number = 1

	// ResourceSpans
	fRSResource   protowire.Number = 1
	fRSScopeSpans protowire.Number = 2

	// ScopeSpans
	fSSScope protowire.Number = 1
	fSSSpans protowire.Number = 2

	// InstrumentationScope
	fScopeName    protowire.Number = 1
	fScopeVersion protowire.Number = 2

	// Resource
	fResAttributes protowire.Number = 1

	// Span
	fSpanTraceID           protowire.Number = 1
	fSpanSpanID            protowire.Number = 2
	fSpanTraceState        protowire.Number = 3
	fSpanParentSpanID      protowire.Number = 4
	fSpanName              protowire.Number = 5
	fSpanKind              protowire.Number = 6
	fSpanStart             protowire.Number = 7
	fSpanEnd               protowire.Number = 8
	fSpanAttributes        protowire.Number = 9
	fSpanDroppedAttributes protowire.Number = 10
	fSpanEvents            protowire.Number = 11
	fSpanDroppedEvents     protowire.Number = 12
	fSpanLinks             protowire.Number = 13
	fSpanDroppedLinks      protowire.Number = 14
	fSpanStatus            protowire.Number = 15
	fSpanFlags             protowire.Number = 16

	// Span.Event
	fEventTime       protowire.Number = 1
	fEventName       protowire.Number = 2
	fEventAttributes protowire.Number = 3

	// Span.Link
	fLinkTraceID    protowire.Number = 1
	fLinkSpanID     protowire.Number = 2
	fLinkAttributes protowire.Number = 4

	// Status
	fStatusMessage protowire.Number = 2
	fStatusCode    protowire.Number = 3

	// KeyValue
	fKVKey   protowire.Number = 1
	fKVValue protowire.Number = 2

	// AnyValue (a oneof)
	fAnyString protowire.Number = 1
	fAnyBool   protowire.Number = 2
	fAnyInt    protowire.Number = 3
	fAnyDouble protowire.Number = 4
	fAnyArray  protowire.Number = 5
	fAnyKVList protowire.Number = 6
	fAnyBytes  protowire.Number = 7

	// ArrayValue and KeyValueList
	fListValues protowire.Number = 1
)

// Wire types, by the names the decoder's switches use.
const (
	wireVarint  = protowire.VarintType
	wireFixed64 = protowire.Fixed64Type
	wireBytes   = protowire.BytesType
	wireFixed32 = protowire.Fixed32Type
)

// tagSpanAttribute is the one-byte tag of Span.attributes (field 9,
// length-delimited), which the span loop matches before the general field
// reader because attributes are most of a span.
const tagSpanAttribute = byte(fSpanAttributes)<<3 | byte(wireBytes)

// One-byte tags the KeyValue and AnyValue fast paths match.
const (
	tagKVKey     = byte(fKVKey)<<3 | byte(wireBytes)
	tagKVValue   = byte(fKVValue)<<3 | byte(wireBytes)
	tagAnyString = byte(fAnyString)<<3 | byte(wireBytes)
	tagAnyBool   = byte(fAnyBool)<<3 | byte(wireVarint)
	tagAnyInt    = byte(fAnyInt)<<3 | byte(wireVarint)
	tagAnyDouble = byte(fAnyDouble)<<3 | byte(wireFixed64)
)
