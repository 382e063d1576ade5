//go:build !linux

package model

// backgroundThread does nothing where a thread's priority cannot be
// lowered on its own (see sortpriority_linux.go).
func backgroundThread() {}
