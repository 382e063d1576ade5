package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spantop/spantop/gotrace"
	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

// source is what the UI reads: the model, which also answers for the
// execution traces (see execTraces), and SaveTrace, which writes a file.
type source struct {
	*model.Model
	traces *gotrace.Reader
	// dir is where SaveTrace writes; "" is the working directory.
	dir string
}

var _ ui.Source = source{}

// execTraces tells the model about the execution traces the trace reader
// keeps (model.ExecTraces).
type execTraces struct {
	r *gotrace.Reader
	// queueDrops counts parsed generations the ingest queue refused.
	queueDrops *atomic.Int64
}

func (e execTraces) TraceFigures() (generations, gaps, dropped, corrupt uint64) {
	st := e.r.Stats()
	dropped = st.DroppedChunks + st.DroppedGenerations + st.SenderDropped
	if e.queueDrops != nil {
		dropped += uint64(e.queueDrops.Load())
	}
	return st.Generations, st.Gaps, dropped, st.Corrupt
}

func (e execTraces) HasTrace(res model.Resource, session uint64) bool { return e.r.Has(res, session) }

// SaveTrace writes the recent execution trace of a goroutine's process to
// a file `go tool trace` opens and returns its path.
func (s source) SaveTrace(id uint64) (string, error) {
	if s.traces == nil {
		return "", errors.New("this spantop reads no execution traces")
	}
	res, session, service, ok := s.Model.GoroutineOrigin(id)
	if !ok {
		return "", errors.New("the goroutine is no longer stored")
	}
	name := fmt.Sprintf("spantop-%s-%s.trace", fileSafe(service), time.Now().Format("20060102-150405"))
	path := filepath.Join(s.dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	if err := s.traces.Save(f, res, session); err != nil {
		_ = f.Close()
		_ = os.Remove(path) // a partial trace is worse than none
		return "", err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return "", err
	}
	return path, nil
}

// fileSafe keeps letters, digits, '-' and '_' of a service name for a file
// name; the name came from the wire.
func fileSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" {
		s = "process"
	}
	return s
}
