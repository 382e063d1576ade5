//go:build gc && (amd64 || arm64)

package agentlib

const haveGWord = true

// gword returns the word at byte offset off in the calling goroutine's
// runtime struct (goid_amd64.s, goid_arm64.s).
func gword(off uintptr) uint64
