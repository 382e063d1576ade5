package model

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"
)

// A trace's spans are stored as a linked list of slots (traceRec). The
// waterfall and the tasks view's tree mode arrange them as a tree: children
// under their parents, siblings in a given order. The tree is built per
// query from the list: O(n log n) for a trace of n spans, on compact
// arrays, with no per-span allocation.

// tnode is one node of a trace's tree: a stored span, or a marker standing
// for a parent that never arrived.
type tnode struct {
	slot   uint32 // noSlot for a marker
	id     uint64 // display ID; for a marker, missingParentID of span
	span   SpanID // the span's ID; for a marker, the missing parent's
	parent SpanID
	start  int64 // Unix ns as sent
	end    int64 // start + duration (a live span: so far, by the local clock)
	up     int32 // parent node, -1 at the top level
	state  State
	flags  nodeFlags
}

type nodeFlags uint8

const (
	nodeOrphan   nodeFlags = 1 << iota // its parent is not stored
	nodeLoop                           // its parent link closed a loop and was cut
	nodeMarker                         // stands for a missing parent
	nodeLast                           // the last of its siblings
	nodeCritical                       // on the critical path
)

// missingParentID is the ID of the marker row that stands, in a trace view,
// for a parent span that never arrived. It has the top bit set, which no
// display ID of a span reaches.
func missingParentID(parent SpanID) uint64 {
	return 1<<63 | binary.BigEndian.Uint64(parent[:])
}

// traceTree is a trace's spans as a tree, flattened in preorder.
type traceTree struct {
	nodes  []tnode
	kidsAt []int32 // children of node v: kids[kidsAt[v]:kidsAt[v+1]]
	kids   []int32
	tops   []int32 // top-level nodes, in sibling order
	order  []int32 // preorder
	depth  []int32 // by node
	size   []int32 // by node: the nodes of its subtree, itself included
	pos    []int32 // by node: its index in order
	// start and end are the trace's extent (the earliest start, the latest end).
	start, end int64
	orphans    int
	keys       []item           // by node, when built with a key
	bySlot     map[uint32]int32 // node of a slot, for large trees; see node

	// Scratch space kept for the next build.
	fill, path, sorted []int32
	color              []uint8
	finder             map[SpanID]int32
}

// trees recycles the arrays of trees built by earlier queries: a 10,000
// span trace needs about a megabyte of them, ten times a second.
var trees = sync.Pool{New: func() any { return new(traceTree) }}

// release returns a tree's arrays for reuse; the tree must not be used after.
func (tr *traceTree) release() {
	if cap(tr.nodes) > 1<<20 {
		return // an outsize trace: let the collector have it
	}
	clear(tr.finder)
	tr.bySlot = nil
	trees.Put(tr)
}

// grow returns s with length n, reusing its array when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	s = s[:n]
	clear(s)
	return s
}

// treeOptions say how a tree is built.
type treeOptions struct {
	// markers groups orphans under one marker node per missing parent;
	// without it orphans are top-level nodes themselves.
	markers bool
	// key, when set, gives each span its sort key in the tasks view, and
	// siblings are ordered by it (descending when desc) as the view
	// orders rows; otherwise siblings are ordered by start, then ID.
	key  func(slot uint32) item
	cmp  func(a, b item) int
	desc bool
}

