package main

import "syscall"

// childProcAttr makes the demo workload die with spantop, even when spantop
// is killed without a chance to stop it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
