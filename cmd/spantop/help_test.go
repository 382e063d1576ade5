package main

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/spantop/spantop/ui"
)

// `spantop help` lists every key binding of the TUI, each with what it
// does, from the table the `?` help is drawn from.
func TestHelpListsEveryKey(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"help"}, &out, &errOut); code != 0 {
		t.Fatalf("spantop help: exit %d, stderr %q", code, errOut.String())
	}
	keys := ui.KeyHelpLines(false)
	if len(keys) < 20 {
		t.Fatalf("ui.KeyHelpLines lists %d bindings; the TUI has more", len(keys))
	}
	for _, k := range keys {
		if !strings.Contains(out.String(), k.Keys) || !strings.Contains(out.String(), k.Does) {
			t.Errorf("spantop help lacks %q (%s)", k.Keys, k.Does)
		}
	}
	for _, want := range []string{"tree mode", "warnings panel", "save its process's execution trace", "quit"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("spantop help does not mention %q", want)
		}
	}
}

// Without a terminal spantop says so in one line, not with bubbletea's
// "error opening TTY". The binary runs in a session of its own (no
// controlling terminal, so no /dev/tty) with stdin from /dev/null.
func TestBinaryNoTerminal(t *testing.T) {
	bin := spantopBinary(t)
	cmd := exec.Command(bin, "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("without a terminal: %v, want exit status 1; stderr %q", err, stderr.String())
	}
	msg := stderr.String()
	if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "no terminal") || strings.Contains(msg, "bubbletea") {
		t.Errorf("stderr %q: want one line saying there is no terminal", msg)
	}
}

// A listen address that is not host:port is a bad flag: exit status 2
// before anything is bound, naming the flag.
func TestBinaryBadListenAddress(t *testing.T) {
	bin := spantopBinary(t)
	for _, args := range [][]string{
		{"--grpc", "notanaddress"},
		{"--http", "127.0.0.1:99999"},
		{"--grpc", "127.0.0.1:port"},
		{"demo", "--http", "nohost"},
	} {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2; stderr %q", args, err, stderr.String())
			continue
		}
		flag := args[len(args)-2]
		if !strings.Contains(stderr.String(), flag) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: stderr %q does not name %s in one line", args, stderr.String(), flag)
		}
	}
}
