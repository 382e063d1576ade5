package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spantop/spantop/ui"
)

// childStopWait is how long a child has to exit after SIGTERM when
// spantop stops, before it is killed.
const childStopWait = 2 * time.Second

// child is the command `spantop run` and `spantop snapshot -- CMD` start,
// with the OTLP environment pointing at spantop.
type child struct {
	args   []string
	output string // where its stdout and stderr go ("" for the log)
	cmd    *exec.Cmd
	done   chan struct{} // closed when it has exited

	mu       sync.Mutex
	exited   time.Time
	exitCode int
	err      error
}

// startChild starts the configured command. Its output goes to the
// --child-output file (run: a temp file by default) or to stderr
// (snapshot: stdout is the report's).
func (m *Main) startChild() error {
	a := m.Config.Around
	c := &child{args: a.Child, done: make(chan struct{})}
	cmd := exec.Command(a.Child[0], a.Child[1:]...)
	cmd.Env = childEnv(environ(), m.Server.GRPCAddr(), m.Server.HTTPAddr())
	cmd.SysProcAttr = childProcAttr()
	var f *os.File
	switch {
	case a.ChildOutput != "":
		var err error
		if f, err = os.OpenFile(a.ChildOutput, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644); err != nil {
			return fmt.Errorf("--child-output: %w", err)
		}
	case m.Config.Command == "run":
		var err error
		if f, err = os.CreateTemp("", "spantop-run-"+fileSafe(filepath.Base(a.Child[0]))+"-*.log"); err != nil {
			return fmt.Errorf("a file for the command's output: %w", err)
		}
	default:
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if f != nil {
		cmd.Stdout, cmd.Stderr = f, f
		c.output = f.Name()
	}
	if err := cmd.Start(); err != nil {
		if f != nil {
			_ = f.Close()
		}
		return fmt.Errorf("starting %s: %w", a.Child[0], err)
	}
	c.cmd = cmd
	m.child = c
	m.Log.Printf("run: %q started as process %d, output to %s", a.Child, cmd.Process.Pid, c.output)
	go func() {
		err := cmd.Wait()
		if f != nil {
			_ = f.Close()
		}
		c.mu.Lock()
		c.exited, c.err = time.Now(), err
		c.exitCode = exitCode(cmd, err)
		c.mu.Unlock()
		m.Log.Printf("run: %q exited with status %d", a.Child, c.exitCode)
		close(c.done)
	}()
	return nil
}

// exitCode is the child's status the way a shell reports it: 128+signal
// when a signal ended it.
func exitCode(cmd *exec.Cmd, err error) int {
	if err == nil {
		return 0
	}
	if cmd.ProcessState == nil {
		return 1 // it did not start
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 1
}

// status is the header's note about the child.
func (c *child) status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	name := filepath.Base(c.args[0])
	s := "CMD " + name
	if c.exited.IsZero() {
		s += " running"
	} else {
		s += fmt.Sprintf(" exited %d at %s", c.exitCode, c.exited.Format("15:04:05"))
	}
	if c.output != "" {
		s += " (output " + c.output + ")"
	}
	return s
}

// code returns the exit status once the child has exited.
func (c *child) code() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitCode
}

// stop ends the child with spantop: SIGTERM, then SIGKILL after
// childStopWait.
func (c *child) stop(ctx context.Context) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM) // it may have exited just now
	select {
	case <-c.done:
	case <-ctx.Done():
		_ = c.cmd.Process.Kill()
		<-c.done
	case <-time.After(childStopWait):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// waitChild waits for the child to exit or ctx to end.
func (c *child) wait(ctx context.Context) bool {
	select {
	case <-c.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// runChildUI is `spantop run -- CMD`: the TUI with CMD as its child. It
// stays open after CMD exits (the header says how it ended) until the user quits.
func runChildUI(ctx context.Context, cfg Config, stderr io.Writer) int {
	freePorts(&cfg)
	m := NewMain()
	m.Config = cfg
	if runUI != nil {
		m.UI = runUI
	}
	if err := m.Open(); err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	if !m.runSaying(ctx, stderr) {
		return 1
	}
	if m.child != nil {
		fmt.Fprintf(stderr, "spantop: %s\n", m.child.status())
	}
	return 0
}

// runUI replaces ui.Run in tests of spantop run.
var runUI func(ctx context.Context, src ui.Source, opts ui.Options) error

// runSaying runs m and says on stderr what went wrong around it (a child
// or a recording) and in it; it reports whether the run itself succeeded.
func (m *Main) runSaying(ctx context.Context, stderr io.Writer) bool {
	err := m.Run(ctx)
	if len(m.aroundErrs) > 0 {
		fmt.Fprintf(stderr, "spantop: %s\n", strings.Join(m.aroundErrs, "; "))
	}
	if err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return false
	}
	return true
}
