package model

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
)

// Attributes are stored per span as one compact byte string (an "attribute
// blob"): for each attribute, the key's Sym as a uvarint, a tag byte and the
// value. Short string values are interned; others are stored inline. This is
// a fraction of the memory of []struct{Key, Value string} and holds no
// pointers for the garbage collector to chase.
const (
	tagStrSym    byte = iota + 1 // uvarint Sym
	tagStrInline                 // uvarint length, bytes
	tagInt                       // zig-zag varint
	tagDouble                    // 8 bytes little-endian IEEE 754
	tagTrue
	tagFalse
	tagBytes // uvarint length, bytes
)

// maxInternedValue is the longest string value worth interning; longer ones
// (URLs with IDs, SQL, stack traces) are rarely repeated.
const maxInternedValue = 48

// ValueType tells which field of a Value is set.
type ValueType uint8

// Value types of attributes.
const (
	ValueString ValueType = iota
	ValueInt
	ValueDouble
	ValueBool
	ValueBytes
)

// Value is one decoded attribute value.
type Value struct {
	Type  ValueType
	Str   string // ValueString, ValueBytes (raw bytes)
	Int   int64
	Float float64
	Bool  bool
}

// String formats the value for display.
func (v Value) String() string {
	switch v.Type {
	case ValueInt:
		return strconv.FormatInt(v.Int, 10)
	case ValueDouble:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case ValueBool:
		return strconv.FormatBool(v.Bool)
	case ValueBytes:
		return hex.EncodeToString([]byte(v.Str))
	default:
		return v.Str
	}
}

// Attr is one decoded attribute.
type Attr struct {
	Key   string
	Value Value
}

// AttrWriter builds an attribute blob. The zero value is not usable; get one
// with NewAttrWriter and reuse it across spans with Reset.
type AttrWriter struct {
	syms *Symbols
	buf  []byte
	n    int
	// known caches Syms this writer has seen, so the common case (the same
	// keys and values batch after batch) takes no lock on the shared table.
	// A writer belongs to one goroutine at a time.
	known map[string]Sym
	// pairs caches the Syms of whole (key, value) string attributes, most
	// of which repeat: one lookup per attribute instead of two.
	pairs   map[string]uint64
	pairBuf []byte
	// epoch is the Symbols epoch the caches were filled in: handles may be
	// reclaimed and reused after the next one, so the caches go then.
	epoch uint32
}

// maxKnown bounds a writer's cache; it starts over when full.
const maxKnown = 8192

// maxCachedString is the longest string a writer's cache keeps.
const maxCachedString = 256

// NewAttrWriter returns a writer interning into syms.
func NewAttrWriter(syms *Symbols) *AttrWriter {
	return &AttrWriter{syms: syms, known: make(map[string]Sym), pairs: make(map[string]uint64)}
}

// Intern interns b through the writer's cache; use it for names too.
func (w *AttrWriter) Intern(b []byte) Sym {
	w.checkEpoch()
	if id, ok := w.known[string(b)]; ok {
		return id
	}
	id := w.syms.Intern(b)
	w.remember(b, id)
	return id
}

// tryIntern is Symbols.tryIntern through the writer's cache.
func (w *AttrWriter) tryIntern(b []byte) (Sym, bool) {
	w.checkEpoch()
	if id, ok := w.known[string(b)]; ok {
		return id, true
	}
	id, ok := w.syms.tryIntern(b)
	if ok {
		w.remember(b, id)
	}
	return id, ok
}

func (w *AttrWriter) remember(b []byte, id Sym) {
	if len(b) > maxCachedString {
		return // long strings rarely repeat; do not keep them in a pooled cache
	}
	if len(w.known) >= maxKnown {
		clear(w.known)
	}
	w.known[string(b)] = id
}

// checkEpoch drops the caches when the table has opened a new epoch.
func (w *AttrWriter) checkEpoch() {
	if e := w.syms.epochNow(); e != w.epoch {
		clear(w.known)
		clear(w.pairs)
		w.epoch = e
	}
}

// Reset starts a new blob, keeping the buffer.
func (w *AttrWriter) Reset() { w.buf, w.n = w.buf[:0], 0 }

// Len returns the number of attributes written since Reset.
func (w *AttrWriter) Len() int { return w.n }

// Blob returns a copy of the blob written so far (nil if empty). Its
// capacity is the allocator's size class, so that cap() is the memory the
// blob really takes when the model charges it to the budget.
func (w *AttrWriter) Blob() []byte {
	if len(w.buf) == 0 {
		return nil
	}
	return append([]byte(nil), w.buf...)
}

func (w *AttrWriter) key(k []byte, tag byte) {
	w.buf = binary.AppendUvarint(w.buf, uint64(w.Intern(k)))
	w.buf = append(w.buf, tag)
	w.n++
}

