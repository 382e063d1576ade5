package ingest

import (
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

// DecodeTraces decodes the bytes of an OTLP ExportTraceServiceRequest into a
// batch. Strings are interned in syms and attributes written with w, which is
// reset as needed and may be reused for the next request. Spans with a trace
// ID that is not 16 bytes or a span ID that is not 8 bytes (a parent may be
// empty or 8 bytes) are left out and counted in rejected, with errMsg naming
// the first problem; the rest of the request is kept. err is set only when
// the bytes are not a valid request at all; the batch is then nil.
func DecodeTraces(b []byte, syms *model.Symbols, w *model.AttrWriter) (batch *model.Batch, rejected int, errMsg string, err error) {
	d := decoder{syms: syms, w: w}
	return d.decode(b)
}

// decoder holds the reusable state of one decode. The receivers keep
// decoders in a pool so the writers' buffers are reused across requests.
type decoder struct {
	syms    *model.Symbols
	w       *model.AttrWriter // span and resource attributes
	nested  *model.AttrWriter // event and link attributes, made on first use
	scratch []byte            // location and array rendering

	batch *model.Batch
	// resByRaw maps a resource's wire bytes to its index in
	// batch.Resources, so identical resources are stored once (a map, not
	// a scan: a request may hold very many resources).
	resByRaw map[string]int
	rejected int
	firstBad string
}

func (d *decoder) reset() {
	d.batch, d.rejected, d.firstBad = nil, 0, ""
	if len(d.resByRaw) > 1024 {
		d.resByRaw = nil // do not keep a huge map in the pool
	} else {
		clear(d.resByRaw)
	}
}

func (d *decoder) decode(b []byte) (*model.Batch, int, string, error) {
	defer d.reset()
	n, err := countSpans(b)
	if err != nil {
		return nil, 0, "", err
	}
	d.batch = &model.Batch{Spans: make([]model.SpanRec, 0, n)}
	for len(b) > 0 {
		var f field
		if f, b, err = nextField(b); err != nil {
			return nil, 0, "", malformed("ExportTraceServiceRequest", err)
		}
		if f.num == 1 && f.typ == 2 {
			if err := d.resourceSpans(f.b); err != nil {
				return nil, 0, "", err
			}
		}
	}
	var msg string
	if d.rejected > 0 {
		msg = fmt.Sprintf("%d span(s) rejected; first: %s", d.rejected, d.firstBad)
	}
	return d.batch, d.rejected, msg, nil
}

// countSpans walks the request down to ScopeSpans and counts the spans, so
// the batch's slice is allocated once at the right size.
func countSpans(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return 0, malformed("ExportTraceServiceRequest", err)
		}
		b = rest
		if f.num != 1 || f.typ != 2 {
			continue
		}
		for rs := f.b; len(rs) > 0; {
			g, rest, err := nextField(rs)
			if err != nil {
				return 0, malformed("ResourceSpans", err)
			}
			rs = rest
			if g.num != 2 || g.typ != 2 {
				continue
			}
			for ss := g.b; len(ss) > 0; {
				h, rest, err := nextField(ss)
				if err != nil {
					return 0, malformed("ScopeSpans", err)
				}
				ss = rest
				if h.num == 2 && h.typ == 2 {
					n++
				}
			}
		}
	}
	return n, nil
}

// lastField returns the bytes of the last length-delimited field num in b
// (protobuf lets a message field come after the repeated ones it qualifies).
func lastField(b []byte, num int) []byte {
	var out []byte
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return out // the main walk reports the error
		}
		b = rest
		if int(f.num) == num && f.typ == 2 {
			out = f.b
		}
	}
	return out
}

// pendingRes is a ResourceSpans' resource, added to the batch only when one
// of its spans is kept.
type pendingRes struct {
	raw   []byte
	res   model.Resource
	index int // in batch.Resources, -1 until added
}

