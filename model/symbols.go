package model

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Sym is an interned string: span names, service names, attribute keys and
// short attribute values are stored once and referred to by a 4-byte handle.
// Sym 0 is the empty string.
type Sym uint32

// Symbols is the intern table. It is safe for concurrent use: ingest interns
// while decoding on many goroutines, the writer and the UI resolve handles.
//
// The table is bounded by count (maxSymbols) and accounted in bytes; the
// model reclaims strings nothing stored refers to (see Model.collectStrings),
// and their handles are reused. A handle may still be held outside the
// store — by a batch being decoded or queued, or by an AttrWriter's cache —
// so a string is freed only when it was not looked up since the collection
// before (its stamp is older than the epoch the model opened then), and
// writers drop their caches when the epoch changes.
type Symbols struct {
	mu    sync.RWMutex
	ids   map[string]Sym
	strs  []string
	free  []Sym // handles of reclaimed strings, reused first
	bytes int64 // accounted size of the strings and the map

	// epoch advances at each collection; stamps holds, per handle, the
	// epoch in which it was last interned or looked up.
	epoch  atomic.Uint32
	stamps [maxSymbols/stampPage + 1]atomic.Pointer[[stampPage]atomic.Uint32]

	// full is set by the model while it is over its budget: new strings
	// other than a few short ones are then not added (the request will
	// most likely be refused) but folded into the overflow symbol, so
	// refused requests cannot grow the table. The short ones let the names
	// of a request decoded just before the budget recovers come through.
	full          atomic.Bool
	addedWhenFull int

	// maxLen caps a string's bytes at ingest; truncated counts the cuts.
	maxLen    atomic.Int64
	truncated atomic.Int64
}

// maxSymbols bounds the intern table. Keys and names are always interned;
// attribute values only while the table has room (tryIntern), so a stream of
// unique values can never grow it without bound.
const maxSymbols = 1 << 18

// maxValueSymbols is the share of the table attribute values may fill.
const maxValueSymbols = maxSymbols - maxSymbols/4

// symOverhead is what one entry costs besides its bytes: the map slot, the
// string header in strs and the stamp.
const symOverhead = 100

const stampPage = 4096

// DefaultMaxString is the longest name or value kept whole (--max-string).
const DefaultMaxString = 4 << 10

// NewSymbols returns a table holding only the empty string.
func NewSymbols() *Symbols {
	s := &Symbols{ids: map[string]Sym{"": 0}, strs: []string{""}}
	s.maxLen.Store(DefaultMaxString)
	s.epoch.Store(1)
	return s
}

// setMaxString sets the longest string kept whole; longer ones are cut
// (see Clip). n <= 0 restores DefaultMaxString.
func (s *Symbols) setMaxString(n int) {
	if n <= 0 {
		n = DefaultMaxString
	}
	s.maxLen.Store(int64(n))
}

// Truncated returns how many strings were cut at ingest.
func (s *Symbols) Truncated() int64 { return s.truncated.Load() }

// truncMark ends a cut string, followed by the bytes cut off.
const truncMark = "…[truncated "

// Clip returns b cut to the table's maximum length at a UTF-8 boundary and
// marked with how much was cut (…[truncated N bytes]); short strings come
// back as they are. Every cut is counted.
func (s *Symbols) Clip(b []byte) []byte {
	if s == nil {
		return b
	}
	limit := int(s.maxLen.Load())
	if len(b) <= limit {
		return b
	}
	s.truncated.Add(1)
	cut := limit
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	out := make([]byte, 0, cut+len(truncMark)+24)
	out = append(out, b[:cut]...)
	out = append(out, truncMark...)
	out = strconv.AppendInt(out, int64(len(b)-cut), 10)
	return append(out, " bytes]"...)
}

// ClipString is Clip for a string.
func (s *Symbols) ClipString(str string) string {
	if s == nil {
		return str
	}
	if int64(len(str)) <= s.maxLen.Load() {
		return str
	}
	return string(s.Clip([]byte(str)))
}

// isTruncated reports whether a stored string was cut at ingest.
func isTruncated(str string) bool {
	return strings.HasSuffix(str, " bytes]") && strings.Contains(str, truncMark)
}

// touch stamps a handle with the current epoch; the store is skipped when
// the stamp is current, so repeated lookups only read the shared line.
func (s *Symbols) touch(id Sym) {
	p := s.stamps[id/stampPage].Load()
	if p == nil {
		return
	}
	e := s.epoch.Load()
	if st := &p[id%stampPage]; st.Load() != e {
		st.Store(e)
	}
}

// Intern returns the handle for b, adding it when new. Lookups of known
// strings do not allocate. Over-long strings are cut first (Clip).
func (s *Symbols) Intern(b []byte) Sym {
	if len(b) == 0 {
		return 0
	}
	b = s.Clip(b)
	s.mu.RLock()
	id, ok := s.ids[string(b)]
	s.mu.RUnlock()
	if ok {
		s.touch(id)
		return id
	}
	return s.add(string(b), maxSymbols)
}

// InternString is Intern for a string.
func (s *Symbols) InternString(str string) Sym {
	if str == "" {
		return 0
	}
	str = s.ClipString(str)
	s.mu.RLock()
	id, ok := s.ids[str]
	s.mu.RUnlock()
	if ok {
		s.touch(id)
		return id
	}
	return s.add(str, maxSymbols)
}

