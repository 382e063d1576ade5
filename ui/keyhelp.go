package ui

import "strings"

// allKeySets are the key sets of every screen, in the order `spantop help`
// lists their keys.
var allKeySets = []*keySet{tasksKeys, goroutinesKeys, tracesKeys, opsKeys, resourcesKeys, logsKeys, metricsKeys, detailsKeys, traceKeys, opDetailsKeys, goroutineKeys, resourceKeys, logKeys, metricKeys, pagerKeys}

// KeyHelp is one key binding as `spantop help` prints it.
type KeyHelp struct {
	Keys  string // as the `?` help shows them
	Does  string
	Where string // the screens it works in, "" for all of them
}

// KeyHelpLines lists every key binding of every screen from the key sets
// the footer, the `?` help and Update use, so the command line's help
// cannot differ from them. A binding several screens share is listed once,
// with the screens it works in.
func KeyHelpLines(ascii bool) []KeyHelp {
	a := New(nil, Options{ASCII: ascii})
	type entry struct {
		help  KeyHelp
		where []string
	}
	var out []*entry
	seen := map[string]*entry{}
	for _, ks := range allKeySets {
		for _, b := range a.allKeys(ks) {
			k := KeyHelp{Keys: b.shown(ascii), Does: b.desc}
			id := k.Keys + "\x00" + k.Does
			e := seen[id]
			if e == nil {
				e = &entry{help: k}
				seen[id] = e
				out = append(out, e)
			}
			e.where = append(e.where, ks.name)
		}
	}
	lines := make([]KeyHelp, len(out))
	for i, e := range out {
		lines[i] = e.help
		if len(e.where) < len(allKeySets) {
			lines[i].Where = strings.Join(e.where, ", ")
		}
	}
	for i := range replayKeys {
		lines = append(lines, KeyHelp{Keys: replayKeys[i].shown(ascii), Does: replayKeys[i].desc, Where: "spantop replay"})
	}
	return lines
}

// FilterSyntax is the filter language in short, as the `?` help of a table
// and `spantop help` show it (model/filter.go defines it).
var FilterSyntax = [][2]string{
	{"text", "free text: name, service, target or location contains it; a hex trace ID or its prefix (enter or paste) finds the trace"},
	{"f=v f!=v", "equals / differs (case ignored); f~re is a Go regexp; kind!=goroutine, status!=error"},
	{"dur>100ms", "also >= < <= on dur, id, warn and numeric attributes"},
	{"fields", "name service target location kind status state dur id trace warn; any other key is a span attribute"},
	{"kind=", "span (any span kind), server client internal producer consumer unspecified, goroutine"},
	{"trace=", "a trace ID or its hex prefix: trace=4bf92f35"},
	{"traces", "the traces table (x) takes trace= name= service= status= state= dur spans errors"},
	{"spaces", `name=POST /api/x needs no quotes; other values with spaces: http.route="/a b"`},
}
