// Package otlpjson converts OTLP export requests between the protobuf wire
// format and OTLP/JSON as the OpenTelemetry Collector's file exporter
// writes it (pdata's JSON marshaler): protobuf's JSON mapping with
// lowerCamelCase names, enums as numbers, 64-bit integers as strings,
// bytes as base64 except trace and span IDs, which are lower-case hex, and
// fields at their default value left out.
//
// Encoding is on the recorder's path, so it walks the wire bytes with a
// table built once from the generated descriptors, without unmarshalling
// into structs. Decoding is for replay and goes through protojson.
package otlpjson

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Signal selects the request type: 0 traces, 1 logs, 2 metrics (the
// values of ingest.Signal).
type Signal uint8

// The request types.
const (
	Traces Signal = iota
	Logs
	Metrics
)

// String returns the signal's name as OTLP/HTTP spells its path.
func (s Signal) String() string {
	switch s {
	case Traces:
		return "traces"
	case Logs:
		return "logs"
	case Metrics:
		return "metrics"
	}
	return "unknown"
}

// msgTable describes one message type for the transcoder.
type msgTable struct {
	fields []*fieldTable // by field number; OTLP's numbers are small
	// fast names the messages written by hand-made code: attributes are
	// most of a request's bytes.
	fast fastKind
}

type fastKind uint8

const (
	fastNone fastKind = iota
	fastKeyValue
	fastAnyValue
	fastSpan
)

func (t *msgTable) field(n protowire.Number) *fieldTable {
	if n >= 0 && int(n) < len(t.fields) {
		return t.fields[n]
	}
	return nil
}

type fieldTable struct {
	name     string // JSON name
	key      string // "name": as written before the value
	kind     protoreflect.Kind
	list     bool
	hexBytes bool // a trace or span ID
	scalar   bool // a number, bool or enum: not a message, string or bytes
	msg      *msgTable
	// tag is the field's one-byte tag as a length-delimited field (0 for
	// field numbers above 15), for the loop over a list of messages.
	tag byte
}

var tables [3]*msgTable

func init() {
	cache := map[protoreflect.FullName]*msgTable{}
	tables[Traces] = build((&coltrace.ExportTraceServiceRequest{}).ProtoReflect().Descriptor(), cache)
	tables[Logs] = build((&collogs.ExportLogsServiceRequest{}).ProtoReflect().Descriptor(), cache)
	tables[Metrics] = build((&colmetrics.ExportMetricsServiceRequest{}).ProtoReflect().Descriptor(), cache)
}

// idFields are the bytes fields OTLP/JSON writes as hex.
var idFields = map[protoreflect.Name]bool{"trace_id": true, "span_id": true, "parent_span_id": true}

func build(md protoreflect.MessageDescriptor, cache map[protoreflect.FullName]*msgTable) *msgTable {
	if t, ok := cache[md.FullName()]; ok {
		return t
	}
	t := &msgTable{}
	switch md.FullName() {
	case "opentelemetry.proto.common.v1.KeyValue":
		t.fast = fastKeyValue
	case "opentelemetry.proto.common.v1.AnyValue":
		t.fast = fastAnyValue
	case "opentelemetry.proto.trace.v1.Span":
		t.fast = fastSpan
	}
	cache[md.FullName()] = t
	fs := md.Fields()
	for i := 0; i < fs.Len(); i++ {
		if n := int(fs.Get(i).Number()); n >= len(t.fields) {
			t.fields = append(t.fields, make([]*fieldTable, n+1-len(t.fields))...)
		}
	}
	for i := 0; i < fs.Len(); i++ {
		fd := fs.Get(i)
		ft := &fieldTable{
			name: fd.JSONName(), key: `"` + fd.JSONName() + `":`, kind: fd.Kind(), list: fd.IsList(),
			hexBytes: fd.Kind() == protoreflect.BytesKind && idFields[fd.Name()],
		}
		ft.scalar = ft.kind != protoreflect.MessageKind && ft.kind != protoreflect.StringKind && ft.kind != protoreflect.BytesKind
		if fd.Number() < 16 {
			ft.tag = byte(fd.Number())<<3 | byte(protowire.BytesType)
		}
		if fd.Kind() == protoreflect.MessageKind {
			ft.msg = build(fd.Message(), cache)
		}
		t.fields[fd.Number()] = ft
	}
	return t
}

// ErrMalformed wraps every error about the protobuf input.
var ErrMalformed = errors.New("malformed protobuf")

// fieldVal is one occurrence of a field in the wire bytes. It holds no
// pointers (bytes are offsets into the message), so the scratch stack
// costs no write barriers.
type fieldVal struct {
	num      protowire.Number
	typ      protowire.Type
	pack     bool   // the bytes hold a packed run of scalars
	u        uint64 // varint, fixed32, fixed64
	off, end int    // bytes: msg[off:end]
}

// Encoder converts requests to OTLP/JSON. It keeps its scratch space
// between calls; one goroutine uses it at a time.
type Encoder struct {
	stack []fieldVal // the fields of the messages being written, outermost first
	attrs attrMemo
	times timeDigits // a span's start and end
	// The hex of the last trace and parent IDs written.
	traceIDs, parentIDs lastID
}

// Append appends the OTLP/JSON form of the protobuf request pb of signal
// sig to dst, without a newline.
func Append(dst []byte, sig Signal, pb []byte) ([]byte, error) {
	var e Encoder
	return e.Append(dst, sig, pb)
}

// Append is the package's Append with e's scratch space.
func (e *Encoder) Append(dst []byte, sig Signal, pb []byte) ([]byte, error) {
	if int(sig) >= len(tables) {
		return dst, fmt.Errorf("otlpjson: unknown signal %d", sig)
	}
	e.stack = e.stack[:0]
	if len(pb) == 0 {
		// An empty request (SDKs send them) as its signal's empty list
		// rather than "{}": the line still says what it is, so that a
		// replay reads it as the empty request it was.
		return append(append(append(dst, '{'), signalKeys[sig].camel...), `:[]}`...), nil
	}
	return e.appendMsg(dst, tables[sig], pb, 0)
}

const maxDepth = 64

func (e *Encoder) appendMsg(dst []byte, t *msgTable, b []byte, depth int) ([]byte, error) {
	if len(b) == 0 {
		return append(dst, '{', '}'), nil // a span's status, often
	}
	switch t.fast {
	case fastKeyValue:
		out, _, err := e.appendKVs(dst, t, 0, b, nil, depth)
		return out, err
	case fastAnyValue:
		if out, ok := e.appendAnyValue(dst, t, b, depth); ok {
			return out, nil
		}
	case fastSpan:
		if out, ok, err := e.appendSpan(dst, t, b, depth); ok {
			return out, err
		}
	}
	return e.appendGeneric(dst, t, b, depth)
}

// appendKVs writes the attribute vb, from the memo, by hand-made code,
// or (an unusual wire form) as any message, and those of the same list
// (tag, 0 for none) that follow it in b; it returns the rest of b.
// Attributes are most of a request. (Only appendGeneric recurses without
// this cycle, so its depth check bounds the recursion.)
func (e *Encoder) appendKVs(dst []byte, t *msgTable, tag byte, vb, b []byte, depth int) (_, rest []byte, _ error) {
	m := &e.attrs
	var err error
	for {
		// Found in the memo: most attributes. Written out here rather
		// than in a method of its own, which would be too large to
		// inline: as a call, 2-3.6% more instructions a span in
		// BenchmarkRecordEncode under callgrind. Anything else goes to
		// miss.
		if m.bypass == 0 && m.tags != nil && memorable(vb) {
			h := memoHash(vb)
			i := int(h >> (64 - memoBits))
			if s := &m.slots[i]; m.tags[i] == uint32(h)|1 && int(s.wireLen) == len(vb) && s.holds(vb) {
				m.count()
				m.hits++
				dst = s.appendJSON(dst)
				goto next
			}
		}
		if dst, err = e.appendNewKV(dst, t, vb, m.miss(vb), depth); err != nil {
			return dst, b, err
		}
	next:
		// The next, when its tag and length take a byte each; the
		// caller reads any other.
		if len(b) < 2 || b[0] != tag || tag == 0 || b[1] >= 0x80 || int(b[1]) > len(b)-2 {
			return dst, b, nil
		}
		vb, b = b[2:2+int(b[1])], b[2+int(b[1]):]
		dst = append(dst, ',')
	}
}

// appendNewKV writes an attribute the memo does not have, for it to keep
// where ref says.
func (e *Encoder) appendNewKV(dst []byte, t *msgTable, b []byte, ref memoRef, depth int) ([]byte, error) {
	if out, ok := appendStringKV(dst, b); ok {
		e.attrs.keep(ref, b, out[len(dst):])
		return out, nil
	}
	if out, ok := e.appendKeyValue(dst, t, b, depth); ok {
		e.attrs.keep(ref, b, out[len(dst):])
		return out, nil
	}
	return e.appendGeneric(dst, t, b, depth)
}

// appendGeneric writes any message from its table.
func (e *Encoder) appendGeneric(dst []byte, t *msgTable, b []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, fmt.Errorf("%w: nested too deeply", ErrMalformed)
	}
	mark := len(dst)
	if out, ok, err := e.appendInOrder(dst, t, b, depth); ok {
		return out, err
	}
	dst = dst[:mark]
	base := len(e.stack)
	msg := b
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return dst, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		ft := t.field(num)
		v := fieldVal{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			v.u, n = consumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			v.u = uint64(u)
		case protowire.Fixed64Type:
			v.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			var vb []byte
			vb, n = consumeBytes(b)
			if n >= 0 {
				v.end = len(msg) - len(b) + n
				v.off = v.end - len(vb)
			}
			v.pack = ft != nil && ft.scalar
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return dst, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		if ft != nil && typ != protowire.StartGroupType && !(v.pack && !ft.list) {
			e.stack = append(e.stack, v)
		}
	}
	n := len(e.stack) - base
	// Fields in number order, each repeated field's occurrences together
	// (a stable insertion sort: messages have few fields).
	vals := e.stack[base:]
	for i := 1; i < n; i++ {
		for j := i; j > 0 && vals[j].num < vals[j-1].num; j-- {
			vals[j], vals[j-1] = vals[j-1], vals[j]
		}
	}
	dst = append(dst, '{')
	for i := 0; i < n; {
		// e.stack may move as nested messages push onto it.
		num := e.stack[base+i].num
		ft := t.field(num)
		j := i + 1
		for j < n && e.stack[base+j].num == num {
			j++
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, ft.name...)
		dst = append(dst, '"', ':')
		var err error
		if ft.list {
			dst = append(dst, '[')
			first := true
			for k := i; k < j; k++ {
				v := e.stack[base+k]
				if dst, err = e.appendValue(dst, ft, &v, msg, depth, &first); err != nil {
					return dst, err
				}
			}
			dst = append(dst, ']')
		} else {
			// The last occurrence wins, as in protobuf; a message merges,
			// which OTLP encoders never rely on.
			first := true
			v := e.stack[base+j-1]
			if dst, err = e.appendValue(dst, ft, &v, msg, depth, &first); err != nil {
				return dst, err
			}
		}
		i = j
	}
	e.stack = e.stack[:base]
	return append(dst, '}'), nil
}

