package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spantop/spantop/ingest/replay"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

// Exit statuses of spantop snapshot beyond the child's.
const (
	exitFailOn = 3 // a --fail-on warning fired
)

// snapshotFlush is how long a snapshot keeps listening after its command
// exited, for the last exports still on their way.
const snapshotFlush = time.Second

// runAround runs the commands of this file and of replay.go and run.go;
// ok is false for the others.
func runAround(ctx context.Context, cfg Config, stdout, stderr io.Writer) (code int, ok bool) {
	switch cfg.Command {
	case "replay":
		return runReplay(ctx, cfg, stderr), true
	case "snapshot":
		cfg = snapshotConfig(cfg)
		if len(cfg.Around.From) > 0 {
			return snapshotFrom(cfg, stdout, stderr), true
		}
		return snapshotLive(ctx, cfg, stdout, stderr), true
	case "run":
		return runChildUI(ctx, cfg, stderr), true
	}
	return 0, false
}

// freePorts makes a command's child talk to ports of its own rather than
// the well-known ones another spantop may hold, unless the user chose them.
func freePorts(cfg *Config) {
	if cfg.Around.explicitAddr || len(cfg.Around.Child) == 0 {
		return
	}
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
}

// snapshotFrom plays recordings at full speed into a model and prints it.
func snapshotFrom(cfg Config, stdout, stderr io.Writer) int {
	rec, err := replay.Load(cfg.Around.From...)
	if err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	if rec.Skipped > 0 {
		fmt.Fprintf(stderr, "spantop: %d line(s) skipped; first: %s\n", rec.Skipped, rec.FirstError)
	}
	e := replay.New(rec, replay.Options{Speed: replay.Max, Model: modelConfig(cfg)})
	w := e.PlayAll(snapshotFlush, 2*time.Second)
	defer func() { _ = w.Traces.Close() }()
	src := replaySource{engine: e}
	r := buildReport(src, w.Now(), "file "+strings.Join(cfg.Around.From, ", "))
	return printReport(stdout, stderr, r, cfg, 0)
}

// snapshotLive listens --for a while, or while its command runs, then
// prints what arrived.
func snapshotLive(ctx context.Context, cfg Config, stdout, stderr io.Writer) int {
	freePorts(&cfg)
	m := NewMain()
	m.Config = cfg
	if args, ok := goTestCommand(cfg.Around.Child); ok {
		// go test runs as under spantop test: its events become spans,
		// and its text goes to stderr the way go test prints it.
		m.TestArgs = args
		m.goTest = goTestRun{child: true, goBin: cfg.Around.Child[0], echo: newGoTestEcho(stderr, args), done: make(chan struct{})}
	}
	var report Report
	m.UI = func(ctx context.Context, src ui.Source, _ ui.Options) error {
		source := "listened " + cfg.Around.For.String()
		if m.goTest.child {
			select {
			case <-m.goTest.done:
			case <-ctx.Done():
			}
			source = "command " + strings.Join(cfg.Around.Child, " ")
			select {
			case <-time.After(snapshotFlush):
			case <-ctx.Done():
			}
		} else if m.child != nil {
			m.child.wait(ctx)
			source = "command " + strings.Join(cfg.Around.Child, " ")
			select {
			case <-time.After(snapshotFlush):
			case <-ctx.Done():
			}
		} else if len(cfg.Around.Child) == 0 {
			select {
			case <-time.After(cfg.Around.For):
			case <-ctx.Done():
			}
		}
		report = buildReport(src, time.Now(), source)
		return nil
	}
	if err := m.Open(); err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	if cfg.Around.For > 0 {
		fmt.Fprintf(stderr, "spantop: listening on %s for %v\n", m.listening(), cfg.Around.For)
	}
	if !m.runSaying(ctx, stderr) {
		return 1
	}
	childCode := 0
	switch {
	case m.goTest.child:
		select {
		case <-m.goTest.done:
			if m.goTest.err != nil {
				fmt.Fprintf(stderr, "spantop: %v\n", m.goTest.err)
			}
		default: // interrupted while it still flushed
		}
		childCode = int(m.testExit.Load())
		report.Child = &ReportChild{Args: cfg.Around.Child, ExitCode: childCode}
	case len(cfg.Around.Child) > 0 && m.child == nil:
		return 1 // it did not start; said above
	case m.child != nil:
		childCode = m.child.code()
		report.Child = &ReportChild{Args: cfg.Around.Child, ExitCode: childCode}
		if report.Summary.Received == 0 {
			// Most likely CMD sends elsewhere: a program that takes its
			// endpoint from a flag (telemetrygen) tried the default port.
			fmt.Fprintf(stderr, "spantop: nothing arrived from %s. It was given %s; a program that is told its endpoint another way must be pointed there (telemetrygen: --otlp-endpoint \"$SPANTOP_ENDPOINT\")\n",
				cfg.Around.Child[0], strings.Join(childEnv(nil, m.Server.GRPCAddr(), m.Server.HTTPAddr()), " "))
		}
	}
	return printReport(stdout, stderr, report, cfg, childCode)
}

