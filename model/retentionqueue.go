package model

// fifoQueue is the retention queue: finished spans in the order they go.
// Linger (leaving the live tables) and retention (leaving the store) both
// count from when a span finished, so one queue serves both: retention
// pops its front, and the linger cursor (retention.shownFrom) is a
// position further along it. Positions are absolute (pos): they count
// every entry ever pushed, so popping the front moves no cursor.
// It is a list of fixed-size blocks, so that it never grows by copying:
// as one flat slice, growing it from 1.4M to 1.7M entries reallocated and
// copied 22 MB inside one batch and held the writer for 470 ms
// (BenchmarkSteady100k).
type fifoQueue struct {
	blocks [][]fifoEntry // each of capacity fifoBlock; the last may be partly filled
	head   int           // the front entry's index in blocks[0]
	n      int
	popped int         // entries popped so far: the front's position
	spare  []fifoEntry // an emptied block, kept for the next one needed
}

// fifoBlock entries make a block (64 KiB).
const fifoBlock = 4096

func (q *fifoQueue) len() int { return q.n }

// front returns the entry that goes next.
func (q *fifoQueue) front() (fifoEntry, bool) {
	if q.n == 0 {
		return fifoEntry{}, false
	}
	return q.blocks[0][q.head], true
}

func (q *fifoQueue) push(e fifoEntry) {
	if k := len(q.blocks); k == 0 || len(q.blocks[k-1]) == fifoBlock {
		b := q.spare
		if b == nil {
			b = make([]fifoEntry, 0, fifoBlock)
		}
		q.spare = nil
		q.blocks = append(q.blocks, b)
	}
	last := &q.blocks[len(q.blocks)-1]
	*last = append(*last, e)
	q.n++
}

// pop removes and returns the front entry; the queue must not be empty.
func (q *fifoQueue) pop() fifoEntry {
	e := q.blocks[0][q.head]
	q.head++
	q.n--
	q.popped++
	if q.head == len(q.blocks[0]) {
		// The front block is used up (or the queue is empty): recycle it.
		q.spare = q.blocks[0][:0]
		n := copy(q.blocks, q.blocks[1:])
		q.blocks[n] = nil
		q.blocks = q.blocks[:n]
		q.head = 0
	}
	return e
}

// start and end are the positions of the front entry and one past the
// back entry.
func (q *fifoQueue) start() int { return q.popped }
func (q *fifoQueue) end() int   { return q.popped + q.n }

// at returns the entry at position pos, start() <= pos < end(). Every
// block but the last is full, so the position says which block it is in.
func (q *fifoQueue) at(pos int) fifoEntry {
	off := pos - q.popped + q.head
	return q.blocks[off/fifoBlock][off%fifoBlock]
}

func (q *fifoQueue) bytes() int64 {
	n := int64(len(q.blocks))
	if q.spare != nil {
		n++
	}
	return n*fifoBlock*fifoBytes + int64(cap(q.blocks))*24
}
