package gotrace

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"github.com/spantop/spantop/model"
)

// ErrNoTrace is Save's answer when no recent trace of the process is kept.
var ErrNoTrace = errors.New("gotrace: no recent execution trace kept for this process")

// keptGen is one whole generation of raw trace kept for Save.
type keptGen struct {
	gen        uint64
	data       []byte
	start, end int64 // wall-clock Unix ns
}

// keep adds a parsed generation to the stream's recent raw trace. What is
// kept is always contiguous, so a file made of it reads as one trace: a
// gap or a new header starts it over.
func (r *Reader) keep(s *stream, job *genJob, b *model.RuntimeBatch) {
	n := int64(len(job.data))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if job.fresh || !bytes.Equal(s.keptHeader, job.header) ||
		len(s.kept) > 0 && s.kept[len(s.kept)-1].gen+1 != job.gen {
		s.dropKeptLocked()
	}
	s.keptHeader = job.header
	s.kept = append(s.kept, keptGen{gen: job.gen, data: job.data, start: b.Start, end: b.End})
	s.keptBytes += n
	r.c.kept.Add(n)
	horizon := b.End - r.opts.Keep.Nanoseconds()
	for len(s.kept) > 0 && (s.kept[0].end < horizon || s.keptBytes > r.opts.KeepBytes/2) {
		s.dropOldestLocked()
	}
	s.mu.Unlock()
	if r.c.kept.Load() > r.opts.KeepBytes {
		r.evictKept()
	}
}

func (s *stream) dropOldestLocked() {
	n := int64(len(s.kept[0].data))
	s.kept[0] = keptGen{}
	s.kept = s.kept[1:]
	s.keptBytes -= n
	s.r.c.kept.Add(-n)
}

func (s *stream) dropKeptLocked() {
	for len(s.kept) > 0 {
		s.dropOldestLocked()
	}
	s.kept = nil
}

// evictKept drops the oldest kept generations over all streams until the
// kept trace fits KeepBytes.
func (r *Reader) evictKept() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.c.kept.Load() > r.opts.KeepBytes {
		var oldest *stream
		var end int64
		for _, s := range r.streams {
			s.mu.Lock()
			if len(s.kept) > 0 && (oldest == nil || s.kept[0].end < end) {
				oldest, end = s, s.kept[0].end
			}
			s.mu.Unlock()
		}
		if oldest == nil {
			return
		}
		oldest.mu.Lock()
		if len(oldest.kept) > 0 {
			oldest.dropOldestLocked()
		}
		oldest.mu.Unlock()
	}
}

// find returns the stream of a process and session; session 0 means the
// process's stream whose kept trace is the most recent.
func (r *Reader) find(res model.Resource, session uint64) *stream {
	proc := ProcessKey(res)
	r.mu.Lock()
	defer r.mu.Unlock()
	if session != 0 {
		return r.streams[streamKey{proc, session}]
	}
	var best *stream
	var end int64
	for k, s := range r.streams {
		if k.proc != proc {
			continue
		}
		s.mu.Lock()
		if len(s.kept) > 0 && (best == nil || s.kept[len(s.kept)-1].end > end) {
			best, end = s, s.kept[len(s.kept)-1].end
		}
		s.mu.Unlock()
	}
	return best
}

// Has reports whether a recent execution trace of the process (and
// session; 0 for its latest) is kept, so Save can write it.
func (r *Reader) Has(res model.Resource, session uint64) bool {
	s := r.find(res, session)
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.kept) > 0
}

// Save writes the kept recent execution trace of a process (and session;
// 0 for its latest) to w: the trace header and the last seconds of whole
// generations, a file `go tool trace` opens.
func (r *Reader) Save(w io.Writer, res model.Resource, session uint64) error {
	s := r.find(res, session)
	if s == nil {
		return ErrNoTrace
	}
	s.mu.Lock()
	header, gens := s.keptHeader, slices.Clone(s.kept)
	s.mu.Unlock()
	if len(gens) == 0 {
		return ErrNoTrace
	}
	// The kept bytes are never changed once kept, so they are written
	// without the lock.
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, g := range gens {
		if _, err := w.Write(g.data); err != nil {
			return err
		}
	}
	return nil
}
