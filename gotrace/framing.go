package gotrace

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The Go execution trace's framing (Go ≥ 1.22, "trace v2"): a 16-byte
// header "go 1.NN trace\x00\x00\x00", then batches. A batch is an
// EvEventBatch byte (or EvExperimentalBatch and an experiment byte), the
// uvarints generation, M, timestamp and size, and size bytes of events.
// From Go 1.26 on, every generation ends with a lone EvEndOfGeneration byte,
// so a reader yields a generation's events without waiting for the next one.
// The event numbers are fixed by the format (internal/trace/tracev2).
const (
	headerLen           = 16
	evEventBatch        = 1
	evExperimentalBatch = 49 // Go ≥ 1.23
	evEndOfGeneration   = 52 // Go ≥ 1.26
	maxBatchSize        = 64 << 10

	// Trace format versions this package reads.
	minVersion = 22
	maxVersion = 26
	// eogVersion is the first version with end-of-generation markers.
	eogVersion = 26
)

var errShortBatch = errors.New("truncated batch")

// parseHeader returns the format version of a trace header, such as 26
// for "go 1.26 trace\x00\x00\x00".
func parseHeader(h []byte) (int, error) {
	const prefix, suffix = "go 1.", " trace\x00\x00\x00"
	if len(h) != headerLen || string(h[:len(prefix)]) != prefix || string(h[headerLen-len(suffix):]) != suffix {
		return 0, fmt.Errorf("not a Go execution trace header: %q", h)
	}
	d := h[len(prefix) : headerLen-len(suffix)]
	if d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9' {
		return 0, fmt.Errorf("not a Go execution trace header: %q", h)
	}
	v := int(d[0]-'0')*10 + int(d[1]-'0')
	if v < minVersion || v > maxVersion {
		return v, fmt.Errorf("unsupported trace version go 1.%d", v)
	}
	return v, nil
}

// batchInfo describes one batch found by nextBatch.
type batchInfo struct {
	size int    // bytes of the whole batch including its framing
	hdr  int    // bytes of the framing before the events
	gen  uint64 // generation; 0 for an end-of-generation marker
	eog  bool   // an end-of-generation marker
}

// nextBatch reads the framing of the batch at the start of data. It never
// reads past data and checks what the parser would reject anyway (batch
// size, framing), so a hostile chunk is refused before it is kept.
func nextBatch(data []byte, version int) (batchInfo, error) {
	if len(data) == 0 {
		return batchInfo{}, errShortBatch
	}
	p := 1
	switch typ := data[0]; {
	case typ == evEndOfGeneration && version >= eogVersion:
		return batchInfo{size: 1, eog: true}, nil
	case typ == evEventBatch:
	case typ == evExperimentalBatch && version >= 23:
		p = 2
	default:
		return batchInfo{}, fmt.Errorf("expected a batch, found event type %d", typ)
	}
	if len(data) < p {
		return batchInfo{}, errShortBatch
	}
	var vals [4]uint64 // generation, M, timestamp, size
	for i := range vals {
		v, n := binary.Uvarint(data[p:])
		if n <= 0 {
			return batchInfo{}, errShortBatch
		}
		vals[i] = v
		p += n
	}
	gen, size := vals[0], vals[3]
	if gen == 0 {
		return batchInfo{}, errors.New("batch of generation 0")
	}
	if size > maxBatchSize {
		return batchInfo{}, fmt.Errorf("batch size %d over the maximum %d", size, maxBatchSize)
	}
	if uint64(len(data)-p) < size {
		return batchInfo{}, errShortBatch
	}
	return batchInfo{size: p + int(size), hdr: p, gen: gen}, nil
}
