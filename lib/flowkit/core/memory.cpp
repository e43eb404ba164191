#include "flowkit/core/memory.hpp"

#include <malloc.h>

namespace flowkit {

void reuse_freed_memory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

}  // namespace flowkit
