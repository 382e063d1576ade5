package spantoptest

import (
	"context"
	"sync"
)

// Reset forgets the connection, so that a test can set up another.
func Reset() {
	if current != nil {
		_ = current.tp.Shutdown(context.Background())
	}
	setupOnce = sync.Once{}
	current = nil
}
