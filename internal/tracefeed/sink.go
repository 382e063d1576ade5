// Package tracefeed hands the execution-trace chunks that ingest decodes
// to gotrace's reader, for live receivers and replay alike.
package tracefeed

import (
	"errors"
	"sync/atomic"

	"github.com/spantop/spantop/gotrace"
	"github.com/spantop/spantop/ingest"
	"github.com/spantop/spantop/model"
)

// Sink is ingest's TraceSink over a gotrace Reader: it offers each chunk
// and translates the reader's answers into what ingest tells the sender.
type Sink struct {
	Reader *gotrace.Reader
	// Finals, when set, counts the last chunks of generations accepted:
	// as many generations are to come out of the reader.
	Finals *atomic.Uint64
}

// Offer implements ingest.TraceSink.
func (s Sink) Offer(chunks []model.TraceChunk) (rejected int, msg string, err error) {
	for i := range chunks {
		final := chunks[i].Final
		switch e := s.Reader.Offer(&chunks[i]); {
		case e == nil:
			if final && s.Finals != nil {
				s.Finals.Add(1)
			}
		case errors.Is(e, gotrace.ErrCorrupt):
			if rejected == 0 {
				msg = e.Error()
			}
			rejected++
		case errors.Is(e, gotrace.ErrClosed):
			return 0, "", ingest.ErrQueueClosed
		default: // dropped: over a budget or behind; the sender may retry
			err = ingest.ErrQueueFull
		}
	}
	return rejected, msg, err
}
