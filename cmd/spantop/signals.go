package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	xterm "github.com/charmbracelet/x/term"

	"github.com/spantop/spantop/model"
)

// endSignals end spantop: ^C where it is not read as a key, kill's
// default, and the hangup a closed terminal sends.
var endSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// signalExitWait is how long the ordered shutdown may take after a signal
// before the process exits regardless; issue 13 promises an exit within 2 s.
const signalExitWait = 1800 * time.Millisecond

// signals is the one owner of the signals that end spantop (the TUI
// installs no handler of its own). The first cancels the context Run
// watches, which starts the ordered shutdown; a second one, or a shutdown
// still going after signalExitWait, ends the process at once.
type signals struct {
	ch     chan os.Signal
	got    atomic.Value // the first signal (os.Signal)
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	// exit ends the process; os.Exit outside tests.
	exit   func(code int)
	stderr io.Writer
}

// watchSignals returns a context that the first end signal cancels, and
// the watcher; call stop when the shutdown is complete.
func watchSignals(parent context.Context, stderr io.Writer) (context.Context, *signals) {
	return watchSignalsExit(parent, stderr, os.Exit)
}

// watchSignalsExit is watchSignals ending the process with exit.
func watchSignalsExit(parent context.Context, stderr io.Writer, exit func(code int)) (context.Context, *signals) {
	ctx, cancel := context.WithCancel(parent)
	s := &signals{ch: make(chan os.Signal, 2), cancel: cancel, done: make(chan struct{}), exit: exit, stderr: stderr}
	signal.Notify(s.ch, endSignals...)
	go s.watch()
	if fd := os.Stdout.Fd(); xterm.IsTerminal(fd) {
		go s.watchTerminal(fd)
	}
	return ctx, s
}

// terminalCheckEvery is how often spantop looks whether its terminal is
// still there: with the screen's quiet tick (model.AlignedWait), so that an
// idle spantop wakes once for both.
const terminalCheckEvery = 2 * time.Second

// watchTerminal ends spantop as a hangup does when its terminal goes away
// and no hangup reaches it: a closed terminal signals only its session
// leader, and a parent that does not pass the signal on (make running
// `make demo`, a shell running a script) left spantop drawing to nothing
// with its ports taken. A hung-up terminal answers every size request
// with an error.
func (s *signals) watchTerminal(fd uintptr) {
	t := model.NewAlignedTicker(terminalCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			t.Next()
			if _, _, err := xterm.GetSize(fd); err != nil {
				select {
				case s.ch <- syscall.SIGHUP:
				default: // a signal is already on its way
				}
				return
			}
		}
	}
}

func (s *signals) watch() {
	var first os.Signal
	select {
	case first = <-s.ch:
	case <-s.done:
		return
	}
	s.got.Store(first)
	s.cancel()
	timer := time.NewTimer(signalExitWait)
	defer timer.Stop()
	select {
	case <-s.done:
		return
	case again := <-s.ch:
		fmt.Fprintf(s.stderr, "\r\nspantop: %v again: exiting without finishing the shutdown\r\n", again)
	case <-timer.C:
		fmt.Fprintf(s.stderr, "\r\nspantop: shutdown after %v took longer than %v: exiting\r\n", first, signalExitWait)
	}
	s.exit(exitStatus(first))
}

// received is the first end signal, or nil.
func (s *signals) received() os.Signal {
	sig, _ := s.got.Load().(os.Signal)
	return sig
}

// stop ends the watch: the shutdown is over.
func (s *signals) stop() {
	s.once.Do(func() {
		signal.Stop(s.ch)
		close(s.done)
		s.cancel()
	})
}

// exitStatus is the shell's convention for a process ended by sig.
func exitStatus(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}
