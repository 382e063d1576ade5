package model

// This file holds the records the Go execution-trace reader (package
// gotrace) and the runtime-metrics decoder (package ingest) hand to the
// model's writer, and the trace chunks ingest hands to the reader.

// TraceChunk is one OTLP log record carrying part of a Go execution trace
// (event_name "spantop.go.trace", DESIGN.md §5). Ingest decodes it; the
// trace reader reassembles generations from chunks.
type TraceChunk struct {
	// Resource is the process that sent it: the stream is keyed by
	// (Resource.InstanceID or, failing that, the resource attributes, Session).
	Resource Resource
	// Session is spantop.trace.session: a new one starts with every
	// trace.Start in the process, and generation numbers restart with it.
	Session uint64
	// Generation is spantop.trace.generation; Chunk numbers the chunks of
	// one generation from 0; Final marks its last chunk.
	Generation uint64
	Chunk      uint32
	Final      bool
	// Header is the 16-byte trace header, present on each generation's
	// first chunk (spantop.trace.header).
	Header []byte
	// DroppedGenerations is the sender's running count of generations it
	// dropped because it was behind (spantop.trace.dropped_generations).
	DroppedGenerations uint64
	// Data is the chunk: whole batches of this generation.
	Data []byte
}

// AgentStatus is a status record agentlib sends about itself
// (event_name "spantop.agent.status"), such as "execution trace unavailable".
type AgentStatus struct {
	Resource Resource
	Time     int64 // Unix ns
	Message  string
	// Goodbye marks the last status agentlib sends when it stops
	// (attribute spantop.agent.goodbye): the process's goroutines have
	// exited; it did not go silent.
	Goodbye bool
}

// RuntimeStats are a process's runtime metrics, as agentlib sends them every
// second through the MetricsService. A negative field was not reported.
type RuntimeStats struct {
	Time       int64 // Unix ns of the sample
	Goroutines int64
	// ByState counts goroutines by scheduling state (Go ≥ 1.26), indexed
	// by GoState; all -1 when the runtime does not report it.
	ByState [GoStates]int64
	// HeapBytes is the live heap; HeapGoal the next GC's target.
	HeapBytes int64
	HeapGoal  int64
	// GCCycles counts completed GC cycles; GCPause is the summed stop-the-world pause, ns.
	GCCycles int64
	GCPause  int64
	// SchedP50, SchedP99 are scheduling-latency percentiles, ns, from the
	// runtime's histogram since the previous sample.
	SchedP50, SchedP99 int64
	// MutexWait is the total time goroutines spent blocked on sync.Mutex
	// and sync.RWMutex, ns, cumulative.
	MutexWait int64
}

// RuntimeSample is one decoded runtime-metrics export of one process.
type RuntimeSample struct {
	Resource Resource
	Stats    RuntimeStats
}

// GoState is a goroutine's scheduling state as the execution trace reports it.
type GoState uint8

// Goroutine states.
const (
	GoRunning  GoState = iota // on a CPU
	GoRunnable                // ready, waiting for a CPU
	GoWaiting                 // blocked; see WaitKind
	GoSyscall                 // in a system call
	GoExited
	GoStates // number of states
)

var goStateNames = [...]string{"running", "runnable", "waiting", "syscall", "exited"}

// String returns the state's name.
func (s GoState) String() string {
	if int(s) < len(goStateNames) {
		return goStateNames[s]
	}
	return "unknown"
}

// WaitKind classifies what a blocked goroutine waits on. Resources of the
// resources view are keyed by (process, kind, name, location).
type WaitKind uint8

// Wait kinds, inferred from the block reason and stack, or named by agentlib.
const (
	WaitOther WaitKind = iota
	WaitMutex
	WaitRWMutex
	WaitWaitGroup
	WaitCond
	WaitChanSend
	WaitChanRecv
	WaitSelect
	WaitSleep
	WaitNetwork
	WaitSyscall
	WaitSemaphore // a named agentlib semaphore
	WaitGC        // GC assist or a runtime-internal wait
	WaitKinds     // number of kinds
)

var waitKindNames = [...]string{"other", "mutex", "rwmutex", "waitgroup", "cond", "chan send", "chan recv", "select", "sleep", "network", "syscall", "semaphore", "gc"}

// String returns the kind's name as shown in the Kind column of resources.
func (k WaitKind) String() string {
	if int(k) < len(waitKindNames) {
		return waitKindNames[k]
	}
	return "unknown"
}

