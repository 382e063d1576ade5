package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/spantop/spantop/agentlib"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

// ordinaryAppCommand runs the test binary as an ordinary app using
// agentlib the way the README shows: no service name given to agentlib,
// the tracer provider names the service, a worker started by agentlib.Go
// right after Start (before any trace session), one span in flight long
// enough to be sent as a snapshot and exported by the app's exporter too,
// then a clean shutdown.
const ordinaryAppCommand = "ordinary-app"

func init() {
	if len(os.Args) > 2 && os.Args[1] == ordinaryAppCommand {
		os.Exit(runOrdinaryApp(os.Args[2]))
	}
}

func runOrdinaryApp(endpoint string) int {
	ctx := context.Background()
	stop, err := agentlib.Start(ctx, agentlib.Options{Endpoint: endpoint})
	if err != nil {
		fmt.Fprintln(os.Stderr, "agentlib:", err)
		return 1
	}
	quit := make(chan struct{})
	agentlib.Go(ctx, "consumer", func(context.Context) { <-quit })

	exp, err := agentlib.NewSpanExporter(agentlib.Options{Endpoint: endpoint})
	if err != nil {
		fmt.Fprintln(os.Stderr, "exporter:", err)
		return 1
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "myapp"))),
		sdktrace.WithBatcher(exp),
		sdktrace.WithSpanProcessor(agentlib.SpanProcessor()))
	_, span := tp.Tracer("app").Start(ctx, "work")
	for deadline := time.Now().Add(10 * time.Second); !agentlib.ReadStats().Tracing; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "agentlib never started tracing")
			return 1
		}
	}
	time.Sleep(1200 * time.Millisecond)
	span.End()
	time.Sleep(1500 * time.Millisecond) // a generation or two with the consumer waiting
	close(quit)
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "tp shutdown:", err)
	}
	if err := stop(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "agentlib stop:", err)
	}
	return 0
}

// TestAgentlibOrdinaryApp: what a user of the README's agentlib section
// sees. The worker started right after Start has its name; the app is
// one service; its span is stored once; after a clean exit its
// goroutines have exited, none is lost.
func TestAgentlibOrdinaryApp(t *testing.T) {
	runAgentlibApp(t, ordinaryAppCommand, func(_ *Main, src ui.Source, app *exec.Cmd) error {
		return checkOrdinaryApp(src, app)
	})
}

func checkOrdinaryApp(src ui.Source, app *exec.Cmd) error {
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	var problems []string
	sawConsumer := false
	deadline := time.After(30 * time.Second)
	for running := true; running; {
		select {
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("app: %v", err)
			}
			running = false
		case <-deadline:
			return fmt.Errorf("the app did not finish")
		case <-time.After(100 * time.Millisecond):
		}
		if src.Tasks(model.Query{Sort: model.TaskID, Limit: 1, Goroutines: true, Filter: "kind=goroutine name=consumer"}).Total == 1 {
			sawConsumer = true
		}
	}
	// Longer than a silent process takes to be called lost (5 heartbeats):
	// a process that said goodbye must not be.
	time.Sleep(6 * time.Second)
	if !sawConsumer {
		var rows []string
		for _, r := range src.Tasks(model.Query{Sort: model.TaskID, Limit: 30, Goroutines: true, Filter: "kind=goroutine"}).Rows {
			rows = append(rows, r.Name)
		}
		problems = append(problems, "no goroutine named consumer; goroutines: "+strings.Join(rows, ", "))
	}
	if p := src.Tasks(model.Query{Sort: model.TaskID, Limit: 5, Filter: "name=work"}); p.Total != 1 {
		problems = append(problems, fmt.Sprintf("span work stored %d times", p.Total))
	}
	h := src.Header()
	if h.Services != 1 {
		var names []string
		for _, r := range src.Resources(model.Query{Sort: model.ResID, Limit: 10, Filter: "kind=service"}).Rows {
			names = append(names, r.Target)
		}
		problems = append(problems, fmt.Sprintf("%d services, want 1 (myapp): %v", h.Services, names))
	}
	// The consumer exited with the app; nothing of a clean exit is lost.
	if p := src.Tasks(model.Query{Sort: model.TaskID, Limit: 30, Goroutines: true, Filter: "kind=goroutine state=lost"}); p.Total != 0 {
		problems = append(problems, fmt.Sprintf("%d goroutines lost after a clean exit (header lost %d)", p.Total, h.Lost))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}