func byStart(a, b *tnode) int {
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// buildTree arranges the stored spans of trace t. The caller holds the
// read lock.
func (m *Model) buildTree(t *traceRec, now int64, opt treeOptions) *traceTree {
	tr := trees.Get().(*traceTree)
	if need := int(t.count) + int(t.count)/8 + 4; cap(tr.nodes) < need {
		tr.nodes = make([]tnode, 0, need)
	} else {
		tr.nodes = tr.nodes[:0]
	}
	tr.tops, tr.order = tr.tops[:0], tr.order[:0]
	tr.start, tr.end, tr.orphans = 0, 0, 0
	for slot := t.head; slot != noSlot; {
		c, i := m.store.at(slot)
		cold := &c.cold[i]
		tr.nodes = append(tr.nodes, tnode{
			slot: slot, id: c.id[i], span: cold.spanID, parent: cold.parent,
			start: cold.start, end: cold.start + durKey(c.dur[i], now), state: c.state[i], up: -1,
		})
		slot = cold.nextT
	}
	tr.link(opt.markers)
	byNode := func(a, b int32) int { return byStart(&tr.nodes[a], &tr.nodes[b]) }
	if opt.key != nil {
		tr.keys = grow(tr.keys, len(tr.nodes))
		for v := range tr.nodes {
			tr.keys[v] = opt.key(tr.nodes[v].slot)
		}
		if opt.desc {
			byNode = func(a, b int32) int { return opt.cmp(tr.keys[b], tr.keys[a]) }
		} else {
			byNode = func(a, b int32) int { return opt.cmp(tr.keys[a], tr.keys[b]) }
		}
	}
	tr.arrange(byNode)
	return tr
}

// link resolves every node's parent; orphans go under markers (or to the
// top level), and a loop of parent links is cut where it is found.
func (tr *traceTree) link(markers bool) {
	n := len(tr.nodes)
	find := tr.spanFinder()
	var missing map[SpanID]int32 // rare: not worth keeping
	for v := range n {
		nd := &tr.nodes[v]
		if nd.parent.IsZero() {
			continue
		}
		if p, ok := find(nd.parent); ok {
			nd.up = p
			continue
		}
		nd.flags |= nodeOrphan
		tr.orphans++
		if !markers {
			continue
		}
		if missing == nil {
			missing = map[SpanID]int32{}
		}
		mk, ok := missing[nd.parent]
		if !ok {
			mk = int32(len(tr.nodes))
			missing[nd.parent] = mk
			tr.nodes = append(tr.nodes, tnode{slot: noSlot, id: missingParentID(nd.parent), span: nd.parent,
				start: nd.start, end: nd.end, up: -1, flags: nodeMarker})
			nd = &tr.nodes[v] // the append may have moved the nodes
		}
		nd.up = mk
		k := &tr.nodes[mk]
		k.start, k.end = min(k.start, nd.start), max(k.end, nd.end)
	}
	// Parent links among stored spans can form a loop (a sender's bug or
	// a hostile one); no node of a loop reaches the top. Cut each loop at
	// the node where the walk meets it again.
	color := grow(tr.color, len(tr.nodes)) // 0 new, 1 on the current walk, 2 done
	path := tr.path
	defer func() { tr.color, tr.path = color, path[:0] }()
	for v := range tr.nodes {
		path = path[:0]
		j := int32(v)
		for j >= 0 && color[j] == 0 {
			color[j] = 1
			path = append(path, j)
			j = tr.nodes[j].up
		}
		if j >= 0 && color[j] == 1 {
			tr.nodes[j].up = -1
			tr.nodes[j].flags |= nodeLoop
		}
		for _, p := range path {
			color[p] = 2
		}
	}
}

// spanFinder returns a lookup from span ID to node. Small traces are
// searched linearly; a duplicated span ID resolves to its first node.
func (tr *traceTree) spanFinder() func(SpanID) (int32, bool) {
	nodes := tr.nodes
	if len(nodes) <= 16 {
		return func(s SpanID) (int32, bool) {
			for v := range nodes {
				if nodes[v].span == s {
					return int32(v), true
				}
			}
			return 0, false
		}
	}
	if tr.finder == nil {
		tr.finder = make(map[SpanID]int32, len(nodes))
	}
	idx := tr.finder
	for v := len(nodes) - 1; v >= 0; v-- {
		idx[nodes[v].span] = int32(v)
	}
	return func(s SpanID) (int32, bool) {
		v, ok := idx[s]
		return v, ok
	}
}

// arrange sorts siblings by cmp and flattens the tree in preorder.
func (tr *traceTree) arrange(byNode func(a, b int32) int) {
	n := len(tr.nodes)
	tr.kidsAt = grow(tr.kidsAt, n+1)
	for v := range tr.nodes {
		if u := tr.nodes[v].up; u >= 0 {
			tr.kidsAt[u+1]++
		}
	}
	for v := range n {
		tr.kidsAt[v+1] += tr.kidsAt[v]
	}
	tr.kids = grow(tr.kids, int(tr.kidsAt[n]))
	fill := append(tr.fill[:0], tr.kidsAt[:n]...)
	tr.fill = fill
	for v := range tr.nodes {
		if u := tr.nodes[v].up; u >= 0 {
			tr.kids[fill[u]] = int32(v)
			fill[u]++
		} else {
			tr.tops = append(tr.tops, int32(v))
		}
	}
	markLast := func(list []int32) {
		if len(list) > 0 {
			tr.nodes[list[len(list)-1]].flags |= nodeLast
		}
	}
	slices.SortFunc(tr.tops, byNode)
	markLast(tr.tops)
	for v := range n {
		list := tr.kids[tr.kidsAt[v]:tr.kidsAt[v+1]]
		if len(list) > 1 {
			slices.SortFunc(list, byNode)
		}
		markLast(list)
	}

	tr.order = grow(tr.order, 0)
	tr.depth = grow(tr.depth, n)
	tr.pos = grow(tr.pos, n)
	tr.size = grow(tr.size, n)
	stack := tr.path[:0]
	defer func() { tr.path = stack[:0] }()
	for i := len(tr.tops) - 1; i >= 0; i-- {
		stack = append(stack, tr.tops[i])
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		tr.pos[v] = int32(len(tr.order))
		tr.order = append(tr.order, v)
		kids := tr.kids[tr.kidsAt[v]:tr.kidsAt[v+1]]
		for i := len(kids) - 1; i >= 0; i-- {
			tr.depth[kids[i]] = tr.depth[v] + 1
			stack = append(stack, kids[i])
		}
	}
	for i := len(tr.order) - 1; i >= 0; i-- {
		v := tr.order[i]
		tr.size[v]++
		if u := tr.nodes[v].up; u >= 0 {
			tr.size[u] += tr.size[v]
		}
	}
	first := true
	for v := range tr.nodes {
		nd := &tr.nodes[v]
		if nd.flags&nodeMarker != 0 {
			continue
		}
		if first || nd.start < tr.start {
			tr.start = nd.start
		}
		if first || nd.end > tr.end {
			tr.end = nd.end
		}
		first = false
	}
}

func (tr *traceTree) children(v int32) []int32 { return tr.kids[tr.kidsAt[v]:tr.kidsAt[v+1]] }

// markCritical marks the critical path: the chain of spans that decides
// when the trace ends. From the top-level node that ends last, it takes
// the child that ends last, then the child that ends last before that one
// started, and so on (the time between them is the parent's own, the gaps
// on the path), descending into each child the same way. A child that
// outlives its parent counts up to its parent's end.
//
// A child that starts only after its parent ended was not waited for by
// it: either work left running (a consumer, a goroutine) or, as often, a
// call made with the context of a span that had ended already. The path
// counts it as a child of its nearest ancestor whose time contains it
// whole, where it was waited for; when there is none it is left out.
// It returns the number of nodes marked.
func (tr *traceTree) markCritical() int {
	if len(tr.tops) == 0 {
		return 0
	}
	best := tr.tops[0]
	for _, v := range tr.tops {
		if tr.nodes[v].end > tr.nodes[best].end {
			best = v
		}
	}
	// A frame walks the children of v latest first. eff is v's end as the
	// path sees it (a child is trimmed to its parent's end, recursively);
	// bound is how late the next child taken may end.
	type frame struct {
		v          int32
		eff, bound int64
		kids       []int32
		k          int
	}
	sorted := tr.sorted[:0] // one backing array for the children lists
	defer func() { tr.sorted = sorted[:0] }()
	kidsOf := tr.children
	if at, kids, ok := tr.criticalKids(); ok {
		kidsOf = func(v int32) []int32 { return kids[at[v]:at[v+1]] }
	}
	open := func(v int32, eff int64) frame {
		start := len(sorted)
		for _, c := range kidsOf(v) {
			if nd := &tr.nodes[c]; nd.start < eff || nd.start == tr.nodes[v].start {
				sorted = append(sorted, c)
			}
		}
		list := sorted[start:len(sorted):len(sorted)]
		slices.SortFunc(list, func(a, b int32) int {
			if c := cmp.Compare(min(tr.nodes[b].end, eff), min(tr.nodes[a].end, eff)); c != 0 {
				return c
			}
			return byStart(&tr.nodes[a], &tr.nodes[b])
		})
		tr.nodes[v].flags |= nodeCritical
		return frame{v: v, eff: eff, bound: eff, kids: list}
	}
	marked := 1
	stack := []frame{open(best, tr.nodes[best].end)}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		for f.k < len(f.kids) && min(tr.nodes[f.kids[f.k]].end, f.eff) > f.bound {
			f.k++
		}
		if f.k == len(f.kids) {
			stack = stack[:len(stack)-1]
			continue
		}
		c := f.kids[f.k]
		f.k++
		f.bound = tr.nodes[c].start
		marked++
		stack = append(stack, open(c, min(tr.nodes[c].end, f.eff)))
	}
	return marked
}

