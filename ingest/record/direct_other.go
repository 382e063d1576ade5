//go:build !linux

package record

import (
	"errors"
	"os"
)

// setDirect says O_DIRECT is not used here: files go through the page cache.
func setDirect(*os.File, bool) error { return errors.ErrUnsupported }

// directBuffer is an aligned buffer of the heap here.
func directBuffer(n int) (buf []byte, free func()) { return alignedBuffer(n), func() {} }