// appendInOrder writes a message whose fields come in field-number order,
// each repeated field's occurrences together (what every protobuf encoder
// writes), in one pass over the wire bytes. ok is false, with dst to be
// cut back, when the order is anything else: appendMsg then sorts.
func (e *Encoder) appendInOrder(dst []byte, t *msgTable, b []byte, depth int) (_ []byte, ok bool, _ error) {
	dst = append(dst, '{')
	var last protowire.Number
	var open *fieldTable // the list being written
	first := true        // no field written yet
	firstElem := true    // no element of open written yet
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return dst, true, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		ft := t.field(num)
		if ft == nil || typ == protowire.StartGroupType || typ == protowire.EndGroupType || (typ == protowire.BytesType && !ft.list && ft.scalar) {
			// Unknown, or (a run of scalars for a field that is not
			// repeated) of the wrong wire type, which protobuf keeps as
			// unknown too.
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return dst, true, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		switch {
		case num < last, num == last && !ft.list:
			return dst, false, nil
		case num > last:
			if open != nil {
				dst = append(dst, ']')
				open = nil
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, ft.key...)
			if ft.list {
				dst = append(dst, '[')
				open, firstElem = ft, true
			}
			last = num
		}
		var err error
		switch typ {
		case protowire.BytesType:
			vb, n := consumeBytes(b)
			if n < 0 {
				return dst, true, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
			}
			b = b[n:]
			switch ft.kind {
			case protoreflect.MessageKind:
				if ft.list && !firstElem {
					dst = append(dst, ',')
				}
				if !ft.list {
					dst, err = e.appendMsg(dst, ft.msg, vb, depth+1)
					break
				}
				// This element and those of the same list that follow it
				// (a span's attributes, a scope's spans), in a loop of
				// their own.
				if ft.msg.fast == fastKeyValue {
					dst, b, err = e.appendKVs(dst, ft.msg, ft.tag, vb, b, depth+1)
					break
				}
				for {
					if dst, err = e.appendMsg(dst, ft.msg, vb, depth+1); err != nil {
						break
					}
					// The next element, when its tag takes a byte; the
					// outer loop reads any other (and says what is wrong).
					if len(b) == 0 || b[0] != ft.tag || ft.tag == 0 {
						break
					}
					next, n := consumeBytes(b[1:])
					if n < 0 {
						break
					}
					vb, b = next, b[1+n:]
					dst = append(dst, ',')
				}
			case protoreflect.StringKind:
				if ft.list && !firstElem {
					dst = append(dst, ',')
				}
				dst = appendString(dst, vb)
			case protoreflect.BytesKind:
				if ft.list && !firstElem {
					dst = append(dst, ',')
				}
				dst = append(dst, '"')
				if ft.hexBytes {
					dst = appendHex(dst, vb)
				} else {
					dst = base64.StdEncoding.AppendEncode(dst, vb)
				}
				dst = append(dst, '"')
			default: // a packed run
				v := fieldVal{num: num, typ: typ, pack: true, end: len(vb)}
				f := firstElem
				dst, err = e.appendValue(dst, ft, &v, vb, depth, &f)
			}
			firstElem = false
		case protowire.VarintType, protowire.Fixed32Type, protowire.Fixed64Type:
			var u uint64
			switch typ {
			case protowire.VarintType:
				u, n = consumeVarint(b)
			case protowire.Fixed32Type:
				var x uint32
				x, n = protowire.ConsumeFixed32(b)
				u = uint64(x)
			default:
				u, n = protowire.ConsumeFixed64(b)
			}
			if n < 0 {
				return dst, true, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
			}
			b = b[n:]
			if ft.kind == protoreflect.MessageKind || ft.kind == protoreflect.StringKind || ft.kind == protoreflect.BytesKind {
				return dst, true, fmt.Errorf("%w: field %s has the wrong wire type", ErrMalformed, ft.name)
			}
			if ft.list && !firstElem {
				dst = append(dst, ',')
			}
			firstElem = false
			dst = appendScalar(dst, ft.kind, u)
		default:
			return dst, false, nil
		}
		if err != nil {
			return dst, true, err
		}
	}
	if open != nil {
		dst = append(dst, ']')
	}
	return append(dst, '}'), true, nil
}

