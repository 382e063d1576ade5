package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/model"
)

// Config is everything the command line sets.
type Config struct {
	// Command is "" for plain spantop, "demo", "test", "help" or "version".
	Command    string
	GRPCAddr   string
	HTTPAddr   string
	MaxMessage int64
	// Linger is how long a finished span stays in the live tables;
	// Retain how long it stays stored (model.Config).
	Linger    time.Duration
	Retain    time.Duration
	MaxMemory int64
	// MaxString is the longest name or attribute value kept whole.
	MaxString int64
	// MaxStreams bounds the metric streams kept (--max-streams).
	MaxStreams int
	LogFile    string
	// Token is the bearer token clients must send (--token, SPANTOP_TOKEN).
	Token string
	// InsecureListen allows a non-loopback address without a token.
	InsecureListen bool
	// TLSCert and TLSKey serve both listeners over TLS.
	TLSCert, TLSKey string
	// CORS are browser origins allowed besides loopback ones (--cors).
	CORS    []string
	ASCII   bool
	NoColor bool
	// Warn holds the warnings' thresholds (--warn-*).
	Warn model.Thresholds
	// Around holds recording, forwarding, replay, snapshot and run (around.go).
	Around Around
}

// DefaultConfig returns the configuration of a bare `spantop`.
func DefaultConfig() Config {
	return Config{
		GRPCAddr:   "127.0.0.1:4317",
		HTTPAddr:   "127.0.0.1:4318",
		MaxMessage: ingest.DefaultMaxMessage,
		Linger:     model.DefaultLinger,
		Retain:     model.DefaultRetain,
		MaxMemory:  model.DefaultMaxMemory,
		MaxString:  model.DefaultMaxString,
		MaxStreams: model.DefaultMaxStreams,
		Warn:       model.DefaultThresholds,
	}
}

// errHelp is returned by ParseArgs when the user asked for help with -h.
var errHelp = errors.New("help requested")

