package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// With --linger 2s --retain 1m, a span from the real OTel SDK leaves the
// live table two seconds after it finished, but stays stored: the title
// counts it, a filter with its trace ID lists it, `a` lists it, and its
// waterfall still opens.
func TestTmuxLingerThenStored(t *testing.T) {
	for _, size := range [][2]int{{200, 50}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			tm := startTerm(t, size[0], size[1], "--linger", "2s", "--retain", "1m")
			tm.waitFor("the first frame", func(s string) bool { return received(s) == 0 })
			sent := sendSpans(t, grpcExporter(t, tm.grpc), 3)
			sentAt := time.Now()
			tm.waitFor("the spans", func(s string) bool { return received(s) == sent && strings.Contains(s, "e2e-checkout") })

			// Its trace ID, from its details.
			tm.keys("g", "Enter")
			s := tm.waitText("trace id", "e2e-checkout")
			m := regexp.MustCompile(`trace id\s+([0-9a-f]{32})`).FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("no trace id in the details:\n%s", s)
			}
			traceID := m[1]
			tm.keys("Escape")

			// Out of the live table after linger; counted in the title.
			s = tm.waitFor("the spans to leave the live table", func(s string) bool {
				return !strings.Contains(s, "e2e-checkout") && !strings.Contains(s, "e2e-quick") && strings.Contains(s, "kept")
			})
			if time.Since(sentAt) < 2*time.Second {
				t.Fatalf("the spans left the live table %v after they were sent, before --linger 2s", time.Since(sentAt))
			}
			if !strings.Contains(s, "no span finished within --linger") {
				t.Errorf("the empty live table does not say the older spans are stored:\n%s", s)
			}

			// A pasted trace ID finds the trace: its waterfall, with the
			// spans that left the live table.
			tm.keys("/")
			tm.keys("-l", traceID[:16])
			tm.keys("Enter")
			tm.waitText("trace ", "Duration", "e2e-checkout", "e2e-select-orders")
			tm.keys("Escape") // the traces table, filtered to it
			tm.waitText("1 traces matching", "e2e-checkout")
			tm.keys("t")
			tm.waitFor("the live spans table", func(s string) bool { return !strings.Contains(s, "e2e-checkout") && strings.Contains(s, "kept") })

			// A filter naming the trace lists its stored spans.
			tm.keys("/")
			tm.keys("-l", "trace="+traceID[:16])
			tm.keys("Enter")
			// (/ edits: the editor is closed, so the whole filter is applied.
			s = tm.waitText("(/ edits", "spans matching", "e2e-checkout", "e2e-select-orders")
			if strings.Contains(s, "e2e-quick") {
				t.Errorf("the trace filter lists a span of another trace:\n%s", s)
			}
			// Its waterfall still opens.
			tm.keys("g", "w")
			tm.waitText("trace ", "Duration", "e2e-checkout", "e2e-select-orders") // the waterfall's title and header
			tm.keys("Escape")
			tm.waitFor("the filtered table", func(s string) bool {
				return strings.Contains(s, "spans matching") && strings.Contains(s, "e2e-select-orders")
			})
			tm.keys("Escape") // clears the filter: the live table, empty again
			tm.waitFor("the live table again", func(s string) bool { return !strings.Contains(s, "e2e-checkout") && strings.Contains(s, "kept") })

			// a lists every stored span; again, the live table.
			tm.keys("a")
			tm.waitText("all stored", "e2e-checkout", "e2e-quick")
			tm.keys("a")
			tm.waitFor("the live table after a again", func(s string) bool { return !strings.Contains(s, "e2e-quick") })

			tm.keys("q")
			if code := tm.waitExit(); code != 0 {
				t.Errorf("exit status %d after q, want 0", code)
			}
		})
	}
}
