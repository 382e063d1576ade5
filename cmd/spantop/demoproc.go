package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spantop/spantop/demo"
)

// demoWorkloadCommand is the hidden command the demo's child process runs.
const demoWorkloadCommand = "demo-workload"

// runDemoWorkload is the child side of `spantop demo`: the shop workload as
// an application of its own, exporting to endpoint until interrupted. It
// is a separate process so that agentlib traces the demo app's goroutines,
// not spantop's.
func runDemoWorkload(args []string, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintf(stderr, "spantop %s: want one argument, the OTLP/gRPC endpoint\n", demoWorkloadCommand)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo.Run(ctx, args[0]); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	return 0
}

// demoProcess starts the demo workload as a child process (this binary,
// demoWorkloadCommand) sending to endpoint. It interrupts the child when
// ctx ends and waits for it to flush, killing it if it takes longer than
// demoStopWait. The child's output goes to the log.
func (m *Main) demoProcess(ctx context.Context, endpoint string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding spantop's own binary for the demo: %w", err)
	}
	cmd := exec.Command(exe, demoWorkloadCommand, endpoint)
	cmd.Env = append(os.Environ(), m.clientEnv()...)
	out := m.Log.Writer()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the demo workload: %w", err)
	}
	m.Log.Printf("demo: workload running as process %d", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return fmt.Errorf("demo workload exited: %v", err)
	case <-ctx.Done():
	}
	_ = cmd.Process.Signal(os.Interrupt) // it may have exited just now
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == -1 {
			return nil // ended by the signal
		}
		return err
	case <-time.After(demoStopWait - 200*time.Millisecond):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("demo workload did not stop in time; killed")
	}
}

// clientEnv is the standard OTLP environment that lets a client on this
// machine (the demo's SDK exporters and agentlib) through spantop's token
// and TLS.
func (m *Main) clientEnv() []string {
	var env []string
	if m.Config.Token != "" {
		env = append(env, "OTEL_EXPORTER_OTLP_HEADERS=authorization="+strings.ReplaceAll(url.PathEscape("Bearer "+m.Config.Token), ",", "%2C"))
	}
	if m.Config.TLSCert != "" {
		env = append(env, "OTEL_EXPORTER_OTLP_CERTIFICATE="+m.Config.TLSCert)
	}
	return env
}
