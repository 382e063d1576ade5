package ui

import "strings"

// KeyHelp is one key binding as `spantop help` prints it.
type KeyHelp struct {
	Keys  string // as the `?` help shows them
	Does  string
	Where string // the views it works in, "" for all of them
}

// KeyHelpLines lists every key binding from the table the footer, the `?`
// help and Update use, so the command line's help cannot differ from it.
func KeyHelpLines(ascii bool) []KeyHelp {
	out := make([]KeyHelp, 0, len(bindings))
	for i := range bindings {
		b := &bindings[i]
		k := KeyHelp{Keys: b.shown(ascii), Does: b.desc}
		if b.views != inAll {
			var names []string
			for v := viewMask(1); v <= b.views && v != 0; v <<= 1 {
				if b.views&v != 0 {
					names = append(names, viewName(v))
				}
			}
			k.Where = strings.Join(names, ", ")
		}
		out = append(out, k)
	}
	return out
}
