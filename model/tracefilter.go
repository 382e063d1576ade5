package model

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// The traces table takes the filter language of the other tables
// (filter.go) with the fields a trace has:
//
//	trace=4bf92f35        its ID, or a hex prefix of it
//	name=GET /users       its root's name (the earliest span's while the root is missing)
//	service=api           one of its services
//	status=error          it has a span with status error (status=ok: none)
//	state=running         it has a span in flight (state=done: none)
//	dur>100ms             its duration (in flight: so far)
//	spans>10 errors>0     its span and error counts
//	checkout              free text: the name or a service contains it; a
//	                      hex trace ID or its prefix finds the trace

// traceFilterErr says which term the traces table cannot answer.
func traceFilterErr(f *filter) error {
	for k := range f.terms {
		switch t := &f.terms[k]; t.field {
		case fieldText, fieldName, fieldService, fieldStatus, fieldState, fieldDur, fieldTrace:
		case fieldAttr:
			if !strings.EqualFold(t.key, "spans") && !strings.EqualFold(t.key, "errors") {
				return fmt.Errorf("traces filter on trace, name, service, status, state, dur, spans, errors; not %q", t.key)
			}
		default:
			return fmt.Errorf("traces filter on trace, name, service, status, state, dur, spans, errors")
		}
	}
	return nil
}

// matchTrace evaluates a filter against one trace. The caller holds the
// read lock.
func (m *Model) matchTrace(f *filter, tr *traceRec, now int64) bool {
	s := &tr.sum
	var hexBuf [32]byte
	traceHex := func() string {
		c, i := m.store.at(tr.head)
		hex.Encode(hexBuf[:], c.cold[i].traceID[:])
		return string(hexBuf[:])
	}
	anyService := func(t *term) bool {
		if t.op == opNe { // service!=api: none of them is
			for _, sc := range s.svcs {
				if !t.matchSym(m.aggs.services[sc.svc].name, m.syms) {
					return false
				}
			}
			return true
		}
		for _, sc := range s.svcs {
			if t.matchSym(m.aggs.services[sc.svc].name, m.syms) {
				return true
			}
		}
		return false
	}
	var name Sym
	named := false
	nameOf := func() Sym { // read only for a term on the name: a cache miss per trace
		if !named {
			name, _ = m.nameSym(s)
			named = true
		}
		return name
	}
	for k := range f.terms {
		t := &f.terms[k]
		var ok bool
		switch t.field {
		case fieldText:
			ok = t.matchSym(nameOf(), m.syms) || anyService(t) ||
				(t.traceHex && strings.HasPrefix(traceHex(), t.str))
		case fieldName:
			ok = t.matchSym(nameOf(), m.syms)
		case fieldService:
			ok = anyService(t)
		case fieldStatus:
			status := "ok"
			if s.errors > 0 {
				status = "error"
			}
			ok = t.matchString(status)
			if t.str == "unset" && t.re == nil {
				ok = (s.errors == 0) == (t.op == opEq)
			}
		case fieldState:
			state := "done"
			if s.running > 0 {
				state = "running"
			}
			ok = t.matchString(state)
		case fieldDur:
			ok = t.matchNum(s.duration(now))
		case fieldTrace:
			id := traceHex()
			ok = t.matchString(id) || (t.op == opEq && strings.HasPrefix(id, t.str))
		case fieldAttr:
			n := int64(tr.count)
			if strings.EqualFold(t.key, "errors") {
				n = int64(s.errors)
			}
			ok = t.isNum && t.matchNum(n)
		}
		if !ok {
			return false
		}
	}
	return true
}
