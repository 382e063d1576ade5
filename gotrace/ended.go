package gotrace

// maxEndedSpans bounds how many ended spans a stream remembers: enough for
// the goroutines a handler starts to begin after it returned.
const maxEndedSpans = 4096

// endedSpans is a bounded set of the spans that ended last; the oldest are
// forgotten first.
type endedSpans struct {
	set  map[spanKey]struct{}
	ring []spanKey
	next int
}

func (e *endedSpans) has(k spanKey) bool {
	_, ok := e.set[k]
	return ok
}

func (e *endedSpans) add(k spanKey) {
	if e.set == nil {
		e.set = make(map[spanKey]struct{}, maxEndedSpans)
	}
	if _, ok := e.set[k]; ok {
		return
	}
	if len(e.ring) < maxEndedSpans {
		e.ring = append(e.ring, k)
	} else {
		delete(e.set, e.ring[e.next])
		e.ring[e.next] = k
		e.next = (e.next + 1) % maxEndedSpans
	}
	e.set[k] = struct{}{}
}
