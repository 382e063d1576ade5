// Package gotestmod is a small module that `spantop snapshot -- go test`'s
// end-to-end test runs: a slow passing test, a failing one, a skipped one
// and a test with subtests. It fails on purpose, so it lives under
// testdata, out of spantop's ./... .
package gotestmod

import (
	"testing"
	"time"
)

func TestSlowPass(t *testing.T) {
	time.Sleep(700 * time.Millisecond)
}

func TestFails(t *testing.T) {
	t.Log("checking the answer")
	t.Errorf("the answer was %d, want 42", 41)
}

func TestSkipped(t *testing.T) {
	t.Skip("not on this machine")
}

func TestTable(t *testing.T) {
	for _, c := range []struct {
		name string
		wait time.Duration
	}{{"quick", 0}, {"slower case", 300 * time.Millisecond}} {
		t.Run(c.name, func(t *testing.T) {
			time.Sleep(c.wait)
		})
	}
}
