package agentlib

import (
	"context"
	"runtime/trace"
	"strconv"
	"sync"
)

// Goroutine names must reach spantop whenever a trace session starts: a
// worker started by Go at init runs long before spantop is reached (or
// before it restarts), and a name logged only while tracing would be
// lost. So Go registers each named goroutine under its runtime ID for as
// long as it runs, and every new session begins by logging the registry
// (spantop.goroutine.names, "<goid> <name>" lines) from the goroutine that
// started the trace.

// logNames is the category of the registry's logs.
const logNames = "spantop.goroutine.names"

// namesLogMax bounds one spantop.goroutine.names message; a longer
// registry is logged in several.
const namesLogMax = 2048

const nameShards = 16

// nameRegistry holds the named goroutines alive, by goroutine ID.
type nameRegistry struct {
	shards [nameShards]struct {
		mu sync.Mutex
		m  map[int64]string
		_  [40]byte
	}
}

var names nameRegistry

func (r *nameRegistry) add(id int64, name string) {
	sh := &r.shards[uint64(id)%nameShards]
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[int64]string)
	}
	sh.m[id] = name
	sh.mu.Unlock()
}

func (r *nameRegistry) remove(id int64) {
	sh := &r.shards[uint64(id)%nameShards]
	sh.mu.Lock()
	delete(sh.m, id)
	sh.mu.Unlock()
}

// logAll logs every registered name into the running trace. Call it after
// trace.Start: a goroutine registering after its shard was read sees the
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
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for id, name := range sh.m {
			if len(buf)+len(name)+24 > namesLogMax {
				flush()
			}
			buf = strconv.AppendInt(buf, id, 10)
			buf = append(buf, ' ')
			buf = append(buf, name...)
			buf = append(buf, '\n')
		}
		sh.mu.Unlock()
	}
	flush()
}
