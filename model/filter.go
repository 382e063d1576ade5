package model

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A filter is a space-separated list of terms, all of which must match:
//
//	checkout              free text: name, service, target or location contains it
//	name=GET /users       the words after name= belong to the name (quote
//	                      other values with spaces: http.route="/a b")
//	service=api  kind=server  status=error  state=running
//	dur>100ms  dur<=2s    duration of the span (live spans: so far)
//	name~^GET\s+/api      a Go regular expression, for any field (a duration
//	                      as Go prints it, 1.5s; an ID in decimal); != negates =
//	http.route=/users     any other key is a span attribute
//
// String comparisons and regular expressions ignore case.
type filter struct {
	terms []term
}

type field uint8

const (
	fieldText field = iota
	fieldName
	fieldService
	fieldTarget
	fieldLocation
	fieldKind
	fieldStatus
	fieldState
	fieldDur
	fieldID
	fieldTrace
	fieldWarn
	fieldAttr
)

var fieldNames = map[string]field{
	"name": fieldName, "service": fieldService, "svc": fieldService,
	"target": fieldTarget, "scope": fieldTarget, "location": fieldLocation, "loc": fieldLocation,
	"kind": fieldKind, "status": fieldStatus, "state": fieldState,
	"dur": fieldDur, "duration": fieldDur, "total": fieldDur,
	"id": fieldID, "trace": fieldTrace, "trace_id": fieldTrace, "warn": fieldWarn, "warning": fieldWarn,
}

// kindAnySpan is the kind= value that matches every span kind and no
// goroutine.
const kindAnySpan = "span"

// matchKind matches a row's kind, where kind=span means any span.
func (t *term) matchKind(k SpanKind) bool {
	if t.re == nil && t.str == kindAnySpan && (t.op == opEq || t.op == opNe) {
		return (k != KindGoroutine) == (t.op == opEq)
	}
	return t.matchString(k.String())
}

type op uint8

const (
	opEq op = iota
	opNe
	opContains // free text: a plain substring
	opMatch    // ~: a regular expression
	opGt
	opGe
	opLt
	opLe
)

type term struct {
	field field
	op    op
	key   string // attribute key
	str   string // lower-cased value
	num   int64  // durations (ns) and IDs
	isNum bool
	re    *regexp.Regexp // opMatch
	// symMatch memoises string matches per Sym for the life of one query:
	// 0 unknown, 1 no, 2 yes.
	symMatch []uint8
	// keySym is an attribute key's Sym once looked up (keyLooked), if
	// interned (keyFound); see logfilter.go. A filter is parsed for each
	// query, which runs under the read lock, so the writer cannot reclaim
	// the Sym meanwhile.
	keySym              Sym
	keyLooked, keyFound bool
	// traceHex: free text that may be a trace ID or its prefix (pasted
	// into the filter), which then matches the spans of that trace too.
	traceHex bool
}

// minTraceHex is the shortest free text taken for a trace ID prefix: 8
// hex digits, as trace IDs are shown shortened.
const minTraceHex = 8