// tryIntern interns b if it is known or the table still has room for values;
// ok is false when the caller should store the bytes inline instead.
func (s *Symbols) tryIntern(b []byte) (Sym, bool) {
	if len(b) == 0 {
		return 0, true
	}
	s.mu.RLock()
	id, ok := s.ids[string(b)]
	full := len(s.ids) >= maxValueSymbols
	s.mu.RUnlock()
	if ok {
		s.touch(id)
		return id, true
	}
	if full {
		return 0, false
	}
	id = s.add(string(b), maxValueSymbols)
	return id, id != 0
}

func (s *Symbols) add(str string, limit int) Sym {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.ids[str]; ok {
		s.touch(id)
		return id
	}
	if len(s.ids) >= limit || s.gated(str) {
		if limit == maxSymbols {
			// The table is full even for names: fold the newcomer into one
			// shared overflow symbol rather than grow without bound.
			return s.overflowLocked()
		}
		return 0
	}
	return s.insertLocked(clone(str))
}

// Strings added while the model is over budget: at most fullAdds, each at
// most fullLen bytes.
const (
	fullAdds = 4096
	fullLen  = 64
)

// gated says a new string may not be added now. The caller holds mu.
func (s *Symbols) gated(str string) bool {
	if !s.full.Load() {
		return false
	}
	if len(str) > fullLen || s.addedWhenFull >= fullAdds {
		return true
	}
	s.addedWhenFull++
	return false
}

// setFull opens or closes the gate (see full).
func (s *Symbols) setFull(full bool) {
	if s.full.Swap(full) != full && !full {
		s.mu.Lock()
		s.addedWhenFull = 0
		s.mu.Unlock()
	}
}

func (s *Symbols) insertLocked(str string) Sym {
	var id Sym
	if n := len(s.free); n > 0 {
		id = s.free[n-1]
		s.free = s.free[:n-1]
		s.strs[id] = str
	} else {
		id = Sym(len(s.strs))
		s.strs = append(s.strs, str)
		if s.stamps[id/stampPage].Load() == nil {
			s.stamps[id/stampPage].Store(new([stampPage]atomic.Uint32))
		}
	}
	s.ids[str] = id
	s.bytes += int64(len(str)) + symOverhead
	s.stamps[id/stampPage].Load()[id%stampPage].Store(s.epoch.Load())
	return id
}

const overflowName = "…(too many names)"

func (s *Symbols) overflowLocked() Sym {
	if id, ok := s.ids[overflowName]; ok {
		s.touch(id)
		return id
	}
	return s.insertLocked(overflowName)
}

func clone(s string) string { return string(append([]byte(nil), s...)) }

// String resolves a handle. An unknown handle resolves to "".
func (s *Symbols) String(id Sym) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if int(id) < len(s.strs) {
		return s.strs[id]
	}
	return ""
}

// snapshot returns the strings interned so far, for the writer's index,
// which reads it under the model's lock. Live handles keep their strings.
func (s *Symbols) snapshot() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.strs[:len(s.strs):len(s.strs)]
}

// Len returns the number of interned strings.
func (s *Symbols) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.ids)
}

// Bytes returns the accounted memory of the table.
func (s *Symbols) Bytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bytes
}

// epochNow returns the current collection epoch; AttrWriters drop their
// caches when it changes.
func (s *Symbols) epochNow() uint32 { return s.epoch.Load() }

// openEpoch starts a new epoch and returns it: handles looked up from now
// on are stamped with it and survive the next sweep.
func (s *Symbols) openEpoch() uint32 { return s.epoch.Add(1) }

// sweep frees every handle that live does not mark and that was not looked
// up since epoch began; it returns the bytes freed. The caller (the model's
// writer) holds the model's write lock, so no reader resolves a freed handle.
func (s *Symbols) sweep(live []uint64, since uint32) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var freed int64
	// Handles added since the mark (beyond live) are new: they stay.
	for id := 1; id < min(len(s.strs), len(live)*64); id++ {
		if live[id/64]&(1<<(id%64)) != 0 {
			continue
		}
		str := s.strs[id]
		if str == "" && s.ids[str] != Sym(id) {
			continue // already free
		}
		if st := s.stamps[id/stampPage].Load()[id%stampPage].Load(); st >= since {
			continue
		}
		delete(s.ids, str)
		s.strs[id] = ""
		s.free = append(s.free, Sym(id))
		n := int64(len(str)) + symOverhead
		s.bytes -= n
		freed += n
	}
	if freed > 0 {
	}
	return freed
}

// rankOf returns the alphabetical rank among themselves of the handles
// each reports, indexed by Sym (other entries are 0). Only the strings in
// use are sorted: a column holds few distinct names, the table may hold
// hundreds of thousands of strings and change with every batch.
func (s *Symbols) rankOf(each func(mark func(Sym))) []uint32 {
	s.mu.RLock()
	n := len(s.strs)
	s.mu.RUnlock()
	seen := make([]uint64, n/64+1)
	var used []Sym
	each(func(id Sym) {
		if int(id) < n && seen[id/64]&(1<<(id%64)) == 0 {
			seen[id/64] |= 1 << (id % 64)
			used = append(used, id)
		}
	})
	strs := make([]string, len(used))
	s.mu.RLock()
	for i, id := range used {
		strs[i] = s.strs[id]
	}
	s.mu.RUnlock()
	order := make([]int, len(used))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return strs[order[a]] < strs[order[b]] })
	rank := make([]uint32, n)
	for pos, i := range order {
		rank[used[i]] = uint32(pos)
	}
	return rank
}
