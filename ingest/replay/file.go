// Package replay plays recorded OTLP back through spantop's decoder into a
// fresh model: spantop's own recordings, OpenTelemetry Collector
// file-exporter files (plain or gzip, signals mixed) and OTLP/JSON export
// files (one request, or an array of them). An Engine plays them at the
// recorded speed or faster, with pause, step and seek; seeking back
// rebuilds the model from the start.
package replay

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spantop/spantop/ingest/otlpjson"
)

// Record is one request of a recording, ready to feed.
type Record struct {
	// Time is when it arrived (recorded time, Unix ns): the arrival field
	// of spantop's recordings, else the latest timestamp in its data.
	Time int64
	otlpjson.Request
}

// Recording is the requests of one or more files in time order.
type Recording struct {
	Records []Record
	// Spans counts the spans of all records.
	Spans int
	// Skipped counts lines that could not be read (a torn last line, a
	// line that is not OTLP/JSON); FirstError says why the first was.
	Skipped    int
	FirstError string
}

// Start and End are the recorded times of the first and last record.
func (r *Recording) Start() int64 {
	if len(r.Records) == 0 {
		return 0
	}
	return r.Records[0].Time
}

// End is the time of the last record.
func (r *Recording) End() int64 {
	if len(r.Records) == 0 {
		return 0
	}
	return r.Records[len(r.Records)-1].Time
}

// Load reads the files in order and sorts their records by time (stably,
// so requests that arrived together keep their order).
func Load(paths ...string) (*Recording, error) {
	rec := &Recording{}
	for _, p := range paths {
		if err := rec.loadFile(p); err != nil {
			return nil, err
		}
	}
	if len(rec.Records) == 0 {
		if rec.Skipped > 0 {
			return nil, fmt.Errorf("no OTLP/JSON requests could be read (%d skipped; first: %s)", rec.Skipped, rec.FirstError)
		}
		return nil, errors.New("the recording holds no requests")
	}
	// A record without any time takes its predecessor's.
	var last int64
	for i := range rec.Records {
		if rec.Records[i].Time == 0 {
			rec.Records[i].Time = last
		}
		last = rec.Records[i].Time
	}
	sort.SliceStable(rec.Records, func(i, j int) bool { return rec.Records[i].Time < rec.Records[j].Time })
	return rec, nil
}

func (rec *Recording) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s: %w", pe.Path, pe.Err)
		}
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	return rec.read(path, bufio.NewReaderSize(r, 1<<20))
}

// read takes JSON lines; a file whose first value is an array, or that is
// one request spread over several lines, is read as a stream of values.
func (rec *Recording) read(path string, br *bufio.Reader) error {
	first, err := firstByte(br)
	if err != nil {
		return nil // empty file
	}
	if first == '[' {
		return rec.readValues(path, br)
	}
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		torn := err != nil && len(line) > 0 // no newline at the end
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if lineNo == 1 && !json.Valid(t) && !torn && t[0] == '{' {
				// Pretty-printed: put the line back in front of the rest.
				// (A first line of anything else is a bad line, skipped
				// like any other.)
				return rec.readValues(path, bufio.NewReader(io.MultiReader(bytes.NewReader(line), br)))
			}
			if derr := rec.add(t); derr != nil {
				why := fmt.Sprintf("%s:%d: %v", path, lineNo, derr)
				if torn {
					why = fmt.Sprintf("%s:%d: torn last line skipped", path, lineNo)
				}
				rec.skip(why)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			rec.skip(fmt.Sprintf("%s:%d: %v", path, lineNo, err)) // e.g. a truncated gzip stream
			return nil
		}
	}
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// readValues reads JSON values one after another; an array's elements are
// requests.
func (rec *Recording) readValues(path string, r io.Reader) error {
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return nil
		} else if err != nil {
			rec.skip(fmt.Sprintf("%s: value %d: %v", path, n, err))
			return nil
		}
		t := bytes.TrimSpace(v)
		if len(t) > 0 && t[0] == '[' {
			var arr []json.RawMessage
			if err := json.Unmarshal(t, &arr); err != nil {
				rec.skip(fmt.Sprintf("%s: %v", path, err))
				continue
			}
			for i, el := range arr {
				if err := rec.add(el); err != nil {
					rec.skip(fmt.Sprintf("%s: element %d: %v", path, i, err))
				}
			}
			continue
		}
		if err := rec.add(t); err != nil {
			rec.skip(fmt.Sprintf("%s: value %d: %v", path, n, err))
		}
	}
}

func (rec *Recording) add(b []byte) error {
	req, err := otlpjson.Decode(b)
	if err != nil {
		return err
	}
	t := req.Arrived
	if t == 0 {
		t = req.Latest
	}
	rec.Records = append(rec.Records, Record{Time: t, Request: req})
	rec.Spans += req.Spans
	return nil
}

func (rec *Recording) skip(why string) {
	if rec.Skipped == 0 {
		rec.FirstError = why
	}
	rec.Skipped++
}
