package ui

import (
	"os"
	"testing"
	"time"
)

// TestMain shows times in UTC, so that goldens do not depend on the
// machine's time zone. It is set once, before any test starts a timer:
// a test that swapped time.Local raced with the timers' time.Now.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}
