//go:build !unix

package main

import (
	"os"
	"syscall"
)

func testProcAttr() *syscall.SysProcAttr { return nil }

// interruptTests stops go test (no process groups or interrupt here).
func interruptTests(p *os.Process) { _ = p.Kill() }
