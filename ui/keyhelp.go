package ui

import "strings"

// allKeySets are the key sets of every screen, in the order `spantop help`
// lists their keys.
var allKeySets = []*keySet{tasksKeys, opsKeys, resourcesKeys, logsKeys, metricsKeys, detailsKeys, traceKeys, opDetailsKeys, goroutineKeys, resourceKeys, logKeys, metricKeys, pagerKeys}

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
	return lines
}
