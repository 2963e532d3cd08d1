// The prefetch hint lives in the header (static inline); this file only gives the target a source.
#include "CMamoriPrefetch.h"