// criticalKids returns, when some child starts after its parent ended,
// the children lists the critical path walks (CSR, like kidsAt and kids):
// such a child moved to its nearest ancestor that contains it, or left out.
func (tr *traceTree) criticalKids() (at, kids []int32, ok bool) {
	nodes := tr.nodes
	late := func(v int32) bool {
		p := nodes[v].up
		return p >= 0 && nodes[v].start >= nodes[p].end && nodes[v].start != nodes[p].start
	}
	any := false
	for v := range nodes {
		if late(int32(v)) {
			any = true
			break
		}
	}
	if !any {
		return nil, nil, false
	}
	up := make([]int32, len(nodes))
	at = make([]int32, len(nodes)+1)
	for v := range nodes {
		u := nodes[v].up
		if late(int32(v)) {
			for u = nodes[u].up; u >= 0; u = nodes[u].up {
				if nodes[v].start < nodes[u].end && nodes[v].end <= nodes[u].end {
					break
				}
			}
		}
		up[v] = u
		if u >= 0 {
			at[u+1]++
		}
	}
	for v := range nodes {
		at[v+1] += at[v]
	}
	kids = make([]int32, at[len(nodes)])
	fill := slices.Clone(at[:len(nodes)])
	for _, v := range tr.order { // preorder keeps each list in sibling order
		if u := up[v]; u >= 0 {
			kids[fill[u]] = v
			fill[u]++
		}
	}
	return at, kids, true
}

