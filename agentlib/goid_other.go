//go:build !gc || !(amd64 || arm64)

package agentlib

const haveGWord = false

func gword(uintptr) uint64 { return 0 }
