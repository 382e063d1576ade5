package gotrace

import (
	"path"
	"strconv"
	"strings"

	"github.com/spantop/spantop/model"
)

// maxFrames bounds the frames kept of a stack.
const maxFrames = 32

// kindOfReason maps the runtime's block reason (runtime traceBlockReason
// strings) to a wait kind. ok is false when the reason does not say enough
// and the stack has to.
func kindOfReason(reason string) (k model.WaitKind, ok bool) {
	switch reason {
	case "chan send":
		return model.WaitChanSend, true
	case "chan receive":
		return model.WaitChanRecv, true
	case "select":
		return model.WaitSelect, true
	case "sleep":
		return model.WaitSleep, true
	case "network":
		return model.WaitNetwork, true
	case "sync.(*Cond).Wait":
		return model.WaitCond, true
	case "syscall":
		return model.WaitSyscall, true
	case "GC mark assist wait for work", "GC background sweeper wait", "system goroutine wait",
		"wait until GC ends", "GC weak to strong wait":
		return model.WaitGC, true
	}
	// "sync" (a semaphore: mutex, rwmutex, waitgroup…), "unspecified",
	// "forever", "synctest", "wait for debug call", and the empty reason of
	// a goroutine first seen already blocked.
	return model.WaitOther, false
}

// kindOfFunc recognises the blocking primitive a stack frame belongs to.
func kindOfFunc(fn string) (model.WaitKind, bool) {
	switch fn {
	case "sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow":
		return model.WaitMutex, true
	case "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock":
		return model.WaitRWMutex, true
	case "sync.(*WaitGroup).Wait":
		return model.WaitWaitGroup, true
	case "sync.(*Cond).Wait":
		return model.WaitCond, true
	case "runtime.chansend", "runtime.chansend1":
		return model.WaitChanSend, true
	case "runtime.chanrecv", "runtime.chanrecv1", "runtime.chanrecv2":
		return model.WaitChanRecv, true
	case "runtime.selectgo", "runtime.block":
		return model.WaitSelect, true
	case "time.Sleep":
		return model.WaitSleep, true
	case "internal/poll.runtime_pollWait", "runtime.netpollblock":
		return model.WaitNetwork, true
	case "runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.forcegchelper",
		"runtime.runfinq", "runtime.runCleanups", "runtime.gcParkAssist", "runtime.traceStartReadCPU",
		"runtime.(*wakeableSleep).sleep", "runtime.unique_runtime_registerUniqueMapCleanup.func1":
		return model.WaitGC, true
	}
	return model.WaitOther, false
}

// isMachinery reports whether a frame belongs to the blocking machinery
// rather than to the code that blocks: the runtime, internal and sync
// packages, and the wrappers every sleep, file, network or errgroup wait
// goes through (time, os, net, io, bufio, crypto/tls, x/sync, agentlib).
// Without them every network read would have the same call site.
func isMachinery(fn string) bool {
	pkg := funcPackage(fn)
	switch {
	case pkg == "runtime", strings.HasPrefix(pkg, "runtime/"),
		pkg == "internal", strings.HasPrefix(pkg, "internal/"),
		pkg == "sync", strings.HasPrefix(pkg, "sync/"),
		pkg == "time", pkg == "syscall", pkg == "os", pkg == "net", pkg == "iter",
		pkg == "io", pkg == "bufio", pkg == "crypto/tls",
		strings.HasPrefix(pkg, "golang.org/x/sys/"), strings.HasPrefix(pkg, "golang.org/x/sync/"),
		pkg == "github.com/spantop/spantop/agentlib":
		return true
	}
	return false
}

// funcPackage returns the package path of a qualified function name such
// as "github.com/a/b.(*T).M" or "net/http.(*conn).serve".
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// stackInfo is what the reader needs of one stack.
type stackInfo struct {
	frames []model.Frame
	// kind is the blocking primitive the stack shows, if any.
	kind    model.WaitKind
	hasKind bool
	// site is the call site that blocks: the first frame outside the
	// blocking machinery, "pkg.Func file:line"; empty when there is none.
	site string
	// outer is the outermost function: where the goroutine started.
	outer string
	// res is the resource last found for a block of kind resKind here,
	// saving a map lookup on the hot path; stackInfos live one generation.
	res     *resource
	resKind model.WaitKind
}

func newStackInfo(frames []model.Frame) *stackInfo {
	si := &stackInfo{frames: frames}
	for _, f := range frames {
		// The innermost primitive wins, except that an RWMutex blocks
		// inside the Mutex it embeds.
		if k, ok := kindOfFunc(f.Func); ok && (!si.hasKind || si.kind == model.WaitMutex && k == model.WaitRWMutex) {
			si.kind, si.hasKind = k, true
		}
		if si.site == "" && f.Func != "" && !isMachinery(f.Func) {
			si.site = f.Func + " " + path.Base(f.File) + ":" + strconv.Itoa(f.Line)
		}
	}
	for i := len(frames) - 1; i >= 0; i-- {
		if fn := frames[i].Func; fn != "runtime.goexit" && fn != "" {
			si.outer = fn
			break
		}
	}
	return si
}

// classify says what a goroutine blocked with this reason and stack waits on.
func classify(reason string, si *stackInfo) model.WaitKind {
	k, ok := kindOfReason(reason)
	if ok {
		return k
	}
	if si != nil && si.hasKind {
		return si.kind
	}
	return model.WaitOther
}