// Frame is one stack frame.
type Frame struct {
	Func string
	File string
	Line int
}

// RuntimeBatch is what one generation of one process's execution trace
// says, built by the trace reader and applied by the model's writer. Totals
// are cumulative since the reader first saw the goroutine or resource, so
// a lost batch skews nothing; samples are this generation's only.
type RuntimeBatch struct {
	Resource Resource
	Session  uint64
	// Start and End are the wall-clock Unix ns the generation covers.
	Start, End int64
	// Goroutines are the goroutines that ran, changed state or exited in
	// this generation (exited ones with State GoExited, once).
	Goroutines []GoroutineRec
	// SyncResources are the resources waited on in this generation.
	SyncResources []SyncResourceRec
	// SpanTimes are the spans goroutines worked for in this generation.
	SpanTimes []SpanTime
	// Bytes is the size of the generation on the wire, for the header.
	Bytes int64
}

// MaxSamples caps the run and scheduling samples a GoroutineRec carries per
// generation, and the wait samples of a SyncResourceRec.
const MaxSamples = 256

// GoroutineRec is one goroutine's state at the end of a generation.
type GoroutineRec struct {
	ID     int64 // runtime goroutine ID, unique within (process, session)
	Parent int64 // creator's ID; 0 if unknown
	// Name is given by agentlib.Go (spantop.goroutine.name); StartFunc is
	// the function the goroutine started in.
	Name      string
	StartFunc string
	// Created and Ended are Unix ns; Created is 0 for a goroutine that
	// existed before the trace began, Ended is 0 while it lives.
	Created, Ended int64
	State          GoState
	// Wait and WaitReason say what it waits on while State is GoWaiting;
	// WaitReason is the runtime's own words. Resource indexes
	// RuntimeBatch.SyncResources, or is -1.
	Wait       WaitKind
	WaitReason string
	Resource   int32
	// Since is the Unix ns its current state began.
	Since int64
	// Busy (running), Sched (runnable) and Idle (blocked, by WaitKind;
	// syscalls count as WaitSyscall) are cumulative ns.
	Busy, Sched int64
	Idle        [WaitKinds]int64
	// Polls counts the times it started running; Preempts the times it was
	// preempted rather than yielding; LongestRun is its longest run, ns.
	Polls, Preempts uint64
	LongestRun      int64
	// Wakes counts the times another goroutine unblocked it; Waker is the
	// last one that did (0: none or the runtime).
	Wakes uint64
	Waker int64
	// CreateStack is where it was created: sent the first time the reader
	// sees the goroutine, nil afterwards. BlockStack is where it blocks now.
	CreateStack []Frame
	BlockStack  []Frame
	// RunSamples and SchedSamples are the lengths (ns) of this generation's
	// runs and runnable waits, at most MaxSamples each.
	RunSamples, SchedSamples []int64
}

// SyncResourceRec is a resource goroutines waited on, as of a generation's end.
type SyncResourceRec struct {
	Kind WaitKind
	// Name is an agentlib resource's name; empty for an inferred one.
	Name string
	// Location is the call site that blocks: the first frame outside the
	// runtime and the sync package ("pkg.Func file:line").
	Location string
	// Waiters is how many goroutines wait on it at the generation's end;
	// Waiting is the sum of how long they have waited so far and Longest
	// the longest of them (ns). The cumulative figures below count only
	// waits that ended, so a leak's goroutines would otherwise add nothing.
	Waiters          int
	Waiting, Longest int64
	// Waits, WaitTotal (ns) and WaitMax (ns) are cumulative.
	Waits     uint64
	WaitTotal int64
	WaitMax   int64
	// WaitSamples are the lengths (ns) of waits that ended in this
	// generation, at most MaxSamples.
	WaitSamples []int64
	// Wakers are the goroutines that woke its waiters, most wakes first
	// (cumulative, at most 8).
	Wakers []Waker
}

// Waker counts the wakes one goroutine gave.
type Waker struct {
	Goroutine int64
	Wakes     uint64
}

// SpanTime is the time goroutines spent working for one span: from its
// spantop.span (or spantop.span.go) log on a goroutine until the span ends
// (its SDK task ends) or the goroutine does, cumulative.
type SpanTime struct {
	TraceID           TraceID
	SpanID            SpanID
	Busy, Sched, Idle int64
	Goroutines        []int64 // at most 8
}
