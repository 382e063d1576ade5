package ui

import (
	"strconv"
	"strings"
)

// treePrefix draws the tree lines left of a row at depth depth: one
// two-cell column per level, a line passing by where an ancestor has a
// later sibling (guides, bit 0 for the parent's column), and the row's own
// branch. A row deeper than fits in w cells shows its innermost levels
// after a count of the levels left out.
func (s *styles) treePrefix(depth int, guides uint64, last bool, w int) string {
	if depth <= 0 || w < 2 {
		return ""
	}
	cols := depth
	skipped := 0
	if 2*cols > w {
		// Keep the innermost levels; the elided ones become "+N".
		skipped = depth - (w-4)/2
		if skipped < 1 || (w-4)/2 < 1 {
			return s.fit(s.sym.ellipsis+strconv.Itoa(depth), w, false)
		}
		cols = depth - skipped
	}
	var b strings.Builder
	if skipped > 0 {
		b.WriteString(s.fit("+"+strconv.Itoa(skipped), 4, false))
	}
	for c := depth - cols; c < depth; c++ {
		if c == depth-1 {
			if last {
				b.WriteString(s.sym.lastBranch)
			} else {
				b.WriteString(s.sym.branch)
			}
			break
		}
		// Column c belongs to the ancestor at depth c+1: guide bit
		// depth-2-c counts from the parent outwards.
		if j := depth - 2 - c; j < 64 && guides&(1<<j) != 0 {
			b.WriteString(s.sym.pass)
		} else {
			b.WriteString("  ")
		}
	}
	return b.String()
}
