package gotrace

import (
	"testing"

	"github.com/spantop/spantop/model"
)

func TestFuncPackage(t *testing.T) {
	for fn, want := range map[string]string{
		"runtime.gopark":                           "runtime",
		"sync.(*Mutex).Lock":                       "sync",
		"internal/sync.(*Mutex).lockSlow":          "internal/sync",
		"net/http.(*conn).serve":                   "net/http",
		"github.com/a/b.(*T).M.func1":              "github.com/a/b",
		"github.com/a/b.v2/c.F":                    "github.com/a/b.v2/c",
		"main.main":                                "main",
		"golang.org/x/sync/errgroup.(*Group).Wait": "golang.org/x/sync/errgroup",
		"noDot": "noDot",
	} {
		if got := funcPackage(fn); got != want {
			t.Errorf("funcPackage(%q) = %q, want %q", fn, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	frames := func(fns ...string) *stackInfo {
		var fs []model.Frame
		for i, fn := range fns {
			fs = append(fs, model.Frame{Func: fn, File: "/src/x/file.go", Line: 10 + i})
		}
		return newStackInfo(fs)
	}
	cases := []struct {
		reason string
		stack  *stackInfo
		kind   model.WaitKind
		site   string
	}{
		{"sync", frames("runtime.gopark", "runtime.semacquire1", "internal/sync.runtime_SemacquireMutex", "internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "main.worker"), model.WaitMutex, "main.worker file.go:16"},
		// An RWMutex writer first waits on the Mutex inside it.
		{"sync", frames("runtime.gopark", "sync.runtime_SemacquireRWMutex", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "sync.(*RWMutex).Lock", "main.write"), model.WaitRWMutex, "main.write file.go:15"},
		{"sync", frames("runtime.gopark", "sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "golang.org/x/sync/errgroup.(*Group).Wait", "main.run"), model.WaitWaitGroup, "main.run file.go:14"},
		{"sync.(*Cond).Wait", frames("runtime.gopark", "sync.runtime_notifyListWait", "sync.(*Cond).Wait", "main.consume"), model.WaitCond, "main.consume file.go:13"},
		{"chan send", frames("runtime.gopark", "runtime.chansend", "runtime.chansend1", "main.produce"), model.WaitChanSend, "main.produce file.go:13"},
		{"chan receive", frames("runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1", "main.consume"), model.WaitChanRecv, "main.consume file.go:13"},
		{"select", frames("runtime.gopark", "runtime.selectgo", "main.loop"), model.WaitSelect, "main.loop file.go:12"},
		{"sleep", frames("time.Sleep", "main.tick"), model.WaitSleep, "main.tick file.go:11"},
		{"network", frames("runtime.gopark", "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait", "internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "bufio.(*Reader).fill", "net/http.(*connReader).backgroundRead"), model.WaitNetwork, "net/http.(*connReader).backgroundRead file.go:17"},
		{"system goroutine wait", frames("runtime.gopark", "runtime.bgsweep"), model.WaitGC, ""},
		// A goroutine first seen blocked has no reason: the stack says.
		{"", frames("runtime.gopark", "runtime.chanrecv", "runtime.chanrecv2", "main.drain"), model.WaitChanRecv, "main.drain file.go:13"},
		{"", frames("runtime.gopark", "runtime.bgscavenge"), model.WaitGC, ""},
		{"forever", frames("runtime.gopark", "runtime.block", "main.main"), model.WaitSelect, "main.main file.go:12"},
		{"unspecified", nil, model.WaitOther, ""},
	}
	for _, c := range cases {
		if got := classify(c.reason, c.stack); got != c.kind {
			t.Errorf("%q %v: kind %v, want %v", c.reason, c.stack, got, c.kind)
		}
		if c.stack != nil && c.stack.site != c.site {
			t.Errorf("%q: site %q, want %q", c.reason, c.stack.site, c.site)
		}
	}
}

func TestParseHeaderAndBatches(t *testing.T) {
	for h, want := range map[string]int{
		"go 1.26 trace\x00\x00\x00": 26,
		"go 1.22 trace\x00\x00\x00": 22,
		"go 1.21 trace\x00\x00\x00": -1,
		"go 1.27 trace\x00\x00\x00": -1,
		"go 1.2x trace\x00\x00\x00": -1,
		"go 1.26 trace\x00\x00":     -1,
		"GO 1.26 trace\x00\x00\x00": -1,
	} {
		v, err := parseHeader([]byte(h))
		if want < 0 && err == nil || want >= 0 && (err != nil || v != want) {
			t.Errorf("parseHeader(%q) = %d, %v", h, v, err)
		}
	}
	for _, c := range []struct {
		data []byte
		ok   bool
	}{
		{[]byte{evEventBatch, 1, 2, 3, 2, 0xaa, 0xbb}, true},
		{[]byte{evEventBatch, 1, 2, 3, 3, 0xaa, 0xbb}, false},    // short
		{[]byte{evEventBatch, 0, 2, 3, 0}, false},                // generation 0
		{[]byte{evEventBatch, 1, 2, 3, 0x80, 0x80, 0x05}, false}, // over 64 KiB
		{[]byte{evEventBatch, 1, 2, 0x80}, false},                // cut uvarint
		{[]byte{evExperimentalBatch, 1, 1, 2, 3, 1, 0xcc}, true}, // experimental
		{[]byte{evEndOfGeneration}, true},
		{[]byte{7, 1, 2, 3, 0}, false},
	} {
		b, err := nextBatch(c.data, 26)
		if (err == nil) != c.ok || c.ok && b.size != len(c.data) {
			t.Errorf("nextBatch(%v) = %+v, %v", c.data, b, err)
		}
	}
}