// usageError is a bad command line; main exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// ParseArgs parses the command line (without the program name). env looks
// up environment variables (NO_COLOR). It returns errHelp for -h/--help and
// a usageError for anything it cannot accept.
func ParseArgs(args []string, env func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "demo", "test", "help", "version", "replay", "snapshot", "run":
			cfg.Command = args[0]
			args = args[1:]
		default:
			return cfg, usageError{fmt.Sprintf("unknown command %q (commands: demo, run, test, replay, snapshot, help, version)", args[0])}
		}
	}
	if cfg.Command == "help" {
		return cfg, nil
	}
	fs := newFlagSet(&cfg)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, errHelp
		}
		// The flag package spells flags with one dash; we document two.
		return cfg, usageError{strings.Replace(err.Error(), " -", " --", 1)}
	}
	if err := checkLinger(&cfg, fs); err != nil {
		return cfg, err
	}
	if err := parseAroundOperands(&cfg, fs, args); err != nil {
		return cfg, err
	}
	if err := checkAround(&cfg); err != nil {
		return cfg, err
	}
	if err := checkListenAddr("grpc", cfg.GRPCAddr); err != nil {
		return cfg, err
	}
	if err := checkListenAddr("http", cfg.HTTPAddr); err != nil {
		return cfg, err
	}
	if (cfg.Command == "demo" || cfg.Command == "test") && cfg.GRPCAddr == "" {
		return cfg, usageError{"spantop " + cfg.Command + " sends over OTLP/gRPC: --grpc must not be empty"}
	}
	if cfg.GRPCAddr == "" && cfg.HTTPAddr == "" {
		return cfg, usageError{"--grpc and --http are both empty: nothing would receive spans"}
	}
	if env != nil && env("NO_COLOR") != "" {
		cfg.NoColor = true
	}
	if cfg.Token == "" && env != nil {
		cfg.Token = strings.TrimSpace(env("SPANTOP_TOKEN"))
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return cfg, usageError{"--tls-cert and --tls-key go together: give both or neither"}
	}
	if cfg.Token == "" && !cfg.InsecureListen {
		for _, l := range []struct{ flag, addr string }{{"--grpc", cfg.GRPCAddr}, {"--http", cfg.HTTPAddr}} {
			if l.addr != "" && !ingest.IsLoopback(l.addr) {
				return cfg, usageError{fmt.Sprintf("%s %s listens beyond this machine: give --token TOKEN (or SPANTOP_TOKEN) so that only your clients are served, or --insecure-listen to serve anyone", l.flag, l.addr)}
			}
		}
	}
	return cfg, nil
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newFlagSet(cfg *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("spantop", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once by main
	fs.StringVar(&cfg.GRPCAddr, "grpc", cfg.GRPCAddr, "OTLP/gRPC listen `address` (empty disables)")
	fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "OTLP/HTTP listen `address` (empty disables)")
	fs.Var(sizeFlag{&cfg.MaxMessage, math.MaxInt32}, "max-message", "largest OTLP request after decompression; `size` is bytes or a number with KiB, MiB, GiB")
	fs.Var(durationFlag{&cfg.Linger}, "linger", "how long a finished span stays in the live tables, dimmed; while nothing arrives up to a fifth longer (`duration`, e.g. 30s, 2m; at most --retain)")
	fs.Var(durationFlag{&cfg.Retain}, "retain", "how long a finished span stays stored for its trace, details, operation and search, and logs with it (`duration`, e.g. 10m, 2h); the memory budget may remove the oldest sooner")
	fs.Var(sizeFlag{&cfg.MaxMemory, math.MaxInt64}, "max-memory", "memory budget for stored spans; `size` as for --max-message")
	fs.Var(sizeFlag{&cfg.MaxString, 1 << 30}, "max-string", "longest name or attribute value kept whole; longer ones are cut and marked truncated; `size` as for --max-message")
	fs.StringVar(&cfg.Token, "token", "", "require `token` from clients: Authorization: Bearer token (OTel SDKs: OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20token); default $SPANTOP_TOKEN")
	fs.BoolVar(&cfg.InsecureListen, "insecure-listen", false, "allow a non-loopback --grpc/--http address without --token")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "serve both listeners over TLS with this PEM certificate `file` (with --tls-key)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "the PEM private key `file` of --tls-cert")
	fs.Func("cors", "allow OTLP/HTTP from browser pages of `origin` (e.g. https://app.example; repeatable; * for any); loopback origins are always allowed", func(v string) error {
		cfg.CORS = append(cfg.CORS, v)
		return nil
	})
	fs.Var(positiveIntFlag{&cfg.MaxStreams}, "max-streams", "metric streams kept (name, service and attributes); new streams beyond `n` are counted and dropped")
	fs.StringVar(&cfg.LogFile, "log", "", "write diagnostics to `file` (default: discard; nothing is printed while the TUI runs)")
	fs.Var(durationFlag{&cfg.Warn.InFlight}, "warn-inflight", "warn of a span in flight longer than `duration`")
	fs.Var(durationFlag{&cfg.Warn.Propagation}, "warn-propagation", "judge a trace's context propagation (orphans, client spans without a remote child) once it has been quiet for `duration`")
	fs.Var(positiveIntFlag{&cfg.Warn.RootBurst}, "warn-root-burst", "warn when `n` new root spans start within 1s in a process while one of its requests is live")
	fs.Var(durationFlag{&cfg.Warn.Blocked}, "warn-blocked", "warn of a goroutine blocked longer than `duration` on a lock, or on a chan/select where the goroutines parked keep growing in number")
	fs.Var(durationFlag{&cfg.Warn.LongRun}, "warn-run", "warn of a goroutine that ran longer than `duration` without yielding")
	fs.Var(positiveIntFlag{&cfg.Warn.Growth}, "warn-growth", "warn when a service's goroutine count, or the number parked at one chan/select, keeps rising: its mean over the last `n` samples (seconds) above its highest over the n before")
	fs.Var(positiveFloatFlag{&cfg.Warn.ErrorSpike}, "warn-error-spike", "warn when an operation's error rate over 10s is `factor` times that of the minute before")
	addAroundFlags(fs, cfg)
	fs.BoolVar(&cfg.ASCII, "ascii", false, "draw with ASCII only")
	fs.BoolVar(&cfg.NoColor, "no-color", false, "draw without colour (also when NO_COLOR is set)")
	fs.BoolFunc("version", "print the version and exit", func(string) error {
		cfg.Command = "version"
		return nil
	})
	return fs
}

