package ingest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/spantop/spantop/model"
)

// Attributes spantop's agentlib sets on in-flight snapshots (DESIGN.md §5).
// They are consumed by the decoder, not stored.
const (
	attrInFlight    = "spantop.span.inflight"
	attrSnapshotSeq = "spantop.snapshot.seq"
)

// Attributes of Logfire's pending spans: a copy of a live span, sent when
// it starts, with its own span ID, the real span as its parent and the
// real span's parent in logfire.pending_parent_id (16 hex digits, zeros for
// a root). They are consumed by the decoder, not stored.
const (
	attrLogfireSpanType      = "logfire.span_type"
	attrLogfirePendingParent = "logfire.pending_parent_id"
	logfirePendingSpan       = "pending_span"
)

// Attributes tracing-opentelemetry (Rust) sets on every span by default:
// the time the span was entered (busy) and not (idle), in nanoseconds.
// They stay stored and also fill the Busy and Idle columns.
const (
	attrBusyNs = "busy_ns"
	attrIdleNs = "idle_ns"
)

// spanState collects what a span's fields say before the record is final.
type spanState struct {
	traceID, spanID, parent []byte
	inFlight                bool
	seq                     int64
	file, fn, namespace     []byte
	line                    int64
	hasLine                 bool
	busy, idle              int64
	hasBusy, hasIdle        bool
	pending                 bool   // a Logfire pending span
	pendingParent           []byte // its logfire.pending_parent_id (hex)
	droppedAttrs            uint32 // over maxSpanAttrs
	ext                     *model.SpanExt
}

// maxSpanAttrs bounds the attributes stored per span (NumAttrs is 16 bits,
// and the OTel SDKs keep 128 by default); the rest are counted as dropped.
const maxSpanAttrs = 1024

// extFor returns the span's own extension, made on first use.
func (st *spanState) extFor() *model.SpanExt {
	if st.ext == nil {
		st.ext = &model.SpanExt{}
	}
	return st.ext
}

func (d *decoder) span(b []byte, sc *scope, pr *pendingRes) error {
	spans := d.batch.Spans
	spans = append(spans, model.SpanRec{Scope: sc.name})
	rec := &spans[len(spans)-1]
	var st spanState
	w := d.w
	w.Reset()
	for len(b) > 0 {
		// Attributes are most of a span: take the common short ones
		// without the general field reader.
		if len(b) >= 2 && b[0] == tagSpanAttribute && b[1] < 0x80 && 2+int(b[1]) <= len(b) {
			kv := b[2 : 2+b[1]]
			b = b[2+b[1]:]
			if err := d.spanAttr(kv, &st); err != nil {
				return err
			}
			continue
		}
		var f field
		rest, err := readField(b, &f)
		if err != nil {
			return malformed("Span", err)
		}
		b = rest
		switch f.typ {
		case wireVarint:
			switch f.num {
			case fSpanKind:
				if f.u <= uint64(model.KindConsumer) {
					rec.Kind = model.SpanKind(f.u)
				} else {
					rec.Kind = model.KindUnspecified
				}
			case fSpanDroppedAttributes:
				st.extFor().DroppedAttrs = clampU32(f.u)
			case fSpanDroppedEvents:
				st.extFor().DroppedEvents = clampU32(f.u)
			case fSpanDroppedLinks:
				st.extFor().DroppedLinks = clampU32(f.u)
			}
		case wireFixed64:
			switch f.num {
			case fSpanStart:
				rec.Start = clampTime(f.u)
			case fSpanEnd:
				rec.End = clampTime(f.u)
			}
		case wireFixed32:
			if f.num == fSpanFlags {
				rec.ParentLocal = f.u&spanFlagsRemoteMask == spanFlagsHasIsRemote
			}
		case wireBytes:
			switch f.num {
			case fSpanTraceID:
				st.traceID = f.b
			case fSpanSpanID:
				st.spanID = f.b
			case fSpanTraceState:
				if len(f.b) > 0 {
					st.extFor().TraceState = string(d.syms.Clip(f.b))
				}
			case fSpanParentSpanID:
				st.parent = f.b
			case fSpanName:
				rec.Name = d.w.Intern(f.b)
			case fSpanAttributes:
				if err := d.spanAttr(f.b, &st); err != nil {
					return err
				}
			case fSpanEvents:
				if err := d.event(f.b, st.extFor()); err != nil {
					return err
				}
			case fSpanLinks:
				if err := d.link(f.b, st.extFor()); err != nil {
					return err
				}
			case fSpanStatus:
				if err := spanStatus(f.b, rec, &st, sc); err != nil {
					return err
				}
				if st.ext != nil {
					st.ext.StatusMessage = d.syms.ClipString(st.ext.StatusMessage)
				}
			}
		}
	}
	if bad := checkIDs(&st); bad != "" {
		d.rejected++
		if d.firstBad == "" {
			d.firstBad = fmt.Sprintf("span %q: %s", d.syms.String(rec.Name), bad)
		}
		return nil // rec is not kept: d.batch.Spans is not extended
	}
	copy(rec.TraceID[:], st.traceID)
	copy(rec.SpanID[:], st.spanID)
	copy(rec.Parent[:], st.parent)
	if st.pending {
		if !d.pendingSpan(rec, &st) {
			return nil
		}
	} else if rec.End == 0 {
		rec.InFlight = true
		if st.inFlight {
			rec.SnapshotSeq = clampU32(uint64(max(st.seq, 0)))
		} else {
			// Sent unended by an SDK that sends it again when it ends
			// (vercel/otel, Embrace) and does not refresh it meanwhile.
			rec.NoHeartbeat = true
		}
	}
	if st.hasBusy || st.hasIdle {
		rec.Busy, rec.Idle, rec.HasBusyIdle = max(st.busy, 0), max(st.idle, 0), true
	}
	if st.droppedAttrs > 0 {
		e := st.extFor()
		e.DroppedAttrs = clampU32(uint64(e.DroppedAttrs) + uint64(st.droppedAttrs))
	}
	rec.Location = d.location(&st)
	rec.NumAttrs = uint16(w.Len())
	rec.Attrs = w.Blob()
	rec.Ext = st.ext
	rec.ScopeVersion = sc.version
	rec.Res = d.resIndex(pr)
	d.batch.Spans = spans
	return nil
}

