package main

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1048576", 1 << 20},
		{"512B", 512},
		{"64KiB", 64 << 10},
		{"64MiB", 64 << 20},
		{"512MiB", 512 << 20},
		{"2GiB", 2 << 30},
		{"1.5GiB", 3 << 29},
		{" 8 MiB ", 8 << 20},
	} {
		got, err := parseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "MiB", "64MB", "1GB", "-1", "-1KiB", "1.5", "abc", "1e3", "9999999999GiB", "NaNGiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[int64]string{
		64 << 20: "64MiB", 512 << 20: "512MiB", 1 << 30: "1GiB", 1536: "1536", 3 << 10: "3KiB", 7: "7",
	} {
		if got := formatSize(in); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	noEnv := func(string) string { return "" }
	cfg, err := ParseArgs(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig()) {
		t.Errorf("no args: %+v, want the defaults %+v", cfg, DefaultConfig())
	}
	cfg, err = ParseArgs([]string{"demo", "--grpc", "127.0.0.1:0", "-http=127.0.0.1:0", "--max-message", "1MiB",
		"--retain", "90s", "--max-memory", "1GiB", "--max-string", "16KiB", "--max-streams", "50", "--log", "x.log", "--ascii", "--no-color",
		"--warn-inflight", "1m", "--warn-propagation", "2s", "--warn-root-burst", "3", "--warn-blocked", "20s",
		"--warn-run", "50ms", "--warn-growth", "30", "--warn-error-spike", "2.5",
		"--token", "t", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--cors", "https://a.example", "--cors", "*"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Command: "demo", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MaxMessage: 1 << 20,
		Linger: model.DefaultLinger, Retain: 90 * time.Second, MaxMemory: 1 << 30, MaxString: 16 << 10, MaxStreams: 50, LogFile: "x.log", ASCII: true, NoColor: true,
		Warn: model.Thresholds{InFlight: time.Minute, Propagation: 2 * time.Second, RootBurst: 3, Blocked: 20 * time.Second,
			LongRun: 50 * time.Millisecond, Growth: 30, ErrorSpike: 2.5},
		Token: "t", TLSCert: "c.pem", TLSKey: "k.pem", CORS: []string{"https://a.example", "*"}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
	cfg, err = ParseArgs(nil, func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	})
	if err != nil || !cfg.NoColor {
		t.Errorf("NO_COLOR=1: NoColor=%v, err=%v", cfg.NoColor, err)
	}
	for _, args := range [][]string{{"help"}, {"version"}, {"--version"}} {
		cfg, err := ParseArgs(args, noEnv)
		if err != nil || cfg.Command != strings.TrimPrefix(args[0], "--") {
			t.Errorf("%v: command %q, err %v", args, cfg.Command, err)
		}
	}
	if _, err := ParseArgs([]string{"-h"}, noEnv); !errors.Is(err, errHelp) {
		t.Errorf("-h: %v, want errHelp", err)
	}
}

// --linger defaults to 30s and --retain to 1h; a --retain shorter than
// the default linger shortens it (nothing stays shown once not stored).
func TestLingerWithinRetain(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		linger, retain time.Duration
	}{
		{nil, 30 * time.Second, time.Hour},
		{[]string{"--linger", "2s", "--retain", "1m"}, 2 * time.Second, time.Minute},
		{[]string{"--retain", "10s"}, 10 * time.Second, 10 * time.Second},
		{[]string{"--linger", "5m"}, 5 * time.Minute, time.Hour},
		{[]string{"--linger", "1m", "--retain", "1m"}, time.Minute, time.Minute},
	} {
		cfg, err := ParseArgs(tc.args, nil)
		if err != nil || cfg.Linger != tc.linger || cfg.Retain != tc.retain {
			t.Errorf("%q: linger %v retain %v (err %v), want %v and %v", tc.args, cfg.Linger, cfg.Retain, err, tc.linger, tc.retain)
		}
		if mc := modelConfig(cfg); mc.Linger != tc.linger || mc.Retain != tc.retain {
			t.Errorf("%q: the model is configured with linger %v retain %v", tc.args, mc.Linger, mc.Retain)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the message
	}{
		{[]string{"--retain", "soon"}, `"soon" is not a duration`},
		{[]string{"--retain", "-5s"}, "--retain: must be positive"},
		{[]string{"--linger", "soon"}, `"soon" is not a duration`},
		{[]string{"--linger", "0"}, "--linger: must be positive"},
		{[]string{"--linger", "2m", "--retain", "1m"}, "--linger 2m0s is longer than --retain 1m0s"},
		{[]string{"--linger", "2h"}, "--linger 2h0m0s is longer than --retain 1h0m0s"},
		{[]string{"--max-memory", "512MB"}, "KiB, MiB or GiB"},
		{[]string{"--max-memory", "0"}, "--max-memory: must be positive"},
		{[]string{"--max-message", "4GiB"}, "at most"},
		{[]string{"--nope"}, "not defined: --nope"},
		{[]string{"serve"}, `unknown command "serve"`},
		{[]string{"--ascii", "extra"}, `unexpected argument "extra"`},
		{[]string{"--grpc", "", "--http", ""}, "both empty"},
		{[]string{"demo", "--grpc", ""}, "--grpc must not be empty"},
		{[]string{"--warn-root-burst", "0"}, "not a whole number ≥ 1"},
		{[]string{"--warn-error-spike", "-1"}, "not a number above 0"},
		{[]string{"--warn-blocked", "0s"}, "--warn-blocked: must be positive"},
	} {
		_, err := ParseArgs(tc.args, nil)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		out, errs  string
		errOneLine bool
	}{
		{args: []string{"help"}, code: 0, out: "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{args: []string{"--help"}, code: 0, out: "--max-memory"},
		{args: []string{"version"}, code: 0, out: "spantop "},
		{args: []string{"--max-memory", "lots"}, code: 2, errs: "spantop: invalid value", errOneLine: true},
		{args: []string{"bogus"}, code: 2, errs: "unknown command", errOneLine: true},
		{args: []string{"--grpc", "0.0.0.0:0"}, code: 2, errs: "--grpc 0.0.0.0:0 listens beyond this machine: give --token", errOneLine: true},
		{args: []string{"--http", "[::]:0"}, code: 2, errs: "--http [::]:0 listens beyond this machine", errOneLine: true},
		{args: []string{"--http", ":0"}, code: 2, errs: "--http :0 listens beyond this machine", errOneLine: true},
		{args: []string{"--tls-cert", "c.pem"}, code: 2, errs: "--tls-cert and --tls-key go together", errOneLine: true},
	} {
		var out, errs bytes.Buffer
		code := run(tc.args, &out, &errs)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errs.String(), tc.errs) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out.String(), errs.String(), tc.code, tc.out, tc.errs)
		}
		if tc.errOneLine && strings.Count(errs.String(), "\n") != 1 {
			t.Errorf("%q: stderr is not one line: %q", tc.args, errs.String())
		}
	}
}