// appendValue writes one occurrence (several for a packed run), each
// preceded by a comma unless *first.
func (e *Encoder) appendValue(dst []byte, ft *fieldTable, v *fieldVal, msg []byte, depth int, first *bool) ([]byte, error) {
	vb := msg[v.off:v.end]
	sep := func() {
		if !*first {
			dst = append(dst, ',')
		}
		*first = false
	}
	if v.pack {
		b := vb
		for len(b) > 0 {
			var u uint64
			var n int
			switch ft.kind {
			case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
				var x uint32
				x, n = protowire.ConsumeFixed32(b)
				u = uint64(x)
			case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
				u, n = protowire.ConsumeFixed64(b)
			default:
				u, n = consumeVarint(b)
			}
			if n < 0 {
				return dst, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
			}
			b = b[n:]
			sep()
			dst = appendScalar(dst, ft.kind, u)
		}
		return dst, nil
	}
	sep()
	switch ft.kind {
	case protoreflect.MessageKind:
		if v.typ != protowire.BytesType {
			return dst, fmt.Errorf("%w: field %s is not a message", ErrMalformed, ft.name)
		}
		return e.appendMsg(dst, ft.msg, vb, depth+1)
	case protoreflect.StringKind:
		return appendString(dst, vb), nil
	case protoreflect.BytesKind:
		dst = append(dst, '"')
		if ft.hexBytes {
			dst = appendHex(dst, vb)
		} else {
			dst = base64.StdEncoding.AppendEncode(dst, vb)
		}
		return append(dst, '"'), nil
	}
	return appendScalar(dst, ft.kind, v.u), nil
}

