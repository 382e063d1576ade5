package hugepages

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestAdvisedHeapUsesHugePages checks that after Start the mapping that
// holds the heap is eligible for huge pages, also after the heap grew by
// far more than the runtime had mapped.
func TestAdvisedHeapUsesHugePages(t *testing.T) {
	if !wanted() {
		t.Skip("transparent huge pages are not \"madvise\" here")
	}
	if eligible(t, heapAddress()) {
		t.Fatal("the heap is eligible before Start: the test proves nothing")
	}
	Start()
	if !eligible(t, heapAddress()) {
		t.Fatal("the heap is not eligible for huge pages after Start")
	}
	var keep [][]byte
	for range 64 {
		keep = append(keep, make([]byte, 4<<20))
	}
	runtime.GC()
	runtime.GC() // the sentinel's cleanup runs after the collection
	for range 100 {
		if eligible(t, uintptr(unsafe.Pointer(&keep[len(keep)-1][0]))) {
			break
		}
		runtime.Gosched()
		runtime.GC()
	}
	for i, b := range keep {
		if !eligible(t, uintptr(unsafe.Pointer(&b[0]))) {
			t.Fatalf("block %d of the grown heap is not eligible for huge pages", i)
		}
	}
}

func TestParseMapping(t *testing.T) {
	for _, c := range []struct {
		line         string
		ok, anon, rw bool
		start, end   uintptr
	}{
		{"22e1aac00000-22e1c9800000 rw-p 00000000 00:00 0 ", true, true, true, 0x22e1aac00000, 0x22e1c9800000},
		{"22e1c9800000-22e1cc000000 ---p 00000000 00:00 0", true, true, false, 0x22e1c9800000, 0x22e1cc000000},
		{"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 [anon:Go: heap]", true, true, true, 0x7f0000000000, 0x7f0000021000},
		{"06b7e000-06b9f000 rw-p 00000000 00:00 0 [heap]", true, false, true, 0x06b7e000, 0x06b9f000},
		{"00400000-00d34000 r-xp 00000000 fd:01 1234 /usr/bin/spantop", true, false, false, 0x400000, 0xd34000},
		{"garbage", false, false, false, 0, 0},
	} {
		m, ok := parseMapping(c.line)
		if ok != c.ok || (ok && (m.anon != c.anon || m.writable != c.rw || m.start != c.start || m.end != c.end)) {
			t.Errorf("parseMapping(%q) = %+v, %v", c.line, m, ok)
		}
	}
}

// eligible reads whether the mapping holding addr may use huge pages.
func eligible(t *testing.T, addr uintptr) bool {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m, ok := parseMapping(line); ok { // a mapping's first line
			in = m.start <= addr && addr < m.end
			continue
		}
		if in && strings.HasPrefix(line, "THPeligible:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "THPeligible:")) == "1"
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return false
}