func TestHeapLimitLeavesRoomAboveTheBudget(t *testing.T) {
	cfg := Config{MaxMemory: 512 << 20, MaxMessage: 64 << 20}
	// The budget, a quarter more, the in-flight bound (half the budget) and 32 MiB.
	if got, want := heapLimit(cfg), int64(512+128+256+32)<<20; got != want {
		t.Fatalf("heap limit %d MiB, want %d MiB", got>>20, want>>20)
	}
}

// A non-loopback address needs a token (flag or SPANTOP_TOKEN) or an
// explicit --insecure-listen; loopback names and addresses need neither.
func TestNonLoopbackNeedsTokenOrInsecure(t *testing.T) {
	env := func(token string) func(string) string {
		return func(k string) string {
			if k == "SPANTOP_TOKEN" {
				return token
			}
			return ""
		}
	}
	for _, tc := range []struct {
		args  []string
		token string
		ok    bool
	}{
		{args: []string{"--grpc", "0.0.0.0:4317"}},
		{args: []string{"--grpc", "example.org:4317"}},
		{args: []string{"--grpc", "0.0.0.0:4317", "--token", "s3cret"}, ok: true},
		{args: []string{"--grpc", "0.0.0.0:4317"}, token: "s3cret", ok: true},
		{args: []string{"--http", "[::]:4318", "--insecure-listen"}, ok: true},
		{args: []string{"--grpc", "localhost:4317", "--http", "[::1]:4318"}, ok: true},
		{args: []string{"--grpc", "127.0.0.2:4317"}, ok: true},
	} {
		cfg, err := ParseArgs(tc.args, env(tc.token))
		if (err == nil) != tc.ok {
			t.Errorf("%q (SPANTOP_TOKEN %q): err %v, want ok %v", tc.args, tc.token, err, tc.ok)
		}
		if err == nil && tc.token != "" && cfg.Token != tc.token {
			t.Errorf("%q: token %q from SPANTOP_TOKEN, want %q", tc.args, cfg.Token, tc.token)
		}
	}
}
