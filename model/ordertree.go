package model

import "cmp"

// ostree is an order-statistic B+tree of items: every internal node knows
// how many items each child holds, so rank (how many items sort before x)
// and select (the item at rank p) take O(log n). The writer keeps one for
// the tasks view's active sort column; a frame's query then costs
// O(log n + rows) however many spans are stored.
type ostree struct {
	root   *osNode
	size   int
	leaves int
	// strings, when set, breaks ties of key by comparing the strings of
	// sym (string columns keep only a prefix in key).
	strings func(a, b Sym) int
	touched int64 // touchLeaves' reads go here, for nothing
}

// lt orders items: the row class (spans first, see rowclass.go), the key,
// then (string columns) the whole string, then ID.
func (t *ostree) lt(a, b item) bool { return t.cmp(a, b) < 0 }

// cmp is the tree's order as a three-way comparison (lt), also for
// sorting items in it (a new index's items, the spans a sweep takes out).
func (t *ostree) cmp(a, b item) int {
	if c := cmp.Compare(a.sym&classGoroutine, b.sym&classGoroutine); c != 0 {
		return c
	}
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	if a.sym != b.sym && t.strings != nil {
		if c := t.strings(a.sym, b.sym); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.idk, b.idk)
}

const (
	osLeafMax = 64
	osKidsMax = 64
)

type osNode struct {
	items []item    // leaf: sorted
	kids  []*osNode // internal
	seps  []item    // internal: seps[i] ≤ every item of kids[i] (i ≥ 1); seps[0] unused
	sizes []int     // internal: items under each kid
}

func (n *osNode) leaf() bool { return n.kids == nil }

func (n *osNode) count() int {
	if n.leaf() {
		return len(n.items)
	}
	s := 0
	for _, c := range n.sizes {
		s += c
	}
	return s
}

// osLeafBytes is the memory of one leaf; internal nodes add about one
// leaf's worth per osKidsMax/2 leaves.
const osLeafBytes = (osLeafMax+1)*24 + 96

func (t *ostree) bytes() int64 {
	return int64(t.leaves) * osLeafBytes * (osKidsMax/2 + 1) / (osKidsMax / 2)
}

// childFor returns the index of the child whose range holds x: the number
// of separators after the first that are ≤ x.
func (t *ostree) childFor(n *osNode, x item) int { return t.childIn(n, x, 1, len(n.kids)) }

// childBack is childFor when x is known to be in child top or before it,
// galloping back from top: a few comparisons when it is near.
func (t *ostree) childBack(n *osNode, x item, top int) int {
	if top == 0 || !t.lt(x, n.seps[top]) {
		return top
	}
	hi, step := top, 1 // seps[hi] > x
	lo := hi - step
	for lo > 0 && t.lt(x, n.seps[lo]) {
		hi = lo
		step *= 2
		lo = hi - step
	}
	return t.childIn(n, x, max(lo+1, 1), hi) // seps[lo] ≤ x when lo > 0
}

