package model

import (
	"sort"
	"sync"
)

// Sym is an interned string: span names, service names, attribute keys and
// short attribute values are stored once and referred to by a 4-byte handle.
// Sym 0 is the empty string.
type Sym uint32

// Symbols is the intern table. It is safe for concurrent use: ingest interns
// while decoding on many goroutines, the writer and the UI resolve handles.
// Strings are never removed, so the table is bounded by MaxSymbols; callers
// that may see unbounded cardinality (attribute values) use TryIntern.
type Symbols struct {
	mu    sync.RWMutex
	ids   map[string]Sym
	strs  []string
	bytes int64 // accounted size of the strings and the map

	rankMu      sync.Mutex
	rank        []uint32 // alphabetical rank of each Sym; rebuilt when the table grew
	rankedCount int
}

// MaxSymbols bounds the intern table. Keys and names are always interned;
// attribute values only while the table has room (TryIntern), so a stream of
// unique values can never grow it without bound.
const MaxSymbols = 1 << 18

// maxValueSymbols is the share of the table attribute values may fill.
const maxValueSymbols = MaxSymbols - MaxSymbols/4

// symOverhead is what one entry costs besides its bytes: the map slot, the
// string header in strs and the rank slot.
const symOverhead = 96

// NewSymbols returns a table holding only the empty string.
func NewSymbols() *Symbols {
	return &Symbols{ids: map[string]Sym{"": 0}, strs: []string{""}}
}

// Intern returns the handle for b, adding it when new. Lookups of known
// strings do not allocate.
func (s *Symbols) Intern(b []byte) Sym {
	if len(b) == 0 {
		return 0
	}
	s.mu.RLock()
	id, ok := s.ids[string(b)]
	s.mu.RUnlock()
	if ok {
		return id
	}
	return s.add(string(b), MaxSymbols)
}

// InternString is Intern for a string.
func (s *Symbols) InternString(str string) Sym {
	if str == "" {
		return 0
	}
	s.mu.RLock()
	id, ok := s.ids[str]
	s.mu.RUnlock()
	if ok {
		return id
	}
	return s.add(str, MaxSymbols)
}

// TryIntern interns b if it is known or the table still has room for values;
// ok is false when the caller should store the bytes inline instead.
func (s *Symbols) TryIntern(b []byte) (Sym, bool) {
	if len(b) == 0 {
		return 0, true
	}
	s.mu.RLock()
	id, ok := s.ids[string(b)]
	full := len(s.strs) >= maxValueSymbols
	s.mu.RUnlock()
	if ok {
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
		return id
	}
	if len(s.strs) >= limit {
		if limit == MaxSymbols {
			// The table is full even for names: fold the newcomer into one
			// shared overflow symbol rather than grow without bound.
			return s.overflowLocked()
		}
		return 0
	}
	str = clone(str)
	id := Sym(len(s.strs))
	s.ids[str] = id
	s.strs = append(s.strs, str)
	s.bytes += int64(len(str)) + symOverhead
	return id
}

const overflowName = "…(too many names)"

func (s *Symbols) overflowLocked() Sym {
	if id, ok := s.ids[overflowName]; ok {
		return id
	}
	id := Sym(len(s.strs))
	s.ids[overflowName] = id
	s.strs = append(s.strs, overflowName)
	return id
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

// snapshot returns the strings interned so far. The slice is never written
// below its length, so it may be read without the lock.
func (s *Symbols) snapshot() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.strs[:len(s.strs):len(s.strs)]
}

// Len returns the number of interned strings.
func (s *Symbols) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.strs)
}

// Bytes returns the accounted memory of the table.
func (s *Symbols) Bytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bytes
}

// Ranks returns each Sym's position in alphabetical order, so string columns
// sort by a small integer. It is rebuilt only when the table has grown.
func (s *Symbols) Ranks() []uint32 {
	s.rankMu.Lock()
	defer s.rankMu.Unlock()
	s.mu.RLock()
	n := len(s.strs)
	if n == s.rankedCount {
		s.mu.RUnlock()
		return s.rank
	}
	strs := s.strs[:n:n]
	s.mu.RUnlock()
	order := make([]uint32, n)
	for i := range order {
		order[i] = uint32(i)
	}
	sort.Slice(order, func(a, b int) bool { return strs[order[a]] < strs[order[b]] })
	rank := make([]uint32, n)
	for pos, id := range order {
		rank[id] = uint32(pos)
	}
	s.rank, s.rankedCount = rank, n
	return rank
}
