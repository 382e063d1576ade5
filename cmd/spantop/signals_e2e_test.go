package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalExitLimit is what issue 13 promises: any of these signals ends
// spantop within 2 s.
const signalExitLimit = 2 * time.Second

// TestTmuxSignalsEndSpantop sends SIGTERM, SIGINT and SIGHUP (what a
// closed terminal sends) 20 times each to the built binary running in a
// real terminal. Every time spantop must exit within 2 s, leave the
// alternate screen (the terminal is restored) and close its listeners.
func TestTmuxSignalsEndSpantop(t *testing.T) {
	needTmux(t)
	trials := 20
	if testing.Short() {
		trials = 3
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			var worst time.Duration
			for i := range trials {
				took := signalTrial(t, sig)
				worst = max(worst, took)
				if t.Failed() {
					t.Fatalf("trial %d of %d failed", i+1, trials)
				}
			}
			t.Logf("%d trials, slowest exit %v", trials, worst.Round(time.Millisecond))
		})
	}
}

// signalTrial starts spantop in tmux, sends sig once the first frame is on
// screen and returns how long spantop took to exit.
func signalTrial(t *testing.T, sig syscall.Signal) time.Duration {
	tm := startTerm(t, 100, 30)
	tm.tmux("set-option", "-t", "e2e", "remain-on-exit", "on")
	tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
	pid := tm.spantopPID()
	sent := time.Now()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	var took time.Duration
	for {
		took = time.Since(sent)
		if b, err := os.ReadFile(tm.exitFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			break
		}
		if took > signalExitLimit {
			t.Errorf("%v: spantop (pid %d) still running %v after the signal; screen:\n%s", sig, pid, took, tm.screen())
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return took
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := tm.screen(); strings.Contains(s, "received") || strings.Contains(s, "recv ") {
		t.Errorf("%v: spantop's screen is still shown after it exited (terminal not restored):\n%s", sig, s)
	}
	for _, addr := range []string{tm.grpc, tm.http} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			t.Errorf("%v: %s still accepts connections after spantop exited", sig, addr)
		}
	}
	return took
}

// TestTmuxTerminalClosed closes spantop's terminal (tmux kills the pane,
// the kernel hangs up its session) 5 times: spantop must be gone within
// 2 s and its listeners closed.
func TestTmuxTerminalClosed(t *testing.T) {
	needTmux(t)
	for i := range 5 {
		tm := startTerm(t, 100, 30)
		tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
		pid := tm.spantopPID()
		closed := time.Now()
		tm.tmux("kill-pane", "-t", "e2e")
		for processAlive(pid) {
			if time.Since(closed) > signalExitLimit {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("trial %d: spantop (pid %d) still running %v after its terminal closed", i+1, pid, signalExitLimit)
			}
			time.Sleep(10 * time.Millisecond)
		}
		for _, addr := range []string{tm.grpc, tm.http} {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				_ = c.Close()
				t.Errorf("trial %d: %s still accepts connections after spantop exited", i+1, addr)
			}
		}
	}
}

// processAlive reports whether pid runs (a zombie waiting to be reaped
// has exited).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// TestTmuxClosedTerminalEndsSpantop closes the terminal of a spantop that
// make started, as `make demo` does: make leads the terminal's session
// and alone receives the hangup, and it does not pass it on. spantop must
// notice that its terminal is gone, end, and free its ports.
func TestTmuxClosedTerminalEndsSpantop(t *testing.T) {
	needTmux(t)
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not installed")
	}
	bin := spantopBinary(t)
	dir := t.TempDir()
	tm := &term{t: t, sock: filepath.Join(dir, "tmux.sock"), log: filepath.Join(dir, "spantop.log"), grpc: freePort(t), http: freePort(t)}
	recipe := shellJoin([]string{bin, "--grpc", tm.grpc, "--http", tm.http, "--log", tm.log})
	makefile := filepath.Join(dir, "Makefile")
	if err := os.WriteFile(makefile, []byte("run:\n\t"+strings.ReplaceAll(recipe, "$", "$$")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm.tmux("new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", "-e", "TERM=xterm-256color",
		shellJoin([]string{makeBin, "-s", "-f", makefile, "run"}))
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
	pid := spantopUnder(t, tm)
	tm.tmux("kill-server")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := syscall.Kill(pid, 0); err != nil {
			break // gone
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(b), ") Z ") {
			break // ended, not yet reaped
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("spantop (pid %d) still runs 5 s after its terminal closed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, addr := range []string{tm.grpc, tm.http} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			t.Errorf("%s still accepts connections after spantop ended", addr)
		}
	}
}

// spantopUnder finds the spantop that make runs in the pane (make's child,
// or its shell's).
func spantopUnder(t *testing.T, tm *term) int {
	t.Helper()
	pane := strings.TrimSpace(tm.tmux("list-panes", "-t", "e2e", "-F", "#{pane_pid}"))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		queue := []string{pane}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if comm, err := os.ReadFile("/proc/" + p + "/comm"); err == nil && strings.TrimSpace(string(comm)) == "spantop" {
				pid, _ := strconv.Atoi(p)
				return pid
			}
			if b, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children"); err == nil {
				queue = append(queue, strings.Fields(string(b))...)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no spantop under the pane's process %s", pane)
	return 0
}
