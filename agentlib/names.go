package agentlib

import (
	"context"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Goroutine names must reach spantop whenever a trace session starts: a
// worker started by Go at init runs long before spantop is reached (or
// before it restarts), and a name logged only while tracing would be
// lost. So Go registers each named goroutine under its runtime ID for as
// long as it runs, and every new session begins by logging the registry
// (spantop.goroutine.names, "<goid> <name>" lines) from the goroutine that
// started the trace.
//
// Registering is on the path of every goroutine Go starts, so it must
// cost about nothing: no lock, no allocation, and no cache line shared
// with other processors. A goroutine takes a slot of a table indexed by
// its ID. The runtime hands out IDs to each processor in runs of 16, so
// goroutines started near each other on one processor use neighbouring
// slots on lines that processor already holds. A slot held by a
// long-running goroutine sends the few that collide with it to a
// mutex-guarded map.

// logNames is the category of the registry's logs.
const logNames = "spantop.goroutine.names"

// namesLogMax bounds one spantop.goroutine.names message; a longer
// registry is logged in several.
const namesLogMax = 2048

// nameSlots is the table's size (32 KiB), nameProbe how many slots from
// its own a goroutine tries before it goes to the map.
const (
	nameSlots = 1024
	nameProbe = 4
)

// nameSlot holds one named goroutine. id is 0 when the slot is free and
// -1 while it is being filled; the name's bytes and length are set before
// id, and id is cleared first when the goroutine ends, so a reader that
// sees the same id before and after reading the name read that
// goroutine's name (IDs are never reused).
type nameSlot struct {
	id   atomic.Int64
	data atomic.Pointer[byte]
	size atomic.Int64
	_    [8]byte // two slots to a cache line
}

// nameRegistry holds the named goroutines alive, by goroutine ID.
type nameRegistry struct {
	slots    [nameSlots]nameSlot
	mu       sync.Mutex
	overflow map[int64]string
}

var names nameRegistry

// inOverflow is what add returns for a goroutine registered in the map.
const inOverflow = -1

// add registers id under name and returns where, for remove.
func (r *nameRegistry) add(id int64, name string) int {
	for i := range nameProbe {
		at := int((uint64(id) + uint64(i)) % nameSlots)
		s := &r.slots[at]
		if s.id.Load() == 0 && s.id.CompareAndSwap(0, -1) {
			s.data.Store(unsafe.StringData(name))
			s.size.Store(int64(len(name)))
			s.id.Store(id)
			return at
		}
	}
	r.mu.Lock()
	if r.overflow == nil {
		r.overflow = make(map[int64]string)
	}
	r.overflow[id] = name
	r.mu.Unlock()
	return inOverflow
}

// remove unregisters id, which add placed at at.
func (r *nameRegistry) remove(id int64, at int) {
	if at == inOverflow {
		r.mu.Lock()
		delete(r.overflow, id)
		r.mu.Unlock()
		return
	}
	s := &r.slots[at]
	s.id.Store(0)
	s.data.Store(nil) // not to keep a built name alive
}

// each calls fn with every registered goroutine. One that registers or
// ends meanwhile may be seen or not; every other one is seen once.
func (r *nameRegistry) each(fn func(id int64, name string)) {
	for i := range r.slots {
		s := &r.slots[i]
		id := s.id.Load()
		if id <= 0 {
			continue
		}
		data, size := s.data.Load(), s.size.Load()
		if s.id.Load() != id {
			continue // it ended, and the slot may hold another's name
		}
		fn(id, unsafe.String(data, size))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, name := range r.overflow {
		fn(id, name)
	}
}

// logAll logs every registered name into the running trace. Call it after
// trace.Start: a goroutine registering after its slot was read sees the
// trace on and logs its own name.
func (r *nameRegistry) logAll() {
	if !trace.IsEnabled() {
		return
	}
	var buf []byte
	flush := func() {
		if len(buf) > 0 {
			trace.Log(context.Background(), logNames, string(buf))
			buf = buf[:0]
		}
	}
	r.each(func(id int64, name string) {
		if len(buf)+len(name)+24 > namesLogMax {
			flush()
		}
		buf = strconv.AppendInt(buf, id, 10)
		buf = append(buf, ' ')
		buf = append(buf, name...)
		buf = append(buf, '\n')
	})
	flush()
}
