package record

import (
	"errors"
	"io"
	"os"
	"syscall"
	"unsafe"
)

// fileChunk is how much of the recording is written at a time while
// requests keep coming. With O_DIRECT a write costs about the same
// whatever its size up to the disk's largest request (often 4 MiB), so
// larger chunks cost less per byte: 0.12 ns a byte for 1 MiB, 0.04 for
// 4 MiB, measured here.
const fileChunk = 4 << 20

// directAlign is the alignment O_DIRECT asks of offsets, lengths and
// memory: a multiple of every usual logical block size.
const directAlign = 4096

// fileWriter buffers the recording and writes it to its file in large
// chunks. A regular file is written with O_DIRECT where the system has
// it: the chunks go from this buffer to the disk without being copied
// into the page cache, which costs the kernel (and so spantop's CPU per
// span) several times the copy (measured by
// BenchmarkIngestGRPCRecording: about 1 ns per byte, a recording's
// largest cost after the encoding). O_DIRECT wants whole aligned blocks,
// so a flush writes the partial block at the end through the page cache
// and keeps it, to write it again, whole, with what follows. Anything
// else (a pipe, a device, a file system that refuses O_DIRECT) is written
// as it is.
type fileWriter struct {
	f         *os.File
	regular   bool   // written at offsets (pwrite), the tail rewritten
	direct    bool   // f has O_DIRECT
	buf       []byte // fileChunk bytes, aligned to directAlign
	n         int    // bytes in buf
	inFile    int    // of buf[:n], those already in the file (the tail a flush wrote)
	off       int64  // the file offset of buf[0]
	stickyErr error
}

// newFileWriter writes to f, in buf when it is one a fileWriter had.
func newFileWriter(f *os.File, buf []byte) *fileWriter {
	if buf == nil {
		buf = alignedBuffer(fileChunk)
	}
	w := &fileWriter{f: f, buf: buf}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		w.regular = true
		w.direct = setDirect(f, true) == nil
	}
	return w
}

func alignedBuffer(n int) []byte {
	b := make([]byte, n+directAlign)
	skip := 0
	if r := int(uintptr(unsafe.Pointer(&b[0])) % directAlign); r != 0 {
		skip = directAlign - r
	}
	return b[skip : skip+n : skip+n]
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if w.stickyErr != nil {
		return 0, w.stickyErr
	}
	written := 0
	for len(p) > 0 {
		c := copy(w.buf[w.n:], p)
		w.n += c
		p = p[c:]
		written += c
		if w.n == len(w.buf) {
			if err := w.writeOut(w.n); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// writeOut writes buf[:k] (k a multiple of directAlign while direct, or
// all of buf[:n] otherwise) and drops it from the buffer.
func (w *fileWriter) writeOut(k int) error {
	var err error
	switch {
	case w.regular:
		_, err = w.f.WriteAt(w.buf[:k], w.off)
		if err != nil && w.direct && errors.Is(err, syscall.EINVAL) {
			// The file system takes O_DIRECT but not these writes:
			// write through the page cache from now on.
			w.direct = false
			_ = setDirect(w.f, false)
			_, err = w.f.WriteAt(w.buf[:k], w.off)
		}
	default:
		_, err = w.f.Write(w.buf[:k])
	}
	if err != nil {
		w.stickyErr = err
		return err
	}
	w.off += int64(k)
	w.n = copy(w.buf, w.buf[k:w.n])
	w.inFile = 0
	return nil
}

// appendTo returns the buffer's contents, to append a line of about need
// bytes to in place (then commit it), after writing out what it holds to
// make room when it has not that much. Encoding in place spares a copy.
func (w *fileWriter) appendTo(need int) []byte {
	if len(w.buf)-w.n < need && w.stickyErr == nil {
		k := w.n
		if w.direct {
			k &^= directAlign - 1
		}
		if k > 0 {
			_ = w.writeOut(k) // an error stays, for commit
		}
	}
	return w.buf[:w.n]
}

// commit takes b, what appendTo returned with a line appended, as
// written. A line that did not fit was appended elsewhere: it is copied.
func (w *fileWriter) commit(b []byte) error {
	if w.stickyErr != nil {
		return w.stickyErr
	}
	if len(b) <= len(w.buf) && unsafe.SliceData(b) == unsafe.SliceData(w.buf) {
		if w.n = len(b); w.n == len(w.buf) {
			return w.writeOut(w.n)
		}
		return nil
	}
	_, err := w.Write(b[w.n:])
	return err
}

// Flush puts everything written so far in the file.
func (w *fileWriter) Flush() error {
	if w.stickyErr != nil {
		return w.stickyErr
	}
	if w.n == w.inFile {
		return nil
	}
	if !w.direct {
		return w.writeOut(w.n)
	}
	if k := w.n &^ (directAlign - 1); k > 0 {
		if err := w.writeOut(k); err != nil {
			return err
		}
		if !w.direct { // it fell back, and wrote everything
			return w.writeOut(w.n)
		}
	}
	if w.n == 0 {
		return nil
	}
	// The partial block through the page cache; it stays in buf.
	if err := setDirect(w.f, false); err != nil {
		w.stickyErr = err
		return err
	}
	_, err := w.f.WriteAt(w.buf[:w.n], w.off)
	if err == nil {
		err = setDirect(w.f, true)
	}
	if err != nil {
		w.stickyErr = err
		return err
	}
	w.inFile = w.n
	return nil
}

// Close flushes and closes the file.
func (w *fileWriter) Close() error {
	return errors.Join(w.Flush(), w.f.Close())
}

var _ io.Writer = (*fileWriter)(nil)