// Usage writes the help text.
func Usage(w io.Writer) {
	fmt.Fprint(w, `spantop — top for OpenTelemetry

Usage:
  spantop [flags]        receive OTLP on the addresses below and show it live
  spantop demo [flags]   the same, plus a built-in demo workload sending to it
  spantop test [flags] [go test flags] [packages]
                         go test -json shown live: each package, test and subtest a
                         span, the tests' own spans under theirs (TRACEPARENT); spantop's
                         flags (two dashes) come first, or end them with --; spantop
                         stays open after the run and exits with go test's status
  spantop run [flags] -- CMD ARGS…      the same, with CMD as a child sending to it
  spantop replay [flags] FILE…          play a recording (or Collector file-exporter file)
  spantop snapshot [flags] (--from FILE | --for DURATION | -- CMD ARGS…)
                         print the tables as text, JSON or markdown, without a terminal;
                         with -- go test …: the slowest tests and the failures too, go
                         test's text on stderr, and go test's exit status
  spantop help           this help
  spantop version        print the version

Point an application at it:
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_EXPORTER_OTLP_PROTOCOL=grpc
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf

Flags:
`)
	cfg := DefaultConfig()
	fs := newFlagSet(&cfg)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		def := f.DefValue
		switch f.Name {
		case "max-message", "max-memory", "max-string":
			// DefValue is already formatted by sizeFlag.String.
		case "version", "ascii", "no-color", "log", "token", "insecure-listen", "tls-cert", "tls-key", "cors",
			"record", "record-max", "record-keep", "forward-all", "paused", "child-output", "for", "speed":
			def = ""
		}
		if def != "" {
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(w, "%-28s %s\n", line, usage)
	})
	writeKeys(w)
}

// checkLinger keeps --linger within --retain: a span cannot stay in the
// live tables after it is no longer stored. An explicit --linger longer
// than --retain is refused; the default linger shrinks to a shorter
// --retain.
func checkLinger(cfg *Config, fs *flag.FlagSet) error {
	if cfg.Linger <= cfg.Retain {
		return nil
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "linger" })
	if explicit {
		return usageError{fmt.Sprintf("--linger %v is longer than --retain %v: a span cannot stay in the live tables after it is no longer stored; give --retain at least %v or a shorter --linger",
			cfg.Linger, cfg.Retain, cfg.Linger)}
	}
	cfg.Linger = cfg.Retain
	return nil
}

// durationFlag is a positive Go duration with a friendlier error than the
// flag package's "parse error".
type durationFlag struct{ p *time.Duration }

func (d durationFlag) String() string {
	if d.p == nil {
		return ""
	}
	return d.p.String()
}

func (d durationFlag) Set(v string) error {
	t, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration: use e.g. 30s, 90s or 5m", v)
	}
	if t <= 0 {
		return errors.New("must be positive")
	}
	*d.p = t
	return nil
}

// positiveIntFlag is an integer flag that must be at least 1.
type positiveIntFlag struct{ p *int }

func (f positiveIntFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.Itoa(*f.p)
}

func (f positiveIntFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return fmt.Errorf("%q is not a whole number ≥ 1", v)
	}
	*f.p = n
	return nil
}

// positiveFloatFlag is a number flag that must be above zero.
type positiveFloatFlag struct{ p *float64 }

func (f positiveFloatFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f positiveFloatFlag) Set(v string) error {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || !(n > 0) || math.IsInf(n, 0) {
		return fmt.Errorf("%q is not a number above 0", v)
	}
	*f.p = n
	return nil
}

// sizeFlag is a byte count flag that accepts plain bytes or KiB, MiB, GiB.
type sizeFlag struct {
	p   *int64
	max int64
}

func (s sizeFlag) String() string {
	if s.p == nil {
		return ""
	}
	return formatSize(*s.p)
}

func (s sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	if n <= 0 {
		return errors.New("must be positive")
	}
	if n > s.max {
		return fmt.Errorf("must be at most %s", formatSize(s.max))
	}
	*s.p = n
	return nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1},
}

// parseSize reads "512MiB", "64KiB", "1GiB", "1.5GiB" or "1048576" (bytes).
// Decimal units (MB, GB) are refused rather than guessed at.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	bad := fmt.Errorf("%q is not a size: use bytes or a number with KiB, MiB or GiB, e.g. 64MiB", s)
	if t == "" {
		return 0, bad
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n < 0 {
			return 0, bad
		}
		if n > math.MaxInt64/mult {
			return 0, fmt.Errorf("%q is too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || mult == 1 {
		return 0, bad
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(v), nil
}

// formatSize prints n in the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range sizeUnits[:3] {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