func appendScalar(dst []byte, k protoreflect.Kind, u uint64) []byte {
	switch k {
	case protoreflect.BoolKind:
		return strconv.AppendBool(dst, u != 0)
	case protoreflect.EnumKind, protoreflect.Int32Kind:
		return strconv.AppendInt(dst, int64(int32(u)), 10)
	case protoreflect.Sint32Kind:
		return strconv.AppendInt(dst, int64(protowire.DecodeZigZag(u&math.MaxUint32)), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(dst, uint64(uint32(u)), 10)
	case protoreflect.Sfixed32Kind:
		return strconv.AppendInt(dst, int64(int32(uint32(u))), 10)
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		dst = append(dst, '"')
		return append(appendInt(dst, int64(u)), '"')
	case protoreflect.Sint64Kind:
		dst = append(dst, '"')
		return append(appendInt(dst, protowire.DecodeZigZag(u)), '"')
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		dst = append(dst, '"')
		return append(appendUint(dst, u), '"')
	case protoreflect.DoubleKind:
		return appendFloat(dst, math.Float64frombits(u), 64)
	case protoreflect.FloatKind:
		return appendFloat(dst, float64(math.Float32frombits(uint32(u))), 32)
	}
	return strconv.AppendUint(dst, u, 10)
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

const hexDigits = "0123456789abcdef"

// plain marks the bytes a JSON string holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainWord reports whether the eight bytes of w are all plain: ASCII,
// not a control character, a quote or a backslash. (x-lo)&^x&hi is
// non-zero exactly when a byte of x is zero (or, for x-n*lo, below n,
// the bytes being ASCII).
func plainWord(w uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, bs := w^(lo*'"'), w^(lo*'\\')
	return (w|(w-lo*0x20)&^w|(q-lo)&^q|(bs-lo)&^bs)&hi == 0
}

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as protojson and pdata do.
func appendString(dst []byte, s []byte) []byte {
	if allPlain(s) { // most strings: in quotes as they are
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendEscaped(dst, s)
}

// allPlain reports whether every byte of s is plain, eight at a time
// (the last eight overlapping those before).
func allPlain(s []byte) bool {
	if len(s) < 8 {
		for _, c := range s {
			if !plain[c] {
				return false
			}
		}
		return true
	}
	for i := 0; i+8 < len(s); i += 8 {
		if !plainWord(binary.LittleEndian.Uint64(s[i:])) {
			return false
		}
	}
	return plainWord(binary.LittleEndian.Uint64(s[len(s)-8:]))
}

// appendEscaped is appendString for a string with something to escape.
func appendEscaped(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight plain bytes at a time: most strings have nothing to escape.
		if i+8 <= len(s) && plainWord(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
			continue
		}
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendStringKV writes the commonest attribute, a short string under a
// short plain key, straight from its exact wire form: the key's tag and
// one-byte length, the key, the value's tag and one-byte length, the
// string's tag and one-byte length, the string. ok is false for any other
// form, or a string with something to escape, which appendKeyValue then
// writes.
func appendStringKV(dst, b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != 0x0a || b[1] >= 0x80 {
		return dst, false
	}
	k := int(b[1])
	if len(b) < 2+k+4 || b[2+k] != 0x12 || b[3+k] >= 0x80 || b[4+k] != 0x0a || b[5+k] >= 0x80 {
		return dst, false
	}
	n := int(b[5+k])
	if int(b[3+k]) != n+2 || len(b) != 6+k+n || k == 0 {
		return dst, false
	}
	key, str := b[2:2+k], b[6+k:]
	if !allPlain(key) || !allPlain(str) {
		return dst, false
	}
	dst = append(dst, `{"key":"`...)
	dst = append(dst, key...)
	dst = append(dst, `","value":{"stringValue":"`...)
	dst = append(dst, str...)
	return append(dst, `"}}`...), true
}

// appendKeyValue writes a KeyValue whose wire form is the usual one (a key,
// then at most one value); ok is false for anything else, which the
// generic path then writes.
func (e *Encoder) appendKeyValue(dst []byte, t *msgTable, b []byte, depth int) ([]byte, bool) {
	var key, val []byte
	var haveKey, haveVal bool
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			return dst, false
		}
		v, m := consumeBytes(b[n:])
		if m < 0 {
			return dst, false
		}
		b = b[n+m:]
		switch {
		case num == 1 && !haveKey:
			key, haveKey = v, true
		case num == 2 && !haveVal:
			val, haveVal = v, true
		default:
			return dst, false
		}
	}
	mark := len(dst)
	dst = append(dst, '{')
	if haveKey && len(key) > 0 {
		dst = append(dst, `"key":`...)
		dst = appendString(dst, key)
	}
	if haveVal {
		if haveKey && len(key) > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"value":`...)
		var err error
		if dst, err = e.appendMsg(dst, t.fields[2].msg, val, depth+1); err != nil {
			return dst[:mark], false
		}
	}
	return append(dst, '}'), true
}

// appendAnyValue writes an AnyValue holding one scalar; ok is false for
// arrays, lists and anything unusual.
func (e *Encoder) appendAnyValue(dst []byte, t *msgTable, b []byte, depth int) ([]byte, bool) {
	if len(b) == 0 {
		return append(dst, '{', '}'), true
	}
	num, typ, n := consumeTag(b)
	if n < 0 {
		return dst, false
	}
	b = b[n:]
	var u uint64
	var v []byte
	switch typ {
	case protowire.VarintType:
		u, n = consumeVarint(b)
	case protowire.Fixed64Type:
		u, n = protowire.ConsumeFixed64(b)
	case protowire.BytesType:
		v, n = consumeBytes(b)
	default:
		return dst, false
	}
	if n < 0 || n != len(b) {
		return dst, false // malformed, or more than one field: the generic path says which
	}
	switch {
	case num == 1 && typ == protowire.BytesType:
		dst = append(dst, `{"stringValue":`...)
		dst = appendString(dst, v)
	case num == 2 && typ == protowire.VarintType:
		dst = append(dst, `{"boolValue":`...)
		dst = strconv.AppendBool(dst, u != 0)
	case num == 3 && typ == protowire.VarintType:
		dst = append(dst, `{"intValue":"`...)
		dst = appendInt(dst, int64(u))
		dst = append(dst, '"')
	case num == 4 && typ == protowire.Fixed64Type:
		dst = append(dst, `{"doubleValue":`...)
		dst = appendFloat(dst, math.Float64frombits(u), 64)
	case num == 7 && typ == protowire.BytesType:
		dst = append(dst, `{"bytesValue":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, v)
		dst = append(dst, '"')
	default:
		return dst, false
	}
	return append(dst, '}'), true
}

// appendHex writes b in lower-case hex (trace and span IDs), eight bytes
// at a time in the lanes of uint64s: each byte spread to a 16-bit lane,
// its two nibbles to bytes, and each nibble to its digit with an add, and
// a second add where it is 10 or more.
func appendHex(dst, b []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(b))[:n+2*len(b)]
	out := dst[n:]
	for len(b) >= 8 && len(out) >= 16 {
		binary.LittleEndian.PutUint64(out, hex4(binary.LittleEndian.Uint32(b)))
		binary.LittleEndian.PutUint64(out[8:], hex4(binary.LittleEndian.Uint32(b[4:])))
		b, out = b[8:], out[16:]
	}
	for i, c := range b {
		out[2*i], out[2*i+1] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	return dst
}

// hex4 is the eight hex digits of four bytes (the first byte's first).
func hex4(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff_0000ffff
	x = (x | x<<8) & 0x00ff00ff_00ff00ff
	x = (x>>4)&0x000f000f_000f000f | (x&0x000f000f_000f000f)<<8 // high nibble first
	ten := ((x + 0x06060606_06060606) >> 4) & 0x01010101_01010101
	return x + 0x30303030_30303030 + ten*('a'-'0'-10)
}
