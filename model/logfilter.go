package model

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// A log filter is written like every table's (see filter.go), with these
// fields of its own:
//
//	severity>=warn  level=error  sev<9     a level name or severity number;
//	                                       = and != take a level's range
//	body~timeout    msg="disk full"        the whole body
//	trace=4bf9…     span=00f0…             hex ID prefixes; trace= finds logs
//	                                       whose spans never arrived too
//	event=checkout  name=checkout          the record's event name
//	service=api  scope=…  id=42            as for spans
//	user.id=7                              any other key is a log attribute
//
// Free text matches the body, the service, the scope or the event name.
const (
	fieldSeverity field = 64 + iota
	fieldBody
	fieldSpanID
	fieldEvent
)

var logFieldNames = map[string]field{
	"severity": fieldSeverity, "sev": fieldSeverity, "level": fieldSeverity,
	"body": fieldBody, "msg": fieldBody, "message": fieldBody,
	"span": fieldSpanID, "span_id": fieldSpanID, "spanid": fieldSpanID,
	"event": fieldEvent, "event_name": fieldEvent, "name": fieldEvent,
}

// parseLogFilter compiles a filter of the logs table.
func parseLogFilter(s string) (*filter, error) {
	words, err := splitTerms(s)
	if err != nil || len(words) == 0 {
		return nil, err
	}
	f := &filter{}
	for _, w := range words {
		t, ok, err := parseLogTerm(w)
		if !ok && err == nil {
			t, err = parseTerm(w)
			if err == nil {
				switch t.field {
				case fieldText, fieldService, fieldTarget, fieldID, fieldTrace, fieldAttr:
				default:
					err = fmt.Errorf("%q: logs have no such field (try severity, body, service, trace, span, event or an attribute)", w)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// parseLogTerm parses a term on one of the log fields; ok is false for
// any other term.
func parseLogTerm(w string) (t term, ok bool, err error) {
	at, o := -1, op(0)
	for _, c := range ops {
		if i := strings.Index(w, c.s); i > 0 && (at < 0 || i < at) {
			at, o = i, c.op
		}
	}
	if at < 0 {
		return t, false, nil
	}
	opLen := 1
	if o == opNe || o == opGe || o == opLe {
		opLen = 2
	}
	key, val := strings.ToLower(w[:at]), w[at+opLen:]
	fld, known := logFieldNames[key]
	if !known {
		return t, false, nil
	}
	t = term{field: fld, op: o, str: strings.ToLower(val)}
	if o == opMatch {
		t.re, err = compileRegexp(val)
		if err != nil {
			err = fmt.Errorf("%s~: %w", key, err)
		}
		return t, true, err
	}
	ordered := o == opGt || o == opGe || o == opLt || o == opLe
	if fld == fieldSeverity {
		if n, err := strconv.Atoi(val); err == nil && n >= 0 && n <= int(sevMax) {
			t.num, t.isNum = int64(n), true
			return t, true, nil
		}
		sev, known := SeverityOf(val)
		if !known {
			return t, true, fmt.Errorf("severity: %q is not a level (trace, debug, info, warn, error, fatal) or a number 0…24", val)
		}
		t.num, t.key = int64(sev), "level"
		return t, true, nil
	}
	if ordered {
		return t, true, fmt.Errorf("%q compares with = != or ~ only", w)
	}
	return t, true, nil
}

// matchSeverity compares a record's severity; a level name stands for its
// four numbers (severity=warn is 13…16, severity>warn is 17 and up).
func (t *term) matchSeverity(sev Severity, text Sym, syms *Symbols) bool {
	if t.re != nil {
		return t.re.MatchString(sev.Level()) || t.matchSym(text, syms)
	}
	v, lo, hi := int64(sev), t.num, t.num
	if t.key == "level" {
		hi = lo + 3
	}
	switch t.op {
	case opEq:
		return v >= lo && v <= hi
	case opNe:
		return v < lo || v > hi
	case opGt:
		return v > hi
	case opGe:
		return v >= lo
	case opLt:
		return v < lo
	case opLe:
		return v <= hi
	}
	return false
}

// matchHexID matches an ID's hex form: = by prefix, ~ by expression.
func (t *term) matchHexID(id string) bool {
	return t.matchString(id) || (t.op == opEq && strings.HasPrefix(id, t.str))
}

// matchLog reports whether a stored record passes every term.
func (m *Model) matchLog(f *filter, id uint64, e *logEntry, c *logChunk) bool {
	for i := range f.terms {
		t := &f.terms[i]
		var ok bool
		switch t.field {
		case fieldSeverity:
			ok = t.matchSeverity(e.sev, m.logs.metas[e.meta].sevText, m.syms)
		case fieldBody:
			ok = t.matchBytes(c.body(e))
		case fieldTrace:
			ok = e.flags&logHasTrace != 0 && t.matchHexID(e.traceID.String())
			if t.op == opNe && e.flags&logHasTrace == 0 {
				ok = true
			}
		case fieldSpanID:
			ok = e.flags&logHasSpan != 0 && t.matchHexID(e.spanID.String())
			if t.op == opNe && e.flags&logHasSpan == 0 {
				ok = true
			}
		case fieldEvent:
			ok = t.matchSym(m.logs.metas[e.meta].event, m.syms)
		case fieldService:
			ok = t.matchSym(m.aggs.services[m.logs.metas[e.meta].svc].name, m.syms)
		case fieldTarget:
			ok = t.matchSym(m.logs.metas[e.meta].scope, m.syms)
		case fieldID:
			ok = t.matchNum(int64(id))
		case fieldAttr:
			v, found := t.lookupAttr(c.attrs(e), m.syms)
			ok = found && t.matchValue(v)
			if t.op == opNe && !found {
				ok = true
			}
		default: // free text
			ok = containsFold(c.body(e), t.str) ||
				t.matchSym(m.aggs.services[m.logs.metas[e.meta].svc].name, m.syms) || t.matchSym(m.logs.metas[e.meta].scope, m.syms) || t.matchSym(m.logs.metas[e.meta].event, m.syms)
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchBytes is matchString for a body, without copying it.
func (t *term) matchBytes(b []byte) bool {
	switch {
	case t.re != nil:
		return t.re.Match(b)
	case t.op == opEq:
		return bytes.EqualFold(b, []byte(t.str))
	case t.op == opNe:
		return !bytes.EqualFold(b, []byte(t.str))
	}
	return containsFold(b, t.str)
}

// containsFold reports whether b contains lower (already lower-case),
// ignoring case, without allocating for ASCII text.
func containsFold(b []byte, lower string) bool {
	if lower == "" {
		return true
	}
	for i := 0; i < len(lower); i++ {
		if lower[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(string(b)), lower)
		}
	}
	first := lower[0]
	for i := 0; i+len(lower) <= len(b); i++ {
		if c := b[i]; c != first && !('A' <= c && c <= 'Z' && c+'a'-'A' == first) {
			continue
		}
		j := 1
		for ; j < len(lower); j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

// logMatches remembers which records matched the last filter of the logs
// table. Records never change and arrive in ID order, so the next frame
// with the same filter only tests the records that arrived since: a
// filtered live tail costs what arrived, not what is stored.
type logMatches struct {
	mu     sync.Mutex
	filter string
	ids    []uint64 // matching IDs, ascending; ids[head:] are stored
	head   int
	upTo   uint64 // every ID below has been tested
}

// matching returns the stored IDs that match f (parsed from src),
// ascending. The caller holds the model's read lock and c.mu.
func (m *Model) matching(c *logMatches, f *filter, src string) []uint64 {
	s := m.logs
	if c.filter != src || c.upTo > s.next {
		c.filter, c.ids, c.head, c.upTo = src, c.ids[:0], 0, s.first
	}
	for c.head < len(c.ids) && c.ids[c.head] < s.first {
		c.head++
	}
	if c.head > 0 && c.head >= len(c.ids)/2 {
		n := copy(c.ids, c.ids[c.head:])
		c.ids, c.head = c.ids[:n], 0
	}
	s.eachFrom(max(c.upTo, s.first), func(id uint64, e *logEntry, ch *logChunk) bool {
		if m.matchLog(f, id, e, ch) {
			c.ids = append(c.ids, id)
		}
		return true
	})
	c.upTo = s.next
	return c.ids[c.head:]
}

// lookupAttr finds the term's attribute in a blob by its key's Sym,
// resolving no other string: a filter on an attribute tests every record.
func (t *term) lookupAttr(blob []byte, syms *Symbols) (Value, bool) {
	if !t.keyLooked {
		t.keySym, t.keyFound = syms.lookup(t.key)
		t.keyLooked = true
	}
	if !t.keyFound {
		return Value{}, false // no record has it
	}
	for len(blob) > 0 {
		k, tag, rest, ok := nextAttr(blob)
		if !ok {
			return Value{}, false
		}
		if k == t.keySym {
			v, _, ok := readValue(tag, rest, syms)
			return v, ok
		}
		if blob, ok = skipValue(tag, rest); !ok {
			return Value{}, false
		}
	}
	return Value{}, false
}

// lookup returns the Sym of str without interning it.
func (s *Symbols) lookup(str string) (Sym, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.ids[str]
	return id, ok
}