// checkIDs returns what is wrong with a span's IDs, or "".
func checkIDs(st *spanState) string {
	switch {
	case len(st.traceID) != 16:
		return fmt.Sprintf("invalid trace ID length %d (want 16 bytes)", len(st.traceID))
	case len(st.spanID) != 8:
		return fmt.Sprintf("invalid span ID length %d (want 8 bytes)", len(st.spanID))
	case len(st.parent) != 0 && len(st.parent) != 8:
		return fmt.Sprintf("invalid parent span ID length %d (want 0 or 8 bytes)", len(st.parent))
	case allZero(st.traceID):
		return "invalid trace ID: all zeros"
	case allZero(st.spanID):
		return "invalid span ID: all zeros"
	}
	// An all-zero parent is read as none: the span is a root.
	return ""
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// spanAttr decodes one span attribute: spantop's snapshot markers are
// consumed, code.* attributes also give the location, the rest is stored.
func (d *decoder) spanAttr(b []byte, st *spanState) error {
	var key []byte
	var v anyValue
	err := parseKeyValue(b, &key, &v)
	if err != nil {
		return err
	}
	if len(key) > 5 {
		switch key[0] {
		case 'b', 'i':
			switch string(key) {
			case attrBusyNs:
				if v.kind == valInt {
					st.busy, st.hasBusy = v.int(), true
				}
			case attrIdleNs:
				if v.kind == valInt {
					st.idle, st.hasIdle = v.int(), true
				}
			}
		case 'l':
			switch string(key) {
			case attrLogfireSpanType:
				if v.kind == valString && string(v.b) == logfirePendingSpan {
					st.pending = true
					return nil
				}
			case attrLogfirePendingParent:
				if v.kind == valString {
					st.pendingParent = v.b
					return nil
				}
			}
		case 's':
			switch string(key) {
			case attrInFlight:
				st.inFlight = v.kind == valBool && v.boolean()
				return nil
			case attrSnapshotSeq:
				if v.kind == valInt {
					st.seq = v.int()
				}
				return nil
			}
		case 'c':
			switch string(key) {
			case "code.filepath", "code.file.path":
				if v.kind == valString {
					st.file = v.b
				}
			case "code.lineno", "code.line.number":
				if v.kind == valInt {
					st.line, st.hasLine = v.int(), true
				}
			case "code.function", "code.function.name":
				if v.kind == valString {
					st.fn = v.b
				}
			case "code.namespace", "code.module.name":
				if v.kind == valString {
					st.namespace = v.b
				}
			}
		}
	}
	if d.w.Len() >= maxSpanAttrs {
		st.droppedAttrs++
		return nil
	}
	return d.writeAttr(d.w, key, &v)
}

// location interns "file:line", the file alone, the function or the
// namespace (module, class), whichever the code.* attributes give first.
func (d *decoder) location(st *spanState) model.Sym {
	switch {
	case len(st.file) > 0:
		d.scratch = append(d.scratch[:0], st.file...)
		if st.hasLine {
			d.scratch = append(d.scratch, ':')
			d.scratch = strconv.AppendInt(d.scratch, st.line, 10)
		}
		return d.w.Intern(d.scratch)
	case len(st.fn) > 0 && len(st.namespace) > 0 && bytes.IndexByte(st.fn, '.') < 0:
		// The Java agent's code.namespace (class) and code.function (method).
		d.scratch = append(append(append(d.scratch[:0], st.namespace...), '.'), st.fn...)
		return d.w.Intern(d.scratch)
	case len(st.fn) > 0:
		return d.w.Intern(st.fn)
	case len(st.namespace) > 0:
		return d.w.Intern(st.namespace)
	}
	return 0
}

// pendingSpan turns a Logfire pending span into an in-flight copy of the
// real span it stands for: the real span is its parent, and the real
// span's parent is in logfire.pending_parent_id. The real span, sent when
// it ends, then replaces it; the pending span is never a row of its own.
// A pending span without a parent names no span: it is rejected.
func (d *decoder) pendingSpan(rec *model.SpanRec, st *spanState) bool {
	if len(st.parent) != 8 || allZero(st.parent) {
		d.rejected++
		if d.firstBad == "" {
			d.firstBad = fmt.Sprintf("span %q: logfire pending span without a parent (the span it stands for)", d.syms.String(rec.Name))
		}
		return false
	}
	rec.SpanID, rec.Parent = rec.Parent, model.SpanID{}
	if len(st.pendingParent) == 2*len(rec.Parent) {
		if _, err := hex.Decode(rec.Parent[:], st.pendingParent); err != nil {
			rec.Parent = model.SpanID{}
		}
	}
	rec.End, rec.InFlight, rec.NoHeartbeat = 0, true, true
	return true
}

func spanStatus(b []byte, rec *model.SpanRec, st *spanState, sc *scope) error {
	rec.Status = model.StatusUnset
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return malformed("Status", err)
		}
		b = rest
		switch {
		case f.num == fStatusMessage && f.typ == wireBytes:
			if len(f.b) > 0 {
				st.extFor().StatusMessage = string(f.b)
			}
		case f.num == fStatusCode && f.typ == wireVarint:
			if f.u <= uint64(model.StatusError) {
				rec.Status = model.StatusCode(f.u)
			} else {
				rec.Status = model.StatusUnset
			}
		}
	}
	return nil
}