// childIn is childFor when the first separator after x is among
// seps[lo:hi+1] (hi when none of seps[lo:hi] is).
func (t *ostree) childIn(n *osNode, x item, lo, hi int) int {
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.lt(x, n.seps[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}

// seek returns the index of the first item of items[from:] not less
// than x, galloping from from: a few comparisons when it is near.
func (t *ostree) seek(items []item, from int, x item) int {
	lo, hi, step := from, from, 1
	for hi < len(items) && t.lt(items[hi], x) {
		lo = hi + 1
		hi += step
		step *= 2
	}
	return lo + t.lowerBound(items[lo:min(hi, len(items))], x)
}

// seekBack returns the index of the first item of xs not less than x,
// galloping back from the end (the last item is known not to be less).
func (t *ostree) seekBack(xs []item, x item) int {
	hi, step := len(xs), 1 // xs[hi:] are not less than x
	lo := hi - step
	for lo >= 0 && !t.lt(xs[lo], x) {
		hi = lo
		step *= 2
		lo = hi - step
	}
	base := max(lo+1, 0) // xs[lo] < x when lo ≥ 0
	return base + t.lowerBound(xs[base:hi], x)
}

// lowerBound returns the index of the first item not less than x.
func (t *ostree) lowerBound(items []item, x item) int {
	lo, hi := 0, len(items)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.lt(items[mid], x) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (t *ostree) insert(x item) {
	if t.root == nil {
		t.root = &osNode{items: make([]item, 0, osLeafMax+1)}
		t.leaves = 1
	}
	if right, sep := t.insertAt(t.root, x); right != nil {
		left := t.root
		t.root = &osNode{kids: []*osNode{left, right}, seps: []item{{}, sep}, sizes: []int{left.count(), right.count()}}
	}
	t.size++
}

func (t *ostree) insertAt(n *osNode, x item) (*osNode, item) {
	if n.leaf() {
		i := t.lowerBound(n.items, x)
		n.items = append(n.items, item{})
		copy(n.items[i+1:], n.items[i:])
		n.items[i] = x
		if len(n.items) <= osLeafMax {
			return nil, item{}
		}
		// Appends at the end (IDs, times) would leave every leaf half
		// empty with an even split; keep the left leaf full instead.
		h := len(n.items) / 2
		if i == len(n.items)-1 {
			h = len(n.items) - 1
		}
		right := &osNode{items: make([]item, len(n.items)-h, osLeafMax+1)}
		copy(right.items, n.items[h:])
		n.items = n.items[:h]
		t.leaves++
		return right, right.items[0]
	}
	i := t.childFor(n, x)
	n.sizes[i]++
	right, sep := t.insertAt(n.kids[i], x)
	if right == nil {
		return nil, item{}
	}
	n.kids = insertAt(n.kids, i+1, right)
	n.seps = insertAt(n.seps, i+1, sep)
	n.sizes[i] = n.kids[i].count()
	n.sizes = insertAt(n.sizes, i+1, right.count())
	if len(n.kids) <= osKidsMax {
		return nil, item{}
	}
	h := len(n.kids) / 2
	r := &osNode{
		kids:  append([]*osNode(nil), n.kids[h:]...),
		seps:  append([]item(nil), n.seps[h:]...),
		sizes: append([]int(nil), n.sizes[h:]...),
	}
	n.kids, n.seps, n.sizes = n.kids[:h:h], n.seps[:h:h], n.sizes[:h:h]
	return r, r.seps[0]
}

func insertAt[T any](s []T, i int, v T) []T {
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func removeAt[T any](s []T, i int) []T {
	copy(s[i:], s[i+1:])
	return s[:len(s)-1]
}

// remove deletes x (equal by less in both directions); false if absent.
func (t *ostree) remove(x item) bool {
	if t.root == nil || !t.removeAt(t.root, x) {
		return false
	}
	t.size--
	for !t.root.leaf() && len(t.root.kids) == 1 {
		t.root = t.root.kids[0]
	}
	return true
}

func (t *ostree) removeAt(n *osNode, x item) bool {
	if n.leaf() {
		i := t.lowerBound(n.items, x)
		if i == len(n.items) || t.lt(x, n.items[i]) {
			return false
		}
		n.items = removeAt(n.items, i)
		return true
	}
	i := t.childFor(n, x)
	if !t.removeAt(n.kids[i], x) {
		return false
	}
	n.sizes[i]--
	if n.sizes[i] == 0 {
		if n.kids[i].leaf() {
			t.leaves--
		}
		t.dropKid(n, i)
		return true
	}
	t.mergeThin(n, i)
	return true
}

// mergeThin merges n's child i, when it is a thin leaf, into a neighbour
// so random deletions cannot leave the tree full of nearly empty leaves.
func (t *ostree) mergeThin(n *osNode, i int) {
	if k := n.kids[i]; k.leaf() && len(k.items) < osLeafMax/4 && len(n.kids) > 1 {
		l := i
		if l == len(n.kids)-1 {
			l--
		}
		a, b := n.kids[l], n.kids[l+1]
		if len(a.items)+len(b.items) <= osLeafMax*3/4 {
			a.items = append(a.items, b.items...)
			n.sizes[l] += n.sizes[l+1]
			n.sizes[l+1] = 0
			t.dropKid(n, l+1)
			t.leaves--
		}
	}
}

// dropKid removes child i; when it was the first, the next child's
// separator becomes the unused seps[0].
func (t *ostree) dropKid(n *osNode, i int) {
	n.kids = removeAt(n.kids, i)
	n.sizes = removeAt(n.sizes, i)
	if i == 0 {
		if len(n.seps) > 1 {
			n.seps = removeAt(n.seps, 1)
		} else {
			n.seps = n.seps[:0]
		}
	} else {
		n.seps = removeAt(n.seps, i)
	}
}

// rank returns how many items sort before x.
func (t *ostree) rank(x item) int {
	r := 0
	n := t.root
	if n == nil {
		return 0
	}
	for !n.leaf() {
		i := t.childFor(n, x)
		for _, s := range n.sizes[:i] {
			r += s
		}
		n = n.kids[i]
	}
	return r + t.lowerBound(n.items, x)
}

// at returns the leaf holding rank p and p's index in it.
func (t *ostree) at(p int) (*osNode, int) {
	n := t.root
	for !n.leaf() {
		i := 0
		for i < len(n.sizes)-1 && p >= n.sizes[i] {
			p -= n.sizes[i]
			i++
		}
		n = n.kids[i]
	}
	return n, p
}

// appendRange appends the items of ranks [from, to) in order.
func (t *ostree) appendRange(out []item, from, to int) []item {
	to = min(to, t.size)
	for from < to {
		leaf, i := t.at(from)
		take := min(len(leaf.items)-i, to-from)
		out = append(out, leaf.items[i:i+take]...)
		from += take
	}
	return out
}

// itemAt returns the item of rank p.
func (t *ostree) itemAt(p int) item {
	leaf, i := t.at(p)
	return leaf.items[i]
}

// build replaces the contents with items, which must be sorted.
func (t *ostree) build(items []item) {
	t.size = len(items)
	const fill = osLeafMax * 3 / 4
	var level []*osNode
	for i := 0; i < len(items); i += fill {
		leaf := &osNode{items: make([]item, 0, osLeafMax+1)}
		leaf.items = append(leaf.items, items[i:min(i+fill, len(items))]...)
		level = append(level, leaf)
	}
	t.leaves = len(level)
	if len(level) == 0 {
		t.root = nil
		return
	}
	first := func(n *osNode) item {
		for !n.leaf() {
			n = n.kids[0]
		}
		return n.items[0]
	}
	for len(level) > 1 {
		var up []*osNode
		for i := 0; i < len(level); i += osKidsMax * 3 / 4 {
			kids := level[i:min(i+osKidsMax*3/4, len(level))]
			n := &osNode{kids: append([]*osNode(nil), kids...)}
			for _, k := range kids {
				n.seps = append(n.seps, first(k))
				n.sizes = append(n.sizes, k.count())
			}
			up = append(up, n)
		}
		level = up
	}
	t.root = level[0]
}

// removeSorted deletes the items xs, sorted by lt, in one walk down the
// tree rather than one per item, and returns how many it found: a sweep
// that takes a second's worth of spans out of the live table visits each
// node once, and the items of one leaf move once.
func (t *ostree) removeSorted(xs []item) int {
	if t.root == nil || len(xs) == 0 {
		return 0
	}
	n := t.removeSortedAt(t.root, xs)
	t.size -= n
	t.settleRoot()
	return n
}

// settleRoot shortens the tree after removals: a root with one child
// gives way to it, and one with none leaves the tree empty.
func (t *ostree) settleRoot() {
	for !t.root.leaf() && len(t.root.kids) == 1 {
		t.root = t.root.kids[0]
	}
	if !t.root.leaf() && len(t.root.kids) == 0 {
		t.root, t.leaves = nil, 0
	}
}

// removeSlots removes the items whose slots are in gone by walking every
// leaf, with no comparison and no sorted list: for a batch that is a large
// part of the tree (an idle sweep after a load) a walk through the leaves
// in memory order costs less than seeking each item. It returns how many
// it removed.
func (t *ostree) removeSlots(gone slotSet) int {
	if t.root == nil {
		return 0
	}
	n := t.removeSlotsAt(t.root, gone)
	t.size -= n
	t.settleRoot()
	return n
}

func (t *ostree) removeSlotsAt(n *osNode, gone slotSet) int {
	if n.leaf() {
		// Nothing is written before the first item to go: an item
		// rewritten in place still dirties its line, which then has to
		// go back to memory.
		items := n.items
		first := 0
		for first < len(items) && !gone.has(items[first].slot) {
			first++
		}
		if first == len(items) {
			return 0
		}
		kept := first
		for _, it := range items[first+1:] {
			items[kept] = it
			if !gone.has(it.slot) {
				kept++
			}
		}
		n.items = items[:kept]
		return len(items) - kept
	}
	if n.kids[0].leaf() {
		t.touchLeaves(n)
	}
	removed := 0
	// From the last child down, as removeSortedAt: dropping or merging
	// a child moves none of those still to visit.
	for i := len(n.kids) - 1; i >= 0; i-- {
		r := t.removeSlotsAt(n.kids[i], gone)
		if r == 0 {
			continue
		}
		removed += r
		t.shrinkKid(n, i, r)
	}
	return removed
}

// touchLeaves reads the first item of each of n's leaves before the walk
// goes through them. After an idle while the tree is out of the caches,
// and a leaf costs two misses one after the other (its node, then its
// items) before its items stream in; asked for together, the misses of
// all of n's leaves overlap. BenchmarkRemoveLeaving/walk-cold/20000
// (caches evicted first): 80-91 ns a span with this and the leaf loop
// above, against 120-132 before them; the leaf loop alone took about 12%
// off.
func (t *ostree) touchLeaves(n *osNode) {
	var v int64
	for _, leaf := range n.kids {
		if len(leaf.items) > 0 {
			v += leaf.items[0].key
		}
	}
	t.touched += v // kept, so that the compiler keeps the reads
}

// shrinkKid records that child i lost r items: it is dropped when empty,
// else merged with a neighbour when thin.
func (t *ostree) shrinkKid(n *osNode, i, r int) {
	n.sizes[i] -= r
	if n.sizes[i] == 0 {
		if n.kids[i].leaf() {
			t.leaves--
		}
		t.dropKid(n, i)
		return
	}
	t.mergeThin(n, i)
}

func (t *ostree) removeSortedAt(n *osNode, xs []item) int {
	if n.leaf() {
		// Each of xs is sought from where the last was found (a leaf
		// holds up to osLeafMax items and a sweep takes a few from
		// each): comparing every item with xs cost a sweep after a load
		// ~50 comparisons per span leaving.
		items := n.items
		w, r := 0, 0 // items[:w] kept; items[r:] still to look at
		for _, x := range xs {
			k := t.seek(items, r, x)
			if k == len(items) {
				break // xs after x sort after x too
			}
			if t.lt(x, items[k]) {
				continue // not in this leaf
			}
			if w != r {
				copy(items[w:], items[r:k])
			}
			w += k - r
			r = k + 1
		}
		if r == w {
			return 0 // none found
		}
		w += copy(items[w:], items[r:])
		n.items = items[:w]
		return len(items) - w
	}
	removed := 0
	// From the last item down: the child holding it takes every item of
	// xs from its separator on; the kids after it are done, so dropping
	// or merging them does not move the ones still to visit. Both the
	// child and where its items start in xs are sought backwards from
	// the last ones found: a sweep's items are spread over the children.
	top := len(n.kids) - 1
	for len(xs) > 0 {
		i := t.childBack(n, xs[len(xs)-1], top)
		p := 0
		if i > 0 {
			p = t.seekBack(xs, n.seps[i])
		}
		r := t.removeSortedAt(n.kids[i], xs[p:])
		xs = xs[:p]
		removed += r
		t.shrinkKid(n, i, r)
		top = min(i, len(n.kids)-1)
	}
	return removed
}
