package model

import (
	"runtime"
	"syscall"
)

// backgroundThread puts the calling goroutine on a thread of its own at
// the lowest scheduling priority, for work nobody waits on (sorting a new
// index): on a busy machine the writer and the screen go first. The thread
// is never given back; it ends with the goroutine.
func backgroundThread() {
	runtime.LockOSThread()
	// Best effort: without it the work only competes as any goroutine does.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
