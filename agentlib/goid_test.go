package agentlib

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// TestGoIDMatchesTheStack checks the fast goroutine ID against the one the
// runtime prints, in goroutines started at different times and depths.
func TestGoIDMatchesTheStack(t *testing.T) {
	if haveGWord && goidOffset < 0 {
		t.Fatalf("no goroutine ID offset found on %s: goID falls back to runtime.Stack", runtime.GOARCH)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	var spawn func(depth int)
	spawn = func(depth int) {
		defer wg.Done()
		if got, want := goID(), stackGoID(); got != want || want == 0 {
			errs <- fmt.Sprintf("goID %d, stack says %d", got, want)
		}
		if depth < 3 {
			for range 3 {
				wg.Add(1)
				go spawn(depth + 1)
			}
		}
	}
	for range 20 {
		wg.Add(1)
		go spawn(0)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if goID() != stackGoID() {
		t.Errorf("test goroutine: goID %d, stack %d", goID(), stackGoID())
	}
}
