package main

import (
	"fmt"
	"io"

	"github.com/spantop/spantop/ui"
)

// writeKeys prints every key of the TUI from ui's key table, the one the
// `?` help shows.
func writeKeys(w io.Writer) {
	fmt.Fprintln(w, "\nKeys (? shows those of the current view):")
	for _, k := range ui.KeyHelpLines(false) {
		line := k.Does
		if k.Where != "" {
			line += " [" + k.Where + "]"
		}
		fmt.Fprintf(w, "  %-16s %s\n", k.Keys, line)
	}
}