// printReport prints the report and picks the exit status: the child's if
// it failed, else exitFailOn when a --fail-on warning fired.
func printReport(stdout, stderr io.Writer, r Report, cfg Config, childCode int) int {
	if err := writeReport(stdout, r, cfg.Around.Format); err != nil {
		fmt.Fprintf(stderr, "spantop: %v\n", err)
		return 1
	}
	if childCode != 0 {
		return childCode
	}
	if fired := firedKinds(r, cfg.Around.FailOn); len(fired) > 0 {
		fmt.Fprintf(stderr, "spantop: --fail-on: %s\n", strings.Join(fired, ", "))
		return exitFailOn
	}
	return 0
}

// failAliases are --fail-on names for groups of warning kinds.
var failAliases = map[string][]string{
	"leak":        {model.WarnBlocked.String(), model.WarnGoroutineGrowth.String()},
	"propagation": {model.WarnNoRemoteChild.String(), model.WarnOrphan.String(), model.WarnRootBurst.String()},
	"error":       {model.WarnErrorSpike.String()},
}

// failKindNames lists what --fail-on accepts.
func failKindNames() []string {
	var names []string
	for k := range model.WarnKinds {
		names = append(names, k.String())
	}
	for a := range failAliases {
		names = append(names, a)
	}
	slices.Sort(names)
	return append(names, "any")
}

// parseFailOn reads a comma-separated list of kinds into model kind names.
func parseFailOn(v string) ([]string, error) {
	var out []string
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == "":
		case k == "any":
			for w := range model.WarnKinds {
				out = append(out, w.String())
			}
		case failAliases[k] != nil:
			out = append(out, failAliases[k]...)
		case slices.Contains(failKindNames(), k):
			out = append(out, k)
		default:
			return nil, fmt.Errorf("unknown warning kind %q (kinds: %s)", k, strings.Join(failKindNames(), ", "))
		}
	}
	return out, nil
}

// firedKinds are the --fail-on kinds the report has warnings of.
func firedKinds(r Report, failOn []string) []string {
	var fired []string
	for _, w := range r.Warnings {
		if w.Count > 0 && slices.Contains(failOn, w.Kind) && !slices.Contains(fired, w.Kind) {
			fired = append(fired, fmt.Sprintf("%s (%d)", w.Kind, w.Count))
		}
	}
	return fired
}

// modelConfig is the model's part of the configuration.
func modelConfig(cfg Config) model.Config {
	return model.Config{Linger: cfg.Linger, Retain: cfg.Retain, MaxMemory: cfg.MaxMemory,
		MaxString: int(cfg.MaxString), MaxStreams: cfg.MaxStreams, Warn: cfg.Warn}
}

// snapshotRetain is how long a snapshot keeps finished spans when --retain
// is not given: the whole session counts. Its tables list every stored
// span (model.Query.Stored), whatever --linger says.
const snapshotRetain = 24 * time.Hour

func snapshotConfig(cfg Config) Config {
	if cfg.Retain == model.DefaultRetain {
		cfg.Retain = snapshotRetain
	}
	return cfg
}
