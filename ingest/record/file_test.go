package record

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// The file holds exactly what was written after every flush, whatever the
// sizes of the writes (copied in, or appended in place), and wherever the
// flushes fall (partial blocks
// written through the page cache, then again whole with O_DIRECT).
func TestFileWriterContents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := newFileWriter(f, nil)
	if runtime.GOOS == "linux" && !w.direct {
		t.Logf("no O_DIRECT on %s: the page cache path is tested", filepath.Dir(path))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var want []byte
	for i := range 120 {
		n := rng.IntN(3 * directAlign)
		switch i % 7 {
		case 0:
			n = rng.IntN(fileChunk / 3) // chunk boundaries crossed as the file grows
		case 1:
			n = directAlign - len(want)%directAlign // up to a block boundary
		}
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		if rng.IntN(2) == 0 {
			if _, err := w.Write(p); err != nil {
				t.Fatal(err)
			}
		} else {
			// In place, with room asked for that may be too little
			// (the line then goes elsewhere and is copied).
			if err := w.commit(append(w.appendTo(rng.IntN(2*n+1)), p...)); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, p...)
		if rng.IntN(3) == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("after write %d: file has %d bytes (%v), want %d; equal prefix: %v", i, len(got), err, len(want), bytes.HasPrefix(want, got))
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after close: file has %d bytes (%v), want %d", len(got), err, len(want))
	}
	if len(want) < 2*fileChunk {
		t.Errorf("%d bytes written: the test no longer crosses chunk boundaries", len(want))
	}
}

// A file that is not a regular one (a pipe) is written as it comes.
func TestFileWriterPipe(t *testing.T) {
	r, wf, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w := newFileWriter(wf, nil)
	if w.regular || w.direct {
		t.Fatalf("pipe taken for a regular file")
	}
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r)
		done <- b.Bytes()
	}()
	want := bytes.Repeat([]byte("0123456789"), 300_000)
	if _, err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := <-done; !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d", len(got), len(want))
	}
}
