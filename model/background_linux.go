package model

import (
	"runtime"
	"syscall"
)

// lowerThreadPriority puts the calling goroutine on a thread of its own at
// the lowest scheduling priority. The goroutine must never end (see
// background.go).
func lowerThreadPriority() {
	runtime.LockOSThread()
	// Best effort: without it the work only competes as any goroutine does.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
