// Package hugepages asks the kernel to back the Go heap with transparent
// huge pages where the system gives them only to memory that asks
// (/sys/kernel/mm/transparent_hugepage/enabled is "madvise", the default
// of many distributions). The Go runtime does not ask. spantop keeps
// hundreds of megabytes of spans in its heap, and with 4 KiB pages every
// look at them walks more page tables and misses the TLB more; on a
// virtual machine that shadows the guest's page tables the cost shows
// even idle, as each time the process wakes, switching to it costs in
// proportion to its mapped pages. On the development VM a process that
// only sleeps in a loop used 0.3% of a core with 400 MB of heap in 4 KiB
// pages, 0.01% with huge pages (README, Performance).
package hugepages

// Start advises the heap now, and again after each garbage collection
// that finds the runtime's memory grown, since the heap's new arenas are
// mapped without the advice. It does nothing where huge pages are always
// or never used, or with GODEBUG=disablethp=1 (the runtime's own switch
// for processes that must not use them).
func Start() { start() }
