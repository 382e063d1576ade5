package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Around holds the settings of what runs around the core: recording,
// forwarding, and the replay, snapshot and run commands.
type Around struct {
	// Record is the --record file; RecordMax bounds it, RecordKeep > 0
	// rotates instead of stopping.
	Record     string
	RecordMax  int64
	RecordKeep int
	// Forward are the --forward URLs; ForwardAll forwards agentlib's own
	// data too.
	Forward    []string
	ForwardAll bool

	// Files are replay's recordings.
	Files []string
	// Speed is replay's --speed factor (0 means 1, the recorded speed);
	// SpeedMax is --speed max.
	Speed    float64
	SpeedMax bool
	// Paused starts a replay paused.
	Paused bool

	// Snapshot: --format, --from, --for, --fail-on.
	Format string
	From   []string
	For    time.Duration
	FailOn []string
	// Child is the command after "--" (snapshot, run).
	Child []string
	// ChildOutput is where run writes the child's stdout and stderr.
	ChildOutput string
	// explicitAddr is set when --grpc or --http was given: a child then
	// gets those rather than free ports.
	explicitAddr bool
}

// addAroundFlags registers the flags of recording, forwarding and the
// commands around the core.
func addAroundFlags(fs *flag.FlagSet, cfg *Config) {
	a := &cfg.Around
	fs.StringVar(&a.Record, "record", "", "write everything received to `file` as OTLP/JSON lines (the Collector's file-exporter format; .gz compresses)")
	fs.Var(sizeFlag{&a.RecordMax, math.MaxInt64}, "record-max", "bound the recording to `size`: stop there (or rotate with --record-keep)")
	fs.IntVar(&a.RecordKeep, "record-keep", 0, "rotate a full recording to FILE.1 … keeping `n` old files (needs --record-max)")
	fs.Func("forward", "pass everything received on to `url`: http://host:4318 (OTLP/HTTP), grpc://host:4317 or host:port (OTLP/gRPC); repeatable", func(v string) error {
		a.Forward = append(a.Forward, v)
		return nil
	})
	fs.BoolVar(&a.ForwardAll, "forward-all", false, "forward agentlib's own data too (in-flight snapshots, execution traces, runtime metrics)")
	fs.Var(speedFlag{&a.Speed, &a.SpeedMax}, "speed", "replay: `speed` factor (1 recorded, 4 four times faster) or max")
	fs.BoolVar(&a.Paused, "paused", false, "replay: start paused")
	fs.StringVar(&a.Format, "format", "", "snapshot: `format` text (the default), json or markdown")
	fs.Func("from", "snapshot: read `file` (a recording) instead of listening; repeatable", func(v string) error {
		a.From = append(a.From, v)
		return nil
	})
	fs.Var(durationFlag{&a.For}, "for", "snapshot: listen for `duration`, then print")
	fs.Func("fail-on", "snapshot: exit 3 when any of these warning `kinds` fired (comma-separated: "+strings.Join(failKindNames(), ",")+")", func(v string) error {
		kinds, err := parseFailOn(v)
		a.FailOn = append(a.FailOn, kinds...)
		return err
	})
	fs.StringVar(&a.ChildOutput, "child-output", "", "run: write the command's stdout and stderr to `file` (default: a file in the temp directory)")
}

// parseAroundOperands checks what follows the flags for the command:
// replay's files (flags may follow them), snapshot's and run's "-- CMD".
func parseAroundOperands(cfg *Config, fs *flag.FlagSet, args []string) error {
	fs.Visit(func(f *flag.Flag) {
		if (f.Name == "grpc" || f.Name == "http") && len(fs.Args()) > 0 {
			cfg.Around.explicitAddr = true // a child's ports were chosen
		}
	})
	a := &cfg.Around
	rest := fs.Args()
	dashdash := len(args) >= len(rest)+1 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--"
	switch cfg.Command {
	case "replay":
		for len(rest) > 0 {
			if strings.HasPrefix(rest[0], "-") && rest[0] != "-" {
				if err := fs.Parse(rest); err != nil {
					return usageError{strings.Replace(err.Error(), " -", " --", 1)}
				}
				rest = fs.Args()
				continue
			}
			a.Files = append(a.Files, rest[0])
			rest = rest[1:]
		}
		if len(a.Files) == 0 {
			return usageError{"spantop replay needs a file: spantop replay FILE…"}
		}
		return nil
	case "snapshot", "run":
		if len(rest) > 0 {
			if !dashdash {
				return usageError{fmt.Sprintf("unexpected argument %q (a command goes after --: spantop %s -- CMD ARGS…)", rest[0], cfg.Command)}
			}
			a.Child = rest
		}
		if cfg.Command == "run" && len(a.Child) == 0 {
			return usageError{"spantop run needs a command: spantop run -- CMD ARGS…"}
		}
		if cfg.Command == "snapshot" {
			sources := 0
			for _, on := range []bool{len(a.From) > 0, a.For > 0, len(a.Child) > 0} {
				if on {
					sources++
				}
			}
			if sources != 1 {
				return usageError{"spantop snapshot takes one of --from FILE, --for DURATION or -- CMD ARGS…"}
			}
			switch a.Format {
			case "", "text", "json", "markdown", "md":
			default:
				return usageError{fmt.Sprintf("--format %q: use text, json or markdown", a.Format)}
			}
		}
		return nil
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	return nil
}

// checkAround checks the flags that go together.
func checkAround(cfg *Config) error {
	a := &cfg.Around
	if a.RecordKeep < 0 {
		return usageError{"--record-keep must not be negative"}
	}
	if a.RecordKeep > 0 && a.RecordMax == 0 {
		return usageError{"--record-keep rotates at --record-max: give both"}
	}
	if (a.RecordMax > 0) && a.Record == "" {
		return usageError{"--record-max needs --record FILE"}
	}
	return nil
}

// speedFlag is replay's --speed: a factor above 0, or max.
type speedFlag struct {
	p   *float64
	max *bool
}

func (s speedFlag) String() string {
	switch {
	case s.p == nil:
		return ""
	case *s.max:
		return "max"
	case *s.p == 0:
		return "1"
	}
	return strconv.FormatFloat(*s.p, 'g', -1, 64)
}

func (s speedFlag) Set(v string) error {
	if v == "max" {
		*s.max, *s.p = true, 0
		return nil
	}
	*s.max = false
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "x"), 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return errors.New("use a factor above 0 (1, 4, 0.5) or max")
	}
	*s.p = f
	return nil
}

// replaySpeed is the engine's speed for the flags: replay.Max (0) or a factor.
func (a Around) replaySpeed() float64 {
	switch {
	case a.SpeedMax:
		return 0
	case a.Speed == 0:
		return 1
	}
	return a.Speed
}
