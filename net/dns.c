/* net/dns.c — the guest's DNS: the answerer the guest's resolv.conf names.
 *
 * It answers from the grants alone: a granted name gets the address that
 * maps back to its grant (A; AAAA and the rest get an empty answer), every
 * other name NXDOMAIN. It has no upstream and never forwards, so a query
 * cannot carry data out of the sandbox (DNS tunnelling) whatever its name.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "net/internal.h"
#include "sentry/events.h"

enum { QTYPE_A = 1, RCODE_FORMERR = 1, RCODE_NXDOMAIN = 3, RCODE_NOTIMP = 4 };

/* Reads the question's name at q[*off] as "a.b.c" (lower case); false if
 * malformed. Compression cannot occur in a query's question. */
static bool qname(const unsigned char *q, size_t len, size_t *off, char *out, size_t size)
{
    size_t o = *off, w = 0;
    for (;;) {
        if (o >= len)
            return false;
        size_t l = q[o++];
        if (l == 0)
            break;
        if (l > 63 || o + l > len || w + l + 2 > size)
            return false;
        if (w)
            out[w++] = '.';
        for (size_t k = 0; k < l; k++)
            out[w++] = (char)tolower(q[o + k]);
        o += l;
    }
    out[w] = 0;
    *off = o;
    return true;
}

/* Builds the answer to query q in r (same size budget); returns its length
 * or 0 to stay silent. */
static size_t answer(const struct net *n, const unsigned char *q, size_t len, unsigned char *r,
                     size_t cap, char *name, size_t name_size, int *rcode)
{
    if (len < 12 || (q[2] & 0x80))
        return 0;   /* not a query */
    size_t off = 12;
    unsigned qd = (unsigned)(q[4] << 8 | q[5]);
    *rcode = 0;
    name[0] = 0;
    if ((q[2] & 0x78) != 0 || qd != 1)
        *rcode = (q[2] & 0x78) ? RCODE_NOTIMP : RCODE_FORMERR;
    else if (!qname(q, len, &off, name, name_size) || off + 4 > len)
        *rcode = RCODE_FORMERR;
    size_t qend = *rcode ? 12 : off + 4;
    if (qend > cap)
        return 0;
    memcpy(r, q, qend);
    r[2] = (unsigned char)(0x80 | (q[2] & 0x79) | 0x04);   /* QR, opcode, AA, RD */
    r[3] = 0x80;                                            /* RA */
    memset(r + 4, 0, 8);
    if (*rcode) {
        r[3] |= (unsigned char)*rcode;
        return 12;
    }
    r[5] = 1;
    unsigned qtype = (unsigned)(q[off] << 8 | q[off + 1]);
    struct in_addr a;
    if (!grant_resolve(n, name, &a)) {
        *rcode = RCODE_NXDOMAIN;
        r[3] |= RCODE_NXDOMAIN;
        return qend;
    }
    if (qtype != QTYPE_A || qend + 16 > cap)
        return qend;   /* the name exists; no record of that type */
    unsigned char *rr = r + qend;
    static const unsigned char head[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
    memcpy(rr, head, sizeof head);
    memcpy(rr + sizeof head, &a, 4);
    r[7] = 1;
    return qend + 16;
}

void *dns_main(void *arg)
{
    struct net *n = arg;
    unsigned char q[512], r[512];
    char name[256];
    for (;;) {
        struct pollfd p[2] = { { .fd = n->stop[0], .events = POLLIN },
                               { .fd = n->dns, .events = POLLIN } };
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (!(p[1].revents & POLLIN))
            continue;
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t got = recvfrom(n->dns, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (got <= 0)
            continue;
        int rcode;
        size_t len = answer(n, q, (size_t)got, r, sizeof r, name, sizeof name, &rcode);
        if (!len)
            continue;
        if (rcode == RCODE_NXDOMAIN)
            net_event(n, 0, NET_BLOCK, "dns NXDOMAIN", name, 0);
        else if (name[0])
            net_event(n, 0, NET_DNS, "dns granted", name, 0);
        sendto(n->dns, r, len, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
    }
    return NULL;
}