func (d *decoder) resourceSpans(b []byte) error {
	raw := lastField(b, 1)
	pr := pendingRes{raw: raw, index: -1}
	if i, ok := d.resByRaw[string(raw)]; ok {
		pr.index = i
	} else {
		if err := d.resource(raw, &pr.res); err != nil {
			return err
		}
	}
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return malformed("ResourceSpans", err)
		}
		b = rest
		if f.num == 2 && f.typ == 2 {
			if err := d.scopeSpans(f.b, &pr); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *decoder) resIndex(pr *pendingRes) uint32 {
	if pr.index < 0 {
		pr.index = len(d.batch.Resources)
		d.batch.Resources = append(d.batch.Resources, pr.res)
		if d.resByRaw == nil {
			d.resByRaw = make(map[string]int)
		}
		d.resByRaw[string(pr.raw)] = pr.index
	}
	return uint32(pr.index)
}

// resource decodes an OTLP Resource, pulling out the well-known attributes.
func (d *decoder) resource(b []byte, res *model.Resource) error {
	w := d.w
	w.Reset()
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return malformed("Resource", err)
		}
		b = rest
		if f.num != 1 || f.typ != 2 {
			continue
		}
		key, v, err := parseKeyValue(f.b)
		if err != nil {
			return err
		}
		switch string(key) {
		case "service.name":
			res.ServiceName = d.symValue(v)
		case "service.instance.id":
			res.InstanceID = d.symValue(v)
		case "host.name":
			res.HostName = d.symValue(v)
		case "process.pid":
			switch v.kind {
			case valInt:
				res.PID = v.int()
			case valString:
				res.PID, _ = strconv.ParseInt(string(v.b), 10, 64) // not a number: no PID
			}
		}
		if d.scratch, err = writeAttr(w, key, v, d.scratch); err != nil {
			return err
		}
	}
	res.Attrs = w.Blob()
	return nil
}

// symValue interns a string attribute value; other types have none.
func (d *decoder) symValue(v anyValue) model.Sym {
	if v.kind != valString {
		return 0
	}
	return d.syms.Intern(v.b)
}

// scope is what the spans of one ScopeSpans share.
type scope struct {
	name model.Sym
	// ext holds only the scope version; spans that need nothing else share
	// it (the model treats Ext as read-only).
	ext *model.SpanExt
}

func (d *decoder) scopeSpans(b []byte, pr *pendingRes) error {
	var sc scope
	if raw := lastField(b, 1); raw != nil {
		for s := raw; len(s) > 0; {
			f, rest, err := nextField(s)
			if err != nil {
				return malformed("InstrumentationScope", err)
			}
			s = rest
			if f.typ != 2 {
				continue
			}
			switch f.num {
			case 1:
				sc.name = d.syms.Intern(f.b)
			case 2:
				if len(f.b) > 0 {
					sc.ext = &model.SpanExt{ScopeVersion: string(f.b)}
				} else {
					sc.ext = nil
				}
			}
		}
	}
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return malformed("ScopeSpans", err)
		}
		b = rest
		if f.num == 2 && f.typ == 2 {
			if err := d.span(f.b, &sc, pr); err != nil {
				return err
			}
		}
	}
	return nil
}

// spanState collects what a span's fields say before the record is final.
type spanState struct {
	traceID, spanID, parent []byte
	inFlight                bool
	seq                     int64
	file, fn                []byte
	line                    int64
	hasLine                 bool
	droppedAttrs            uint32 // over maxSpanAttrs
	ext                     *model.SpanExt
}

// maxSpanAttrs bounds the attributes stored per span (NumAttrs is 16 bits,
// and the OTel SDKs keep 128 by default); the rest are counted as dropped.
const maxSpanAttrs = 1024

