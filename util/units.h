/* util/units.h — sizes ("512M") and durations ("1.5" seconds) as the CLI
 * reads them, shared by `cordon run`, `cordon serve` and `cordon session`. */
#ifndef CORDON_UTIL_UNITS_H
#define CORDON_UTIL_UNITS_H

#include <stdint.h>

/* "64M" -> 67108864 (K, M, G suffixes); 0 on malformed or zero input. */
uint64_t parse_size(const char *s);
/* Positive seconds, decimals allowed, at most 30 days -> *ms; -1 if not. */
int parse_timeout(const char *s, unsigned *ms);

#endif
