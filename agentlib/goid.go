package agentlib

import "runtime"

// A named goroutine is registered under its runtime ID when it starts, so
// agentlib.Go must learn that ID at the price of a go statement. The
// runtime keeps it in its goroutine struct, which an assembly helper
// (gword, goid_amd64.s / goid_arm64.s) reads at an offset found once at
// start-up: the one word that equals the ID runtime.Stack prints, in the
// calling goroutine and in a few others. Where no offset passes that
// check (another compiler, another architecture, a runtime whose layout
// moved the field out of the scanned range) goID reads runtime.Stack,
// which is right everywhere but costs about 2 µs.

// gScanBytes bounds the scan for the ID's offset: the field sits near the
// start of the runtime's goroutine struct, which is several times larger.
const gScanBytes = 256

// goidOffset is the ID's offset in the goroutine struct, or -1 when goID
// falls back to runtime.Stack.
var goidOffset = findGoIDOffset()

// goID returns the calling goroutine's runtime ID.
func goID() int64 {
	if goidOffset >= 0 {
		return int64(gword(uintptr(goidOffset)))
	}
	return stackGoID()
}

// findGoIDOffset returns the only offset at which every probed goroutine's
// struct holds its own ID, or -1.
func findGoIDOffset() int {
	if !haveGWord {
		return -1
	}
	var candidates []int
	own := stackGoID()
	for off := 0; off < gScanBytes; off += 8 {
		if int64(gword(uintptr(off))) == own {
			candidates = append(candidates, off)
		}
	}
	// Goroutine IDs are small numbers that other fields may hold by
	// chance; each probe with another ID strikes such offsets out.
	const probes = 4
	for range probes {
		held := make(chan []int)
		go func() {
			id := stackGoID()
			var still []int
			for _, off := range candidates {
				if int64(gword(uintptr(off))) == id {
					still = append(still, off)
				}
			}
			held <- still
		}()
		candidates = <-held
	}
	if len(candidates) != 1 {
		return -1
	}
	return candidates[0]
}

// stackGoID returns the calling goroutine's runtime ID, read off the first
// line of its stack trace ("goroutine 42 [running]:").
func stackGoID() int64 {
	var b [64]byte
	s := b[:runtime.Stack(b[:], false)]
	const prefix = "goroutine "
	if len(s) < len(prefix) {
		return 0
	}
	s = s[len(prefix):]
	var id int64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + int64(c-'0')
	}
	return id
}