// extFor returns the span's own extension, made on first use and seeded
// with the scope's version.
func (st *spanState) extFor(sc *scope) *model.SpanExt {
	if st.ext == nil {
		st.ext = &model.SpanExt{}
		if sc.ext != nil {
			st.ext.ScopeVersion = sc.ext.ScopeVersion
		}
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
		if len(b) >= 2 && b[0] == 0x4a && b[1] < 0x80 && 2+int(b[1]) <= len(b) {
			kv := b[2 : 2+b[1]]
			b = b[2+b[1]:]
			if err := d.spanAttr(kv, &st); err != nil {
				return err
			}
			continue
		}
		f, rest, err := nextField(b)
		if err != nil {
			return malformed("Span", err)
		}
		b = rest
		switch f.typ {
		case 0: // varint
			switch f.num {
			case 6:
				if f.u <= uint64(model.KindConsumer) {
					rec.Kind = model.SpanKind(f.u)
				} else {
					rec.Kind = model.KindUnspecified
				}
			case 10:
				st.extFor(sc).DroppedAttrs = clampU32(f.u)
			case 12:
				st.extFor(sc).DroppedEvents = clampU32(f.u)
			case 14:
				st.extFor(sc).DroppedLinks = clampU32(f.u)
			}
		case 1: // fixed64
			switch f.num {
			case 7:
				rec.Start = clampTime(f.u)
			case 8:
				rec.End = clampTime(f.u)
			}
		case 2: // bytes
			switch f.num {
			case 1:
				st.traceID = f.b
			case 2:
				st.spanID = f.b
			case 3:
				if len(f.b) > 0 {
					st.extFor(sc).TraceState = string(f.b)
				}
			case 4:
				st.parent = f.b
			case 5:
				rec.Name = d.syms.Intern(f.b)
			case 9:
				if err := d.spanAttr(f.b, &st); err != nil {
					return err
				}
			case 11:
				if err := d.event(f.b, st.extFor(sc)); err != nil {
					return err
				}
			case 13:
				if err := d.link(f.b, st.extFor(sc)); err != nil {
					return err
				}
			case 15:
				if err := spanStatus(f.b, rec, &st, sc); err != nil {
					return err
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
	if rec.End == 0 {
		if st.inFlight {
			rec.InFlight = true
			rec.SnapshotSeq = clampU32(uint64(max(st.seq, 0)))
		} else {
			// An unended span that is not a snapshot: treat it as finished
			// at its start rather than as running forever.
			rec.End = rec.Start
		}
	}
	if st.droppedAttrs > 0 {
		e := st.extFor(sc)
		e.DroppedAttrs = clampU32(uint64(e.DroppedAttrs) + uint64(st.droppedAttrs))
	}
	rec.Location = d.location(&st)
	rec.NumAttrs = uint16(w.Len())
	rec.Attrs = w.Blob()
	rec.Ext = st.ext
	if rec.Ext == nil {
		rec.Ext = sc.ext
	}
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
	}
	return ""
}

// spanAttr decodes one span attribute: spantop's snapshot markers are
// consumed, code.* attributes also give the location, the rest is stored.
func (d *decoder) spanAttr(b []byte, st *spanState) error {
	key, v, err := parseKeyValue(b)
	if err != nil {
		return err
	}
	if len(key) > 5 {
		switch key[0] {
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
			}
		}
	}
	if d.w.Len() >= maxSpanAttrs {
		st.droppedAttrs++
		return nil
	}
	d.scratch, err = writeAttr(d.w, key, v, d.scratch)
	return err
}

// location interns "file:line", the file alone or the function, whichever
// the code.* attributes give.
func (d *decoder) location(st *spanState) model.Sym {
	switch {
	case len(st.file) > 0:
		d.scratch = append(d.scratch[:0], st.file...)
		if st.hasLine {
			d.scratch = append(d.scratch, ':')
			d.scratch = strconv.AppendInt(d.scratch, st.line, 10)
		}
		return d.syms.Intern(d.scratch)
	case len(st.fn) > 0:
		return d.syms.Intern(st.fn)
	}
	return 0
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
		case f.num == 2 && f.typ == 2:
			if len(f.b) > 0 {
				st.extFor(sc).StatusMessage = string(f.b)
			}
		case f.num == 3 && f.typ == 0:
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
		case f.num == 1 && f.typ == 1:
			ev.Time = clampTime(f.u)
		case f.num == 2 && f.typ == 2:
			ev.Name = string(f.b)
		case f.num == 3 && f.typ == 2:
			key, v, err := parseKeyValue(f.b)
			if err != nil {
				return err
			}
			if d.scratch, err = writeAttr(w, key, v, d.scratch); err != nil {
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
		if f.typ != 2 {
			continue
		}
		switch f.num {
		case 1:
			if len(f.b) == len(l.TraceID) {
				copy(l.TraceID[:], f.b)
			}
		case 2:
			if len(f.b) == len(l.SpanID) {
				copy(l.SpanID[:], f.b)
			}
		case 4:
			key, v, err := parseKeyValue(f.b)
			if err != nil {
				return err
			}
			if d.scratch, err = writeAttr(w, key, v, d.scratch); err != nil {
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
