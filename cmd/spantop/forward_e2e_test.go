package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/ui"
)

// A second spantop receives everything the first forwards, over gRPC and
// over HTTP.
func TestForwardToSecondSpantop(t *testing.T) {
	app := otelApp(t)
	for _, scheme := range []string{"grpc", "http"} {
		t.Run(scheme, func(t *testing.T) {
			second := testMain(t)
			gotAll := make(chan int, 1)
			second.UI = func(ctx context.Context, src ui.Source, _ ui.Options) error {
				deadline := time.Now().Add(15 * time.Second)
				for src.Header().Spans < 40 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				gotAll <- src.Header().Spans
				<-ctx.Done()
				return nil
			}
			if err := second.Open(); err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			secondDone := make(chan error, 1)
			go func() { secondDone <- second.Run(ctx) }()

			target := second.Server.GRPCAddr() // bare host:port is gRPC
			if scheme == "http" {
				target = "http://" + second.Server.HTTPAddr()
			}
			first := testMain(t)
			first.Config.Around.Forward = []string{target}
			var note string
			first.UI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
				cmd := exec.Command(app)
				cmd.Env = append(childEnv(os.Environ(), first.Server.GRPCAddr(), ""), "OTELAPP_REQUESTS=20")
				if out, err := cmd.CombinedOutput(); err != nil {
					return fmt.Errorf("otelapp: %v\n%s", err, out)
				}
				select {
				case n := <-gotAll:
					if n != 40 {
						t.Errorf("the second spantop got %d spans, want 40", n)
					}
				case <-time.After(20 * time.Second):
					t.Error("the second spantop never got the spans")
				}
				note = opts.Status()
				return nil
			}
			if err := first.Open(); err != nil {
				t.Fatal(err)
			}
			if err := first.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			stop()
			if err := <-secondDone; err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(note, "sent ") || strings.Contains(note, "dropped") {
				t.Errorf("header note %q", note)
			}
		})
	}
}

// With the target down, spantop keeps receiving and counts what it could
// not forward.
func TestForwardTargetDown(t *testing.T) {
	app := otelApp(t)
	down := freeAddr(t) // nothing listens there now
	m := testMain(t)
	m.Config.Around.Forward = []string{"grpc://" + down}
	var spans int
	m.UI = func(ctx context.Context, src ui.Source, opts ui.Options) error {
		cmd := exec.Command(app)
		cmd.Env = append(childEnv(os.Environ(), m.Server.GRPCAddr(), ""), "OTELAPP_REQUESTS=5")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("otelapp: %v\n%s", err, out)
		}
		deadline := time.Now().Add(10 * time.Second)
		for src.Header().Spans < 10 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		spans = src.Header().Spans
		return nil
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if spans != 10 {
		t.Errorf("spantop stored %d spans with its forward target down, want 10", spans)
	}
	// Shutdown gives the target serverStopWait, then drops what is left.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("spantop took %v to stop", d)
	}
	log, err := os.ReadFile(m.Config.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`forward ` + regexp.QuoteMeta(down) + `: 0 sent, [1-9][0-9]* dropped`).Match(log) {
		t.Errorf("log lacks the dropped count:\n%s", log)
	}
}