// isTraceHex reports whether lower-cased free text looks like a trace ID
// or a prefix of one.
func isTraceHex(s string) bool {
	if len(s) < minTraceHex || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// parseFilter compiles a filter; an empty string yields a nil filter.
func parseFilter(s string) (*filter, error) {
	words, err := splitTerms(s)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, nil
	}
	f := &filter{}
	for _, w := range words {
		t, err := parseTerm(w)
		if err != nil {
			return nil, err
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// splitTerms splits on spaces outside double quotes and removes the quotes.
// Names have spaces (`POST /api/checkout`), so the unquoted words after a
// name= or name!= term that have no operator of their own belong to the
// name, as typed: name=POST /api/checkout is one term. Free text after a
// name term needs quotes ("checkout"), or goes before it.
func splitTerms(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, has, quoted := false, false, false
	joining := false // the last word is a name term that takes the next bare words
	flush := func() {
		w := cur.String()
		cur.Reset()
		switch {
		case joining && !quoted && !hasOperator(w):
			out[len(out)-1] += " " + w
		default:
			out = append(out, w)
			joining = !quoted && isNameTerm(w)
		}
		has, quoted = false, false
	}
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, has, quoted = !inQuote, true, true
		case (r == ' ' || r == '\t') && !inQuote:
			if has {
				flush()
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unclosed quote in filter")
	}
	if has {
		flush()
	}
	return out, nil
}

// hasOperator reports whether a word is a field term (it has an operator
// after its first character).
func hasOperator(w string) bool {
	for _, o := range ops {
		if strings.Index(w, o.s) > 0 {
			return true
		}
	}
	return false
}

// isNameTerm reports whether a word is a name= or name!= term, whose value
// the next bare words continue.
func isNameTerm(w string) bool {
	lw := strings.ToLower(w)
	return strings.HasPrefix(lw, "name=") || strings.HasPrefix(lw, "name!=")
}

var ops = []struct {
	s  string
	op op
}{{"!=", opNe}, {">=", opGe}, {"<=", opLe}, {"=", opEq}, {">", opGt}, {"<", opLt}, {"~", opMatch}}

func parseTerm(w string) (term, error) {
	for _, o := range ops {
		i := strings.Index(w, o.s)
		if i <= 0 {
			continue
		}
		key, val := w[:i], w[i+len(o.s):]
		t := term{op: o.op, str: strings.ToLower(val)}
		f, known := fieldNames[strings.ToLower(key)]
		if !known {
			f, t.key = fieldAttr, key
		}
		t.field = f
		if err := t.compile(val); err != nil {
			if t.op == opMatch {
				return t, fmt.Errorf("%s~: %w", key, err)
			}
			return t, err
		}
		return t, nil
	}
	lw := strings.ToLower(w)
	return term{field: fieldText, op: opContains, str: lw, traceHex: isTraceHex(lw)}, nil
}

func (t *term) compile(val string) error {
	if t.op == opMatch {
		re, err := compileRegexp(val)
		if err != nil {
			return err
		}
		t.re = re
		return nil
	}
	ordered := t.op == opGt || t.op == opGe || t.op == opLt || t.op == opLe
	switch t.field {
	case fieldDur:
		d, err := time.ParseDuration(strings.ReplaceAll(val, "us", "µs"))
		if err != nil {
			return fmt.Errorf("dur: %q is not a duration (try 100ms, 1.5s)", val)
		}
		t.num, t.isNum = int64(d), true
	case fieldID:
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return fmt.Errorf("id: %q is not a number", val)
		}
		t.num, t.isNum = n, true
	case fieldKind:
		if !slices.Contains(kindNames[:], t.str) && !slices.Contains(waitKindNames[:], t.str) && t.str != "service" && t.str != kindAnySpan {
			return fmt.Errorf("kind: %q is not one of %s, %s", val, kindAnySpan, strings.Join(kindNames[:], ", "))
		}
	case fieldWarn:
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			t.num, t.isNum = n, true
			break
		}
		k := slices.Index(warnNames[:], t.str)
		if k < 0 || ordered {
			return fmt.Errorf("warn: %q is not a count (warn>0) or one of %s", val, strings.Join(warnNames[:WarnGoroutineGrowth], ", "))
		}
		t.num = int64(k)
	case fieldStatus:
		if !slices.Contains([]string{"unset", "ok", "error"}, t.str) {
			return fmt.Errorf("status: %q is not one of unset, ok, error", val)
		}
	case fieldState:
		if !slices.Contains(stateNames[:], t.str) {
			return fmt.Errorf("state: %q is not one of %s", val, strings.Join(stateNames[:], ", "))
		}
	case fieldAttr:
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			t.num, t.isNum = n, true
		}
		if ordered && !t.isNum {
			return fmt.Errorf("%s: ordering needs a number, not %q", t.key, val)
		}
		return nil
	default:
		if ordered {
			return fmt.Errorf("%q compares with = != or ~ only", val)
		}
		return nil
	}
	if ordered && !t.isNum {
		return fmt.Errorf("%q compares with = or != only", val)
	}
	return nil
}

func (t *term) matchString(s string) bool {
	if t.re != nil {
		return t.re.MatchString(s)
	}
	ls := strings.ToLower(s)
	switch t.op {
	case opEq:
		return ls == t.str
	case opNe:
		return ls != t.str
	default:
		return strings.Contains(ls, t.str)
	}
}

// matchSym matches a string by its Sym, computing each Sym's answer once.
func (t *term) matchSym(id Sym, syms *Symbols) bool {
	if int(id) >= len(t.symMatch) {
		grown := make([]uint8, max(int(id)+1, 2*len(t.symMatch)))
		copy(grown, t.symMatch)
		t.symMatch = grown
	}
	switch t.symMatch[id] {
	case 1:
		return false
	case 2:
		return true
	}
	ok := t.matchString(syms.String(id))
	t.symMatch[id] = 1
	if ok {
		t.symMatch[id] = 2
	}
	return ok
}

func (t *term) matchNum(v int64) bool {
	if t.re != nil {
		if t.field == fieldDur {
			return t.re.MatchString(time.Duration(v).String())
		}
		return t.re.MatchString(strconv.FormatInt(v, 10))
	}
	switch t.op {
	case opEq:
		return v == t.num
	case opNe:
		return v != t.num
	case opGt:
		return v > t.num
	case opGe:
		return v >= t.num
	case opLt:
		return v < t.num
	case opLe:
		return v <= t.num
	}
	return false
}

func (t *term) matchValue(v Value) bool {
	if t.isNum && v.Type == ValueInt {
		return t.matchNum(v.Int)
	}
	return t.matchString(v.String())
}

// regexps caches compiled regular expressions by source: a filter is
// parsed again on every frame's query, and compiling is the costly part.
// A compiled Regexp is safe for concurrent use.
var regexps struct {
	sync.Mutex
	m map[string]compiled
}

type compiled struct {
	re  *regexp.Regexp
	err error
}

// maxCachedRegexps bounds the cache; typing a filter adds one entry per
// key press, so it is emptied when full rather than grown.
const maxCachedRegexps = 256

// compileRegexp compiles a filter's regular expression, ignoring case,
// once per source string.
func compileRegexp(src string) (*regexp.Regexp, error) {
	regexps.Lock()
	defer regexps.Unlock()
	if c, ok := regexps.m[src]; ok {
		return c.re, c.err
	}
	if regexps.m == nil || len(regexps.m) >= maxCachedRegexps {
		regexps.m = make(map[string]compiled)
	}
	re, err := regexp.Compile("(?i)" + src)
	if err != nil {
		// Say what is wrong without the (?i) the user did not type.
		var se *syntax.Error
		if errors.As(err, &se) {
			err = fmt.Errorf("%s: `%s`", se.Code, strings.TrimPrefix(se.Expr, "(?i)"))
		}
	}
	regexps.m[src] = compiled{re, err}
	return re, err
}
