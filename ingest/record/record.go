// Package record writes what spantop receives to a file, as OTLP/JSON
// lines in the OpenTelemetry Collector file exporter's format: one
// Export*ServiceRequest per line, each with the time it arrived in a field
// the Collector ignores (otlpjson.ArrivalField). A name ending in .gz is
// gzip-compressed. The receivers hand requests over through a tap that
// only copies them into a bounded queue; a goroutine of the recorder
// converts and writes them, so recording never holds up ingest. When the
// queue is full, requests are dropped and counted.
package record

import (
	"bufio"
	"errors"
	"fmt"
	gzip "github.com/klauspost/compress/gzip"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spantop/spantop/ingest/otlpjson"
	"github.com/spantop/spantop/ingest/tapqueue"
)

// DefaultQueueBytes bounds the requests waiting to be written.
const DefaultQueueBytes = 64 << 20

// flushEvery bounds how long a written line waits to reach the file, so a
// recording can be read (or survives a crash of spantop) as it grows,
// while requests coming close together are written in large chunks.
const flushEvery = 100 * time.Millisecond

// Options configure a Recorder.
type Options struct {
	// Path is the file to write; a name ending in .gz is gzip-compressed.
	// An existing file is replaced.
	Path string
	// MaxBytes bounds the file's size on disk (0: no bound). When it is
	// reached the recorder rotates (Keep > 0) or stops and says so.
	MaxBytes int64
	// Keep is how many full files to keep when rotating: FILE.1 is the
	// newest (FILE.1.gz for a .gz name), FILE.<Keep> the oldest.
	Keep int
	// QueueBytes bounds the requests waiting to be written (0: DefaultQueueBytes).
	QueueBytes int64
}

// Stats describe a recording, for the header.
type Stats struct {
	Path string
	// Bytes is the size of the current file on disk (compressed for .gz);
	// Total counts every file written, rotated ones included.
	Bytes, Total int64
	// Requests were written; Dropped were not, the queue being full.
	Requests, Dropped int64
	// Unflushed counts the Requests not yet in the file (they are within
	// flushEvery).
	Unflushed int64
	// Rotations counts the files rotated out.
	Rotations int64
	// Stopped tells why the recording stopped early: the size bound
	// reached or a write error ("" while recording).
	Stopped string
}

// Recorder is an ingest.Tap that writes a recording. (It does not import
// ingest, so that ingest's benchmarks can measure it.)
type Recorder struct {
	opts Options
	gz   bool

	queue *tapqueue.Queue
	// stop asks the writer to write what is queued and finish; the queue
	// itself is never closed, so a late Received cannot panic.
	quit   chan struct{}
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once

	requests, rotations atomic.Int64
	unflushed           atomic.Int64
	bytes, total        atomic.Int64
	stopped             atomic.Pointer[string]

	// The writer goroutine's own.
	fw          *fileWriter
	fileBuf     []byte        // fw's buffer, kept across rotations
	freeFileBuf func()        // frees fileBuf once the writer is done
	zw          *gzip.Writer  // .gz only: compresses into fw, counted
	bw          *bufio.Writer // .gz only: lines gathered for zw
	enc         otlpjson.Encoder
	buf         []byte
}

