package ingest

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spantop/spantop/model"
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
		if f.num == fReqResourceSpans && f.typ == wireBytes {
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
		if f.num != fReqResourceSpans || f.typ != wireBytes {
			continue
		}
		for rs := f.b; len(rs) > 0; {
			g, rest, err := nextField(rs)
			if err != nil {
				return 0, malformed("ResourceSpans", err)
			}
			rs = rest
			if g.num != fRSScopeSpans || g.typ != wireBytes {
				continue
			}
			var h field
			for ss := g.b; len(ss) > 0; {
				rest, err := readField(ss, &h)
				if err != nil {
					return 0, malformed("ScopeSpans", err)
				}
				ss = rest
				if h.num == fSSSpans && h.typ == wireBytes {
					n++
				}
			}
		}
	}
	return n, nil
}

// lastField returns the bytes of the last length-delimited field num in b
// (protobuf lets a message field come after the repeated ones it qualifies).
func lastField(b []byte, num protowire.Number) []byte {
	var out []byte
	var f field
	for len(b) > 0 {
		rest, err := readField(b, &f)
		if err != nil {
			return out // the main walk reports the error
		}
		b = rest
		if f.num == num && f.typ == wireBytes {
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
	raw := lastField(b, fRSResource)
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
		if f.num == fRSScopeSpans && f.typ == wireBytes {
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
		if f.num != fResAttributes || f.typ != wireBytes {
			continue
		}
		key, v, err := keyValue(f.b)
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
		if err := d.writeAttr(w, key, &v); err != nil {
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
	return d.w.Intern(v.b)
}

// scope is what the spans of one ScopeSpans share.
type scope struct {
	name    model.Sym
	version model.Sym
}

func (d *decoder) scopeSpans(b []byte, pr *pendingRes) error {
	var sc scope
	if raw := lastField(b, fRSResource); raw != nil {
		for s := raw; len(s) > 0; {
			f, rest, err := nextField(s)
			if err != nil {
				return malformed("InstrumentationScope", err)
			}
			s = rest
			if f.typ != wireBytes {
				continue
			}
			switch f.num {
			case fScopeName:
				sc.name = d.w.Intern(f.b)
			case fScopeVersion:
				sc.version = d.w.Intern(f.b)
			}
		}
	}
	var f field
	for len(b) > 0 {
		rest, err := readField(b, &f)
		if err != nil {
			return malformed("ScopeSpans", err)
		}
		b = rest
		if f.num == fSSSpans && f.typ == wireBytes {
			if err := d.span(f.b, &sc, pr); err != nil {
				return err
			}
		}
	}
	return nil
}
