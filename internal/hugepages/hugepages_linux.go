package hugepages

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// regrowth is how much the runtime's memory must grow before the maps
// are read again: one huge page.
const regrowth = 2 << 20

var (
	once    sync.Once
	advised uint64 // the runtime's memory when the heap was last advised
	sample  = []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
)

func start() {
	once.Do(func() {
		if !wanted() {
			return
		}
		adviseIfGrown()
		watch()
	})
}

// wanted reports whether the system gives huge pages on request only and
// the process has not turned them off.
func wanted() bool {
	if strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return false
	}
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && bytes.Contains(b, []byte("[madvise]"))
}

// sentinel is garbage the moment it is made; its cleanup runs after the
// next garbage collection, advises the heap if it grew and makes the next
// sentinel. The collections the heap's growth causes are the wake-ups
// this rides on: it never wakes the process itself.
type sentinel struct{ _ [64]byte }

func watch() {
	runtime.AddCleanup(new(sentinel), func(struct{}) {
		adviseIfGrown()
		watch()
	}, struct{}{})
}

func adviseIfGrown() {
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	total := sample[0].Value.Uint64()
	if total < advised+regrowth && advised != 0 {
		return
	}
	advised = total
	adviseHeap()
}

// heapAddress is the address of an object on the heap: the heap's
// mappings are the anonymous ones around it. (Too large for a stack, it
// is on the heap wherever it escapes to.)
//
//go:noinline
func heapAddress() uintptr {
	b := make([]byte, 128<<10)
	return uintptr(unsafe.Pointer(&b[0]))
}

// adviseHeap asks for huge pages on every writable anonymous mapping of
// the run of adjacent anonymous mappings that holds the heap (the runtime
// reserves its arenas in one range and maps them in as the heap grows).
func adviseHeap() {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	at := heapAddress()
	var run []mapping // the current run of adjacent anonymous mappings
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m, ok := parseMapping(sc.Text())
		if !ok || !m.anon || (len(run) > 0 && run[len(run)-1].end != m.start) {
			if found {
				break
			}
			run = run[:0]
			if !ok || !m.anon {
				continue
			}
		}
		run = append(run, m)
		if m.start <= at && at < m.end {
			found = true
		}
	}
	if !found {
		return
	}
	for _, m := range run {
		if m.writable {
			madviseHuge(m.start, m.end-m.start)
		}
	}
}

type mapping struct {
	start, end uintptr
	writable   bool
	anon       bool // no file, and not [stack], [heap] (the C heap) or the like
}

// parseMapping reads a line of /proc/self/maps:
// "start-end perms offset dev inode [path]".
func parseMapping(line string) (mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return mapping{}, false
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || end <= start {
		return mapping{}, false
	}
	return mapping{
		start:    uintptr(start),
		end:      uintptr(end),
		writable: strings.HasPrefix(f[1], "rw"),
		anon:     f[4] == "0" && (len(f) == 5 || strings.HasPrefix(f[5], "[anon:")),
	}, true
}

func madviseHuge(start, n uintptr) {
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, n, syscall.MADV_HUGEPAGE) // a hint: refused, the pages stay small
}
