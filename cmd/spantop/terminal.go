package main

import (
	"errors"
	"os"

	xterm "github.com/charmbracelet/x/term"
)

// errNoTerminal replaces bubbletea's "error opening TTY": spantop draws
// its tables on a terminal and reads keys from it.
var errNoTerminal = errors.New("no terminal: spantop shows its tables in a terminal; run it in one (stdin and stdout are not terminals here, and /dev/tty cannot be opened)")

// checkTerminal reports errNoTerminal when the TUI could not run: its
// output is not a terminal, or there is no terminal to read keys from
// (bubbletea reads /dev/tty when stdin is not one).
func checkTerminal() error {
	if !xterm.IsTerminal(os.Stdout.Fd()) {
		return errNoTerminal
	}
	if xterm.IsTerminal(os.Stdin.Fd()) {
		return nil
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return errNoTerminal
	}
	_ = tty.Close()
	return nil
}