func (d *decoder) nestedWriter() *model.AttrWriter {
	if d.nested == nil {
		d.nested = model.NewAttrWriter(d.syms)
	}
	d.nested.Reset()
	return d.nested
}

func (d *decoder) event(b []byte, ext *model.SpanExt) error {
	var ev model.Event
	w := d.nestedWriter()
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return malformed("Span.Event", err)
		}
		b = rest
		switch {
		case f.num == fEventTime && f.typ == wireFixed64:
			ev.Time = clampTime(f.u)
		case f.num == fEventName && f.typ == wireBytes:
			ev.Name = string(d.syms.Clip(f.b))
		case f.num == fEventAttributes && f.typ == wireBytes:
			key, v, err := keyValue(f.b)
			if err != nil {
				return err
			}
			if err := d.writeAttr(w, key, &v); err != nil {
				return err
			}
		}
	}
	ev.Attrs = w.Blob()
	ext.Events = append(ext.Events, ev)
	return nil
}

func (d *decoder) link(b []byte, ext *model.SpanExt) error {
	var l model.Link
	w := d.nestedWriter()
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return malformed("Span.Link", err)
		}
		b = rest
		if f.typ != wireBytes {
			continue
		}
		switch f.num {
		case fLinkTraceID:
			if len(f.b) == len(l.TraceID) {
				copy(l.TraceID[:], f.b)
			}
		case fLinkSpanID:
			if len(f.b) == len(l.SpanID) {
				copy(l.SpanID[:], f.b)
			}
		case fLinkAttributes:
			key, v, err := keyValue(f.b)
			if err != nil {
				return err
			}
			if err := d.writeAttr(w, key, &v); err != nil {
				return err
			}
		}
	}
	l.Attrs = w.Blob()
	ext.Links = append(ext.Links, l)
	return nil
}

func clampU32(v uint64) uint32 {
	if v > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}

// clampTime keeps a wire time (uint64 ns) a non-negative int64.
func clampTime(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
