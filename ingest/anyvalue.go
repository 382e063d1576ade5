package ingest

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spantop/spantop/model"
)

// valueKind tells which member of an OTLP AnyValue was set.
type valueKind uint8

const (
	valNone valueKind = iota
	valString
	valBool
	valInt
	valDouble
	valArray
	valKVList
	valBytes
)

// anyValue is a decoded AnyValue: scalars in u, strings, bytes and the raw
// array or kvlist message in b (a sub-slice of the input).
type anyValue struct {
	kind valueKind
	u    uint64
	b    []byte
}

func (v anyValue) int() int64      { return int64(v.u) }
func (v anyValue) double() float64 { return math.Float64frombits(v.u) }
func (v anyValue) boolean() bool   { return v.u != 0 }

// parseKeyValue reads an OTLP KeyValue message (key = 1, value = 2) into
// key and v (out-parameters: this is the hottest call of the decoder and
// large results cost copies).
func parseKeyValue(b []byte, key *[]byte, v *anyValue) error {
	// Fast path for the usual encoding: key then value, both shorter than
	// 128 bytes, nothing else.
	if len(b) >= 4 && b[0] == tagKVKey && b[1] < 0x80 {
		kl := int(b[1])
		if 4+kl <= len(b) && b[2+kl] == tagKVValue && b[3+kl] < 0x80 && 4+kl+int(b[3+kl]) == len(b) {
			if anyValueFast(b[4+kl:], v) {
				*key = b[2 : 2+kl]
				return nil
			}
		}
	}
	var err error
	*key, *v, err = parseKeyValueSlow(b)
	return err
}

// keyValue is parseKeyValue with results, for the colder callers.
func keyValue(b []byte) (key []byte, v anyValue, err error) {
	err = parseKeyValue(b, &key, &v)
	return key, v, err
}

// anyValueFast decodes an AnyValue holding one short scalar; ok is false
// for anything else, which parseAnyValue then handles.
func anyValueFast(b []byte, v *anyValue) bool {
	if len(b) < 2 {
		*v = anyValue{}
		return len(b) == 0
	}
	switch b[0] {
	case tagAnyString:
		if int(b[1])+2 == len(b) {
			*v = anyValue{kind: valString, b: b[2:]}
			return true
		}
	case tagAnyBool:
		if len(b) == 2 && b[1] < 0x80 {
			*v = anyValue{kind: valBool, u: uint64(b[1])}
			return true
		}
	case tagAnyInt:
		if b[1] < 0x80 && len(b) == 2 {
			*v = anyValue{kind: valInt, u: uint64(b[1])}
			return true
		}
		if x, n := protowire.ConsumeVarint(b[1:]); n == len(b)-1 {
			*v = anyValue{kind: valInt, u: x}
			return true
		}
	case tagAnyDouble:
		if len(b) == 9 {
			*v = anyValue{kind: valDouble, u: binary.LittleEndian.Uint64(b[1:])}
			return true
		}
	}
	return false
}

func parseKeyValueSlow(b []byte) (key []byte, val anyValue, err error) {
	for len(b) > 0 {
		var f field
		if f, b, err = nextField(b); err != nil {
			return nil, anyValue{}, malformed("KeyValue", err)
		}
		switch {
		case f.num == fKVKey && f.typ == wireBytes:
			key = f.b
		case f.num == fKVValue && f.typ == wireBytes:
			if val, err = parseAnyValue(f.b); err != nil {
				return nil, anyValue{}, err
			}
		}
	}
	return key, val, nil
}

// parseAnyValue reads an OTLP AnyValue; the last member set wins, as with any
// protobuf oneof.
func parseAnyValue(b []byte) (anyValue, error) {
	var v anyValue
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return anyValue{}, malformed("AnyValue", err)
		}
		b = rest
		switch f.typ {
		case wireVarint:
			switch f.num {
			case fAnyBool:
				v = anyValue{kind: valBool, u: f.u}
			case fAnyInt:
				v = anyValue{kind: valInt, u: f.u}
			}
		case wireFixed64:
			if f.num == fAnyDouble {
				v = anyValue{kind: valDouble, u: f.u}
			}
		case wireBytes:
			switch f.num {
			case fAnyString:
				v = anyValue{kind: valString, b: f.b}
			case fAnyArray:
				v = anyValue{kind: valArray, b: f.b}
			case fAnyKVList:
				v = anyValue{kind: valKVList, b: f.b}
			case fAnyBytes:
				v = anyValue{kind: valBytes, b: f.b}
			}
		}
	}
	return v, nil
}

// maxRenderDepth bounds the nesting of arrays and kvlists that is rendered;
// deeper levels become "…". It also bounds the recursion, so a hostile
// message of nested arrays cannot exhaust the stack.
const maxRenderDepth = 8

// writeAttr appends one attribute to w. Arrays and kvlists are rendered as
// a compact JSON-like string in d.scratch.
func (d *decoder) writeAttr(w *model.AttrWriter, key []byte, v *anyValue) error {
	switch v.kind {
	case valString, valNone:
		w.String(key, v.b)
	case valBool:
		w.Bool(key, v.boolean())
	case valInt:
		w.Int(key, v.int())
	case valDouble:
		w.Double(key, v.double())
	case valBytes:
		w.Bytes(key, v.b)
	case valArray, valKVList:
		var err error
		if d.scratch, err = render(d.scratch[:0], *v, 0); err != nil {
			return err
		}
		w.String(key, d.scratch)
	}
	return nil
}

// render appends a JSON-like rendering of v to dst: strings quoted with Go
// escapes (so control characters never reach a terminal raw), bytes as
// quoted hex, arrays as [a,b] and kvlists as {"k":v}.
func render(dst []byte, v anyValue, depth int) ([]byte, error) {
	switch v.kind {
	case valNone:
		return append(dst, "null"...), nil
	case valString:
		return strconv.AppendQuote(dst, string(v.b)), nil
	case valBool:
		return strconv.AppendBool(dst, v.boolean()), nil
	case valInt:
		return strconv.AppendInt(dst, v.int(), 10), nil
	case valDouble:
		return strconv.AppendFloat(dst, v.double(), 'g', -1, 64), nil
	case valBytes:
		dst = append(dst, '"')
		dst = hex.AppendEncode(dst, v.b)
		return append(dst, '"'), nil
	}
	if depth >= maxRenderDepth {
		return append(dst, "…"...), nil
	}
	open, close, what := byte('['), byte(']'), "ArrayValue"
	if v.kind == valKVList {
		open, close, what = '{', '}', "KeyValueList"
	}
	dst = append(dst, open)
	first := true
	b := v.b
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return dst, malformed(what, err)
		}
		b = rest
		if f.num != fListValues || f.typ != wireBytes {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		var elem anyValue
		if v.kind == valKVList {
			var key []byte
			if err = parseKeyValue(f.b, &key, &elem); err != nil {
				return dst, err
			}
			dst = strconv.AppendQuote(dst, string(key))
			dst = append(dst, ':')
		} else if elem, err = parseAnyValue(f.b); err != nil {
			return dst, err
		}
		if dst, err = render(dst, elem, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, close), nil
}
