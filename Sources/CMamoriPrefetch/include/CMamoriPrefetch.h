#ifndef CMAMORI_PREFETCH_H
#define CMAMORI_PREFETCH_H

/// A hint that the cache line holding `p` will be read soon (`__builtin_prefetch(p, 0, 3)`):
/// no fault, no effect on results. Inline, so a Swift caller compiles it to one instruction.
static inline __attribute__((always_inline)) void mamori_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
