package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTmuxLogsMetrics drives the logs and metrics views of the real binary
// running `spantop demo` in tmux at 80x24 and 200x50: the live tail, a
// severity filter, a record and its span, the metrics and a chart.
func TestTmuxLogsMetrics(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1]), func(t *testing.T) {
			tm := startTerm(t, sz[0], sz[1], "demo")
			tm.waitFor("logs from the demo", func(s string) bool { return regexp.MustCompile(`logs [1-9]`).MatchString(s) })
			tm.keys("L")
			tm.waitText("Logs", "following", "Sev", "Body")
			tm.keys("/")
			tm.keys("-l", "severity>=warn")
			tm.keys("Enter")
			rowRe := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} (\S+)`)
			// Done typing (enter taken, the whole filter on the filter line):
			// a frame drawn between two keys shows the filter as far as it
			// was typed, and a part of it may match every record.
			s := tm.waitFor("warn or error rows", func(s string) bool {
				return strings.Contains(s, "logs matching") && strings.Contains(s, "filter: severity>=warn") && rowRe.MatchString(s)
			})
			for _, m := range rowRe.FindAllStringSubmatch(s, -1) {
				if m[1] != "warn" && m[1] != "error" && m[1] != "fatal" {
					t.Errorf("severity>=warn shows a %s row:\n%s", m[1], s)
				}
			}
			tm.keys("Enter")
			// The record's span may arrive after the record (the SDK
			// batches spans): wait for the link to it.
			tm.waitText("severity", "Body", "Attributes", "(id ")
			tm.keys("Enter") // the span link
			tm.waitText("Trace (", "span id")
			tm.keys("Escape")
			time.Sleep(200 * time.Millisecond) // an Escape followed at once by a key reads as alt+key
			tm.waitText("Body")
			tm.keys("M")
			tm.waitText("metrics", "shop.requests", "Value")
			tm.keys("Enter")
			tm.waitText("Last 5 minutes", "Streams (")
			tm.keys("Escape")
			time.Sleep(200 * time.Millisecond)
			tm.waitText("shop.requests")
			tm.keys("q")
			if code := tm.waitExit(); code != 0 {
				t.Errorf("exit status %d after q, want 0", code)
			}
		})
	}
}
