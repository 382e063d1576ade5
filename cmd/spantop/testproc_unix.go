//go:build unix

package main

import (
	"os"
	"syscall"
)

// testProcAttr puts go test and its test binaries in a process group of
// their own, for interruptTests to reach them all, dying with spantop
// where the system can (childProcAttr).
func testProcAttr() *syscall.SysProcAttr {
	a := childProcAttr()
	if a == nil {
		a = &syscall.SysProcAttr{}
	}
	a.Setpgid = true
	return a
}

// interruptTests interrupts go test and its test binaries.
func interruptTests(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGINT) }
