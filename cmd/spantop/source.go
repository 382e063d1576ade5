package main

import (
	"errors"

	"github.com/spantop/spantop/model"
	"github.com/spantop/spantop/ui"
)

var _ ui.Source = source{}

// source is what the UI reads: the model, and the execution traces the
// trace reader keeps for SaveTrace.
type source struct {
	*model.Model
}

// SaveTrace writes the recent execution trace of a goroutine's process to
// a file `go tool trace` opens and returns its path.
func (s source) SaveTrace(id uint64) (string, error) {
	return "", errors.New("no execution trace is held for this goroutine's process")
}
