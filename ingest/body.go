package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Request bodies are read into pooled buffers of a few size classes, each
// buffer's whole capacity reserved from the in-flight bound before it is
// allocated or taken from the pool. A size known in advance (HTTP's
// Content-Length, gzip's trailer) is read into one buffer of that size, so
// a body is never held twice while a buffer doubles.

// Buffer classes: 64 KiB × 4^k up to 4 MiB; larger bodies get a buffer of
// their exact size that is not pooled.
const (
	minBufClass = 64 << 10
	maxBufClass = 4 << 20
)

var bufPools [4]sync.Pool // 64 KiB, 256 KiB, 1 MiB, 4 MiB

// bufClass returns the pool index and capacity for n bytes, or -1 and n
// when n is over the largest class.
func bufClass(n int) (int, int) {
	c := minBufClass
	for i := range bufPools {
		if n <= c {
			return i, c
		}
		c <<= 2
	}
	return -1, n
}

// getBuf returns an empty buffer with room for at least n bytes, after
// reserving its capacity in res.
func getBuf(n int, res *reservation) ([]byte, error) {
	i, c := bufClass(n)
	if c > n && int64(c) > res.f.limit/4 {
		i, c = -1, n // a bound this small (tests) cannot afford the rounding
	}
	if err := res.grow(int64(c)); err != nil {
		return nil, err
	}
	if i >= 0 {
		if p, ok := bufPools[i].Get().(*[]byte); ok {
			return (*p)[:0], nil
		}
	}
	return make([]byte, 0, c), nil
}

// putBuf returns b to its pool and its capacity to res.
func putBuf(b []byte, res *reservation) {
	if b == nil {
		return
	}
	res.shrink(int64(cap(b)))
	if i, c := bufClass(cap(b)); i >= 0 && c == cap(b) {
		b = b[:0]
		bufPools[i].Put(&b)
	}
}

// readCapped reads src to its end into a pooled buffer: at most max bytes
// (more is tooLarge), expecting about hint bytes (0 if unknown). Every
// buffer is reserved in res before it is allocated; a failed read returns
// its buffer itself.
func readCapped(src io.Reader, hint, max int, res *reservation) ([]byte, error) {
	if hint > max {
		return nil, tooLargeBody(max)
	}
	// One byte more than expected, so that the end is seen without growing.
	b, err := getBuf(min(hint+1, max+1), res)
	if err != nil {
		return nil, err
	}
	for {
		if len(b) == cap(b) {
			if len(b) > max {
				putBuf(b, res)
				return nil, tooLargeBody(max)
			}
			nb, err := getBuf(min(2*cap(b), max+1), res)
			if err != nil {
				putBuf(b, res)
				return nil, err
			}
			nb = append(nb, b...)
			putBuf(b, res)
			b = nb
		}
		n, err := src.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			if len(b) > max {
				putBuf(b, res)
				return nil, tooLargeBody(max)
			}
			return b, nil
		}
		if err != nil {
			putBuf(b, res)
			return nil, err
		}
	}
}

func tooLargeBody(max int) error {
	return tooLarge{fmt.Sprintf("request body larger than the limit of %d bytes", max)}
}

// isGzip reports whether b starts like a gzip stream. No OTLP request can:
// 0x1f would be a tag of field 3 with the invalid wire type 7.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

var gzipReaders sync.Pool

// inflate gunzips z into a pooled buffer of at most max bytes. The size
// the gzip trailer declares is read first: a body that says it is larger
// than max is refused before anything is inflated, and an honest one is
// inflated into one buffer of its size (a lying one only grows the buffer
// step by step, each step reserved).
func inflate(z []byte, max int, res *reservation) ([]byte, error) {
	hint := 0
	if len(z) >= 18 { // header 10, trailer 8
		hint = int(binary.LittleEndian.Uint32(z[len(z)-4:]))
		if hint > max {
			return nil, tooLargeBody(max)
		}
	}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(z))
	} else {
		err = zr.Reset(bytes.NewReader(z))
	}
	if err != nil {
		return nil, gzipError(err)
	}
	defer gzipReaders.Put(zr)
	out, err := readCapped(zr, hint, max, res)
	if err != nil {
		var tl tooLarge
		if errors.As(err, &tl) || errors.Is(err, errBusy) {
			return nil, err
		}
		return nil, gzipError(err)
	}
	return out, nil
}

func gzipError(err error) error {
	return badRequest{fmt.Errorf("invalid gzip body: %w", err)}
}