// Open creates the file and starts the writer. The error says what could
// not be opened, for the user.
func Open(o Options) (*Recorder, error) {
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	r := &Recorder{
		opts:  o,
		gz:    strings.HasSuffix(o.Path, ".gz"),
		queue: tapqueue.New(4096, o.QueueBytes),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if err := r.create(); err != nil {
		return nil, err
	}
	go r.write()
	return r, nil
}

func (r *Recorder) create() error {
	f, err := os.OpenFile(r.opts.Path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("--record: cannot write the recording: %w", unwrapPath(err))
	}
	if r.fileBuf == nil {
		r.fileBuf, r.freeFileBuf = directBuffer(fileChunk)
	}
	r.fw = newFileWriter(f, r.fileBuf) // the same buffer for every file
	r.bytes.Store(0)
	if !r.gz {
		return nil
	}
	w := io.Writer(&countWriter{w: r.fw, n: &r.bytes, total: &r.total})
	if r.zw == nil {
		// The fastest level: measured here (BenchmarkIngestGRPCRecordingGzip),
		// klauspost's BestSpeed costs a fifth of the standard library's
		// default level for files about a quarter larger. The level is
		// valid, so there is no error.
		r.zw, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
	} else {
		r.zw.Reset(w)
	}
	if r.bw == nil {
		r.bw = bufio.NewWriterSize(r.zw, 256<<10)
	} else {
		r.bw.Reset(r.zw)
	}
	return nil
}

// unwrapPath keeps the path and the reason of a *PathError without the
// operation ("open"), which means nothing to the user.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// Received copies the request into the queue, or counts it as dropped
// when the queue is full. After the recording has stopped it does
// nothing. It never blocks.
func (r *Recorder) Received(sig otlpjson.Signal, body []byte, json bool, arrived time.Time) {
	if r.closed.Load() || r.stopped.Load() != nil {
		return
	}
	r.queue.Offer(sig, body, json, arrived.UnixNano())
}

// write is the writer goroutine: it converts and writes each request,
// and flushes at most flushEvery after a line was written (at once when
// the queue runs empty and the last flush is that old).
func (r *Recorder) write() {
	defer close(r.done)
	defer func() { r.freeFileBuf() }() // every file is closed by now
	t := time.NewTimer(flushEvery)
	t.Stop()
	var due <-chan time.Time // t.C while a flush is waiting
	lastFlush := time.Now()
	flush := func() {
		r.flush()
		lastFlush = time.Now()
		due = nil
	}
	for {
		select {
		case it := <-r.queue.C():
			r.take(it)
			if r.unflushed.Load() == 0 {
				continue
			}
			if wait := flushEvery - time.Since(lastFlush); wait <= 0 {
				flush()
			} else if due == nil && r.queue.Len() == 0 {
				t.Reset(wait)
				due = t.C
			}
		case <-due:
			flush()
		case <-r.quit:
			for {
				select {
				case it := <-r.queue.C():
					r.take(it)
				default:
					r.finish()
					return
				}
			}
		}
	}
}

func (r *Recorder) take(it tapqueue.Item) {
	r.line(it)
	r.queue.Done(it)
}

// line writes one request as a line, unless the recording has stopped.
// A plain file's lines are written in place in its buffer.
func (r *Recorder) line(it tapqueue.Item) {
	if r.stopped.Load() != nil {
		return
	}
	pb, err := it.Protobuf()
	if err != nil {
		r.queue.Drop() // the receivers accepted it, so this does not happen
		return
	}
	var dst []byte
	if r.gz {
		dst = r.buf[:0]
	} else {
		dst = r.fw.appendTo(lineRoom(len(pb)))
	}
	start := len(dst)
	b, err := r.enc.Append(dst, it.Sig, pb)
	if err != nil {
		r.queue.Drop()
		return
	}
	b = otlpjson.AppendArrival(b, it.Arrived)
	b = append(b, '\n')
	line := b[start:]
	if r.gz {
		r.buf = b
	}
	if max := r.opts.MaxBytes; max > 0 && r.size()+int64(len(line)) > max && r.size() > 0 {
		if !r.gz {
			// Out of the file's buffer, which closing the file ends.
			r.buf = append(r.buf[:0], line...)
			line = r.buf
		}
		if r.opts.Keep <= 0 {
			r.flush()
			r.stop(fmt.Sprintf("full (--record-max %s reached)", FormatBytes(max)))
			return
		}
		if err := r.rotate(); err != nil {
			r.stop(err.Error())
			return
		}
		if !r.gz {
			b = append(r.fw.appendTo(len(line)), line...)
		}
	}
	if r.gz {
		_, err = r.bw.Write(line)
	} else {
		err = r.fw.commit(b)
		r.bytes.Add(int64(len(line)))
		r.total.Add(int64(len(line)))
	}
	if err != nil {
		r.stop("write failed: " + err.Error())
		return
	}
	r.unflushed.Add(1)
	r.requests.Add(1)
}

// lineRoom is about the most an OTLP/JSON line takes for n bytes of
// protobuf (hex IDs, quoted numbers and field names make it 2.5 to 3
// times as long); a longer one costs a copy.
func lineRoom(n int) int { return 4*n + 1024 }

// size is the file's size as it will be once what is buffered is written
// (uncompressed for the lines gathered for gzip: an upper bound for .gz).
func (r *Recorder) size() int64 {
	if r.gz {
		return r.bytes.Load() + int64(r.bw.Buffered())
	}
	return r.bytes.Load()
}

func (r *Recorder) flush() {
	if r.stopped.Load() != nil {
		return
	}
	var err error
	if r.gz {
		err = r.bw.Flush()
		if err == nil {
			err = r.zw.Flush()
		}
	}
	if err == nil {
		err = r.fw.Flush()
	}
	if err != nil {
		r.stop("write failed: " + err.Error())
		return
	}
	r.unflushed.Store(0)
}

// stop ends the recording early, keeping what was written readable.
func (r *Recorder) stop(why string) {
	if r.stopped.CompareAndSwap(nil, &why) {
		r.closeFile()
	}
}

func (r *Recorder) closeFile() error {
	if r.fw == nil {
		return nil
	}
	var err error
	if r.gz {
		err = errors.Join(r.bw.Flush(), r.zw.Close())
	}
	err = errors.Join(err, r.fw.Close())
	r.fw = nil
	if err == nil {
		r.unflushed.Store(0)
	}
	return err
}

// rotate closes the current file and shifts FILE.1 … FILE.<Keep-1> up by one.
func (r *Recorder) rotate() error {
	if err := r.closeFile(); err != nil {
		return fmt.Errorf("write failed: %w", err)
	}
	for i := r.opts.Keep - 1; i >= 1; i-- {
		_ = os.Rename(RotatedName(r.opts.Path, i), RotatedName(r.opts.Path, i+1)) // a missing one is fine
	}
	if err := os.Rename(r.opts.Path, RotatedName(r.opts.Path, 1)); err != nil {
		return fmt.Errorf("rotating: %w", unwrapPath(err))
	}
	r.rotations.Add(1)
	return r.create()
}

// finish writes what is buffered and closes the file.
func (r *Recorder) finish() {
	if r.stopped.Load() != nil {
		return
	}
	if err := r.closeFile(); err != nil {
		r.stop("write failed: " + err.Error())
	}
}

// Close stops taking requests, writes those queued and closes the file.
// It returns why the recording stopped early, if it did.
func (r *Recorder) Close() error {
	r.once.Do(func() {
		r.closed.Store(true)
		close(r.quit)
	})
	<-r.done
	if why := r.stopped.Load(); why != nil {
		return fmt.Errorf("recording %s stopped early: %s", r.opts.Path, *why)
	}
	return nil
}

// Stats returns the recording's figures; any goroutine may call it.
func (r *Recorder) Stats() Stats {
	st := Stats{
		Path:  r.opts.Path,
		Bytes: r.bytes.Load(), Total: r.total.Load(),
		Requests: r.requests.Load(), Dropped: r.queue.Dropped(),
		Unflushed: r.unflushed.Load(),
		Rotations: r.rotations.Load(),
	}
	if why := r.stopped.Load(); why != nil {
		st.Stopped = *why
	}
	return st
}

// String is the header's summary: REC <file> <size>, with drops and why
// it stopped when it did.
func (st Stats) String() string {
	var b strings.Builder
	b.WriteString("REC ")
	b.WriteString(st.Path)
	b.WriteByte(' ')
	b.WriteString(FormatBytes(st.Bytes))
	if st.Rotations > 0 {
		fmt.Fprintf(&b, " (+%d rotated)", st.Rotations)
	}
	if st.Dropped > 0 {
		fmt.Fprintf(&b, " dropped %d", st.Dropped)
	}
	if st.Stopped != "" {
		b.WriteString(" STOPPED: ")
		b.WriteString(st.Stopped)
	}
	return b.String()
}

// RotatedName is the name of the n-th rotated file: FILE.n, or FILE.n.gz
// when FILE ends in .gz (so it stays a .gz file).
func RotatedName(path string, n int) string {
	if base, ok := strings.CutSuffix(path, ".gz"); ok {
		return base + "." + strconv.Itoa(n) + ".gz"
	}
	return path + "." + strconv.Itoa(n)
}

// FormatBytes prints a size in B, KiB, MiB or GiB with one decimal.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + "GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + "KiB"
	}
	return strconv.FormatInt(n, 10) + "B"
}

// countWriter counts the bytes that reach the file.
type countWriter struct {
	w        io.Writer
	n, total *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	c.total.Add(int64(n))
	return n, err
}
