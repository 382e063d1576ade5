package model

// spanIndex maps a span's wire key to its slot. It is an open-addressing
// table with linear probing over two flat arrays: a lookup is usually one
// cache miss, where a Go map of this size costs several, and it shrinks
// when spans go, which Go maps never do. Equal hashes are allowed: each
// candidate slot is checked against the stored key.
type spanIndex struct {
	hashes []uint64 // 0 marks an empty cell
	slots  []uint32
	n      int
}

const spanIndexMin = 1024

func (x *spanIndex) mask() uint64 { return uint64(len(x.hashes) - 1) }

func nonzero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// find returns the slot for which match(slot) holds among cells of hash h.
func (x *spanIndex) find(h uint64, match func(uint32) bool) (uint32, bool) {
	if x.n == 0 {
		return 0, false
	}
	h = nonzero(h)
	m := x.mask()
	for i := h & m; ; i = (i + 1) & m {
		switch x.hashes[i] {
		case 0:
			return 0, false
		case h:
			if match(x.slots[i]) {
				return x.slots[i], true
			}
		}
	}
}

func (x *spanIndex) insert(h uint64, slot uint32) {
	if (x.n+1)*10 > len(x.hashes)*7 {
		x.resize(max(2*len(x.hashes), spanIndexMin))
	}
	x.place(nonzero(h), slot)
	x.n++
}

func (x *spanIndex) place(h uint64, slot uint32) {
	m := x.mask()
	i := h & m
	for x.hashes[i] != 0 {
		i = (i + 1) & m
	}
	x.hashes[i], x.slots[i] = h, slot
}

// remove deletes the cell of (h, slot), shifting later cells of the probe
// run back so that no tombstones are needed.
func (x *spanIndex) remove(h uint64, slot uint32) {
	h = nonzero(h)
	m := x.mask()
	i := h & m
	for x.hashes[i] != h || x.slots[i] != slot {
		if x.hashes[i] == 0 {
			return
		}
		i = (i + 1) & m
	}
	for j := (i + 1) & m; x.hashes[j] != 0; j = (j + 1) & m {
		home := x.hashes[j] & m
		// The cell at j may move to i unless its home lies cyclically in (i, j].
		if (i < j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		x.hashes[i], x.slots[i] = x.hashes[j], x.slots[j]
		i = j
	}
	x.hashes[i] = 0
	x.n--
	if len(x.hashes) > spanIndexMin && x.n*8 < len(x.hashes) {
		x.resize(len(x.hashes) / 2)
	}
}

func (x *spanIndex) resize(size int) {
	oldH, oldS := x.hashes, x.slots
	x.hashes, x.slots = make([]uint64, size), make([]uint32, size)
	for i, h := range oldH {
		if h != 0 {
			x.place(h, oldS[i])
		}
	}
}

// growCost is what the next insert adds to bytes() when it makes the table grow.
func (x *spanIndex) growCost() int64 {
	if (x.n+1)*10 > len(x.hashes)*7 {
		return int64(max(2*len(x.hashes), spanIndexMin))*12 - x.bytes()
	}
	return 0
}

// bytes is the memory of the table.
func (x *spanIndex) bytes() int64 { return int64(len(x.hashes)) * 12 }
