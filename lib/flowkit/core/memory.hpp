// core: how the process takes memory from the system.
#pragma once

namespace flowkit {

// Large buffers come from the heap and stay there when freed, for the next one: in this
// machine's VM a fresh page costs a fault of about 3 us, and loading a model reads, cuts,
// decodes and copies megabytes once each (bench/NOTES.md, item 13); and page-aligned mapped
// buffers made the U-Net's sampling pass 1.4 times slower in three runs of four (item 23).
// Every program calls it first (cli::run), and so do the benchmarks that time its code.
void reuse_freed_memory();

}  // namespace flowkit
