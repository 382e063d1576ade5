// Package gotrace reads the Go execution traces that applications running
// agentlib ship to spantop (DESIGN.md §5) and turns them into the model's
// goroutines, sync resources and span times.
//
// Ingest decodes each "spantop.go.trace" log record into a
// model.TraceChunk and hands it to Reader.Offer, which never blocks: it
// copies the chunk into the generation it belongs to, within per-stream and
// global byte budgets. A stream is one process's trace session. When a
// generation is whole, its batches are checked, closed with an
// end-of-generation marker and queued for a worker, which parses it with
// golang.org/x/exp/trace and hands one model.RuntimeBatch to the output.
//
// Every generation is parsed by a fresh trace.Reader. Since Go 1.26 a
// generation ends with an in-band end-of-generation marker, so the parser
// yields its events without reading the next one, and since Go 1.22 each
// generation carries the status of every live goroutine, so it reads on its
// own (this is what lets the flight recorder start anywhere). A batch thus
// leaves as soon as its generation is complete, and a gap, a dropped or a
// corrupt generation never poisons the ones after it: the builder, which
// keeps the cumulative times across generations, only stops accruing time
// over the gap. Older traces (Go 1.22–1.25) read the same way, ending at
// the end of their data.
//
// Times are accounted on the process's monotonic clock, taken from each
// generation's clock snapshot (Go ≥ 1.25), and reported as wall-clock Unix
// nanoseconds; a trace without snapshots is placed by its arrival time.
//
// The reader also keeps each stream's last seconds of whole generations,
// which Save writes as a file `go tool trace` opens.
package gotrace