// guides describes the tree lines left of node v for its nearest 64
// ancestor levels: bit j is set when v's ancestor at depth depth(v)-1-j
// has a later sibling, so a vertical line runs down through its column.
// Bit 0 is v's parent; top-level ancestors have no column.
func (tr *traceTree) guides(v int32) uint64 {
	var g uint64
	u := tr.nodes[v].up
	for j := 0; j < 64 && u >= 0 && tr.depth[u] >= 1; j++ {
		if tr.nodes[u].flags&nodeLast == 0 {
			g |= 1 << j
		}
		u = tr.nodes[u].up
	}
	return g
}

// node returns the node of a stored span's slot.
func (tr *traceTree) node(slot uint32) (int32, bool) {
	if len(tr.nodes) <= 32 {
		for v := range tr.nodes {
			if tr.nodes[v].slot == slot {
				return int32(v), true
			}
		}
		return 0, false
	}
	if tr.bySlot == nil {
		tr.bySlot = make(map[uint32]int32, len(tr.nodes))
		for v := range tr.nodes {
			if s := tr.nodes[v].slot; s != noSlot {
				tr.bySlot[s] = int32(v)
			}
		}
	}
	v, ok := tr.bySlot[slot]
	return v, ok
}

// topOf returns the top-level ancestor of node v.
func (tr *traceTree) topOf(v int32) int32 {
	for tr.nodes[v].up >= 0 {
		v = tr.nodes[v].up
	}
	return v
}
