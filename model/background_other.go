//go:build !linux

package model

// lowerThreadPriority does nothing where a thread's priority cannot be
// lowered on its own (see background_linux.go).
func lowerThreadPriority() {}
