/* util/units.c — the CLI's sizes and durations, one reading for every command. */
#include "util/units.h"

#include <errno.h>
#include <stdlib.h>

/* "64M" -> 67108864; 0 on malformed or zero input. */
uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return 0;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (UINT64_MAX >> shift))
        return 0;
    return (uint64_t)v << shift;
}

int parse_timeout(const char *s, unsigned *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 30 * 24 * 3600.0)
        return -1;
    *ms = (unsigned)(v * 1000 + 0.5);
    return *ms ? 0 : -1;
}