// String appends a string attribute.
func (w *AttrWriter) String(k, v []byte) {
	w.checkEpoch()
	if len(v) <= maxInternedValue {
		w.pairBuf = append(append(append(w.pairBuf[:0], k...), 0), v...)
		if p, ok := w.pairs[string(w.pairBuf)]; ok {
			w.appendSymPair(Sym(p>>32), Sym(p))
			return
		}
		if id, ok := w.tryIntern(v); ok {
			key := w.Intern(k)
			if len(w.pairs) >= maxKnown {
				clear(w.pairs)
			}
			w.pairs[string(w.pairBuf)] = uint64(key)<<32 | uint64(id)
			w.appendSymPair(key, id)
			return
		}
	}
	v = w.syms.Clip(v)
	w.key(k, tagStrInline)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(v)))
	w.buf = append(w.buf, v...)
}

func (w *AttrWriter) appendSymPair(key, val Sym) {
	w.buf = binary.AppendUvarint(w.buf, uint64(key))
	w.buf = append(w.buf, tagStrSym)
	w.buf = binary.AppendUvarint(w.buf, uint64(val))
	w.n++
}

// Int appends an integer attribute.
func (w *AttrWriter) Int(k []byte, v int64) {
	w.key(k, tagInt)
	w.buf = binary.AppendVarint(w.buf, v)
}

// Double appends a floating-point attribute.
func (w *AttrWriter) Double(k []byte, v float64) {
	w.key(k, tagDouble)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(v))
}

// Bool appends a boolean attribute.
func (w *AttrWriter) Bool(k []byte, v bool) {
	if v {
		w.key(k, tagTrue)
	} else {
		w.key(k, tagFalse)
	}
}

// Bytes appends a bytes attribute.
func (w *AttrWriter) Bytes(k, v []byte) {
	v = w.syms.Clip(v)
	w.key(k, tagBytes)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(v)))
	w.buf = append(w.buf, v...)
}

// nextAttr splits the first attribute off blob: its key, its value's tag,
// and what follows the tag (the value, then the other attributes). ok is
// false for a malformed blob, which the model never writes; every walk
// over a blob then ends.
func nextAttr(blob []byte) (key Sym, tag byte, rest []byte, ok bool) {
	k, n := binary.Uvarint(blob)
	if n <= 0 || len(blob) < n+1 {
		return 0, 0, nil, false
	}
	return Sym(k), blob[n], blob[n+1:], true
}

// rangeAttrs calls fn for each attribute in blob until fn returns false.
func rangeAttrs(blob []byte, syms *Symbols, fn func(Attr) bool) {
	for len(blob) > 0 {
		k, tag, rest, ok := nextAttr(blob)
		if !ok {
			return
		}
		a := Attr{Key: syms.String(k)}
		a.Value, blob, ok = readValue(tag, rest, syms)
		if !ok || !fn(a) {
			return
		}
	}
}

func readValue(tag byte, b []byte, syms *Symbols) (Value, []byte, bool) {
	switch tag {
	case tagStrSym:
		id, n := binary.Uvarint(b)
		if n <= 0 {
			return Value{}, nil, false
		}
		return Value{Type: ValueString, Str: syms.String(Sym(id))}, b[n:], true
	case tagStrInline, tagBytes:
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return Value{}, nil, false
		}
		t := ValueString
		if tag == tagBytes {
			t = ValueBytes
		}
		return Value{Type: t, Str: string(b[n : n+int(l)])}, b[n+int(l):], true
	case tagInt:
		v, n := binary.Varint(b)
		if n <= 0 {
			return Value{}, nil, false
		}
		return Value{Type: ValueInt, Int: v}, b[n:], true
	case tagDouble:
		if len(b) < 8 {
			return Value{}, nil, false
		}
		return Value{Type: ValueDouble, Float: math.Float64frombits(binary.LittleEndian.Uint64(b))}, b[8:], true
	case tagTrue, tagFalse:
		return Value{Type: ValueBool, Bool: tag == tagTrue}, b, true
	}
	return Value{}, nil, false
}

// skipValue returns what follows an attribute value in a blob.
func skipValue(tag byte, b []byte) ([]byte, bool) {
	switch tag {
	case tagStrSym:
		_, n := binary.Uvarint(b)
		return b[max(n, 0):], n > 0
	case tagStrInline, tagBytes:
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, false
		}
		return b[n+int(l):], true
	case tagInt:
		_, n := binary.Varint(b)
		return b[max(n, 0):], n > 0
	case tagDouble:
		return b[min(8, len(b)):], len(b) >= 8
	case tagTrue, tagFalse:
		return b, true
	}
	return nil, false
}

// DecodeAttrs returns every attribute of a blob.
func DecodeAttrs(blob []byte, syms *Symbols) []Attr {
	var out []Attr
	rangeAttrs(blob, syms, func(a Attr) bool { out = append(out, a); return true })
	return out
}
