package model

import (
	"math"
	"strconv"
)

// The tasks store holds two classes of rows: spans and goroutines. They
// are two tables in the UI, each with its own columns, so a query lists
// one class (Query.Goroutines). The sort index orders the classes apart —
// every span before every goroutine — so each class is a contiguous range
// of ranks and a query stays O(log n + rows).

// classGoroutine is the bit of an index item's sym that marks a goroutine
// row. Syms never reach it (the budget bounds them far below 2^31); the
// index compares it before the key, and strips it before looking a
// string up.
const classGoroutine Sym = 1 << 31

// isGoroutineRow reports whether row i of chunk c is a goroutine.
func isGoroutineRow(c *spanChunk, i int) bool { return c.kind[i] == KindGoroutine }

// classOf is the class bit of a row.
func classOf(c *spanChunk, i int) Sym {
	if isGoroutineRow(c, i) {
		return classGoroutine
	}
	return 0
}

// classRange returns the ranks [base, base+n) of the index's items of one
// class.
func (x *taskIndex) classRange(goroutines bool) (base, n int) {
	split := x.tree.rank(item{key: math.MinInt64, sym: classGoroutine})
	if goroutines {
		return split, x.tree.size - split
	}
	return 0, split
}

// runningOf returns the live rows of one class sorted by Total as the
// index orders them: their keys grow with the clock, so they are kept out
// of the index and merged in by a query.
func (m *Model) runningOf(goroutines bool, now int64) []item {
	run := make([]item, 0, len(m.ret.running))
	for _, slot := range m.ret.running {
		c, i := m.store.at(slot)
		if isGoroutineRow(c, i) != goroutines {
			continue
		}
		run = append(run, item{key: durKey(c.dur[i], now), idk: c.id[i], slot: slot, sym: classOf(c, i)})
	}
	return run
}

// goroutineColumns fills the columns only the goroutines table has.
func (m *Model) goroutineColumns(r *TaskRow, g *goInfo) {
	r.GoID = g.goid
	if g.state == GoWaiting {
		r.WaitReason = g.reason
		if r.WaitReason == "" {
			r.WaitReason = g.wait.String()
		}
		if g.res != nil {
			r.Resource = g.res.typeName()
			if g.res.location != "" {
				r.Resource += " " + g.res.location
			}
		}
	}
	if g.parent > 0 && g.proc != nil {
		if ps, ok := g.proc.goroutines[g.parent]; ok {
			pc, pi := m.store.at(ps)
			r.CreatedBy = m.syms.String(pc.name[pi])
		} else {
			r.CreatedBy = "goroutine " + strconv.FormatInt(g.parent, 10)
		}
	}
}
