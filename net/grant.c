/* net/grant.c — egress grants: parsed from --allow and the policy's
 * "egress" section, and matched against the addresses guests connect to.
 * A grant is a capability for one host (and port), never a range: a name
 * grant is reachable only through the address the DNS answerer hands out
 * for it, so the guest cannot pick the upstream's real address itself. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/internal.h"

#define GRANTS_MAX 4096

bool sa_ipv4(const struct sockaddr *sa, struct in_addr *a, uint16_t *port)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        *a = in->sin_addr;
        *port = ntohs(in->sin_port);
        return true;
    }
    const struct sockaddr_in6 *in6 = (const void *)sa;
    if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
        memcpy(&a->s_addr, &in6->sin6_addr.s6_addr[12], 4);
        *port = ntohs(in6->sin6_port);
        return true;
    }
    return false;
}

bool sa_local(const struct sockaddr *sa)
{
    struct in_addr a;
    uint16_t port;
    if (sa_ipv4(sa, &a, &port))
        return (ntohl(a.s_addr) >> 24) == 127 || a.s_addr == htonl(INADDR_ANY);
    const struct sockaddr_in6 *in6 = (const void *)sa;
    return sa->sa_family == AF_INET6 &&
           (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr));
}

/* "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" -> host, port (0: none). */
static int split_host_port(const char *text, char *host, size_t size, long *port)
{
    const char *end, *colon;
    *port = 0;
    if (text[0] == '[') {
        end = strchr(text, ']');
        if (!end)
            return -1;
        colon = end[1] == ':' ? end + 1 : NULL;
        if (end[1] && !colon)
            return -1;
        text++;
    } else {
        colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':'))
            return -1;   /* bare IPv6 needs brackets */
        end = colon ? colon : text + strlen(text);
    }
    size_t len = (size_t)(end - text);
    if (len == 0 || len >= size)
        return -1;
    memcpy(host, text, len);
    host[len] = 0;
    if (colon) {
        char *tail;
        errno = 0;
        *port = strtol(colon + 1, &tail, 10);
        if (errno || tail == colon + 1 || *tail || *port < 1 || *port > 65535)
            return -2;
    }
    return 0;
}

static bool valid_name(const char *h)
{
    size_t label = 0;
    for (const char *p = h; *p; p++) {
        if (*p == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (isalnum((unsigned char)*p) || *p == '-' || *p == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return strlen(h) <= 253;
}

/* Fills g from a host text (name or literal) and a port; message on error. */
static int grant_set(struct grant *g, const char *label, const char *host, long port,
                     struct err *e)
{
    struct sockaddr_in *in = (void *)&g->addr;
    struct sockaddr_in6 *in6 = (void *)&g->addr;
    char lower[256];
    size_t len = strlen(host);
    if (len && host[len - 1] == '.')
        len--;
    if (len >= sizeof lower)
        return err_set(e, 0, "%s: host name too long", label);
    for (size_t k = 0; k < len; k++)
        lower[k] = (char)tolower((unsigned char)host[k]);
    lower[len] = 0;
    if (inet_pton(AF_INET, lower, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        g->literal = true;
    } else if (inet_pton(AF_INET6, lower, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        g->literal = true;
    } else if (!valid_name(lower)) {
        return err_set(e, 0, "%s: \"%s\" is not a host name or an IP address", label, host);
    }
    if (g->literal && sa_local((struct sockaddr *)&g->addr))
        return err_set(e, 0, "%s: loopback is the guest's own (the host's is out of reach); "
                       "grant a name with a policy \"upstream\" to reach a host service", label);
    g->port = (uint16_t)port;
    if (!(g->label = strdup(label)) || !(g->host = strdup(lower)))
        return err_set(e, ENOMEM, "%s", label);
    return 0;
}

static struct grant *grant_add(struct net *n, struct err *e)
{
    if (n->ngrants == GRANTS_MAX) {
        err_set(e, 0, "too many egress grants (at most %d)", GRANTS_MAX);
        return NULL;
    }
    struct grant *g = realloc(n->grants, (n->ngrants + 1) * sizeof *g);
    if (!g) {
        err_set(e, ENOMEM, "egress grants");
        return NULL;
    }
    n->grants = g;
    g = &n->grants[n->ngrants++];
    memset(g, 0, sizeof *g);
    return g;
}

static int allow_flag(struct net *n, const char *text, struct err *e)
{
    char label[300], host[256];
    snprintf(label, sizeof label, "--allow %s", text);
    long port;
    int r = split_host_port(text, host, sizeof host, &port);
    if (r == -2)
        return err_set(e, 0, "%s: the port must be 1..65535", label);
    if (r < 0)
        return err_set(e, 0, "%s: expected HOST or HOST:PORT ([ADDR]:PORT for IPv6)", label);
    struct grant *g = grant_add(n, e);
    return g ? grant_set(g, label, host, port, e) : -1;
}

int net_allow_check(const char *text, struct err *e)
{
    struct net tmp = { 0 };
    int r = allow_flag(&tmp, text, e);
    grants_free(&tmp);
    return r;
}

static int egress_rule(struct net *n, const char *file, size_t k, struct json_object *rule,
                       struct err *e)
{
    char label[300];
    snprintf(label, sizeof label, "policy %s: egress[%zu]", file, k);
    if (!json_object_is_type(rule, json_type_object))
        return err_set(e, 0, "%s: expected an object", label);
    struct json_object *host = NULL, *port = NULL, *up = NULL, *http = NULL, *tls = NULL,
                       *ca = NULL;
    json_object_object_foreach(rule, key, val) {
        if (!strcmp(key, "host")) {
            host = val;
        } else if (!strcmp(key, "port")) {
            port = val;
        } else if (!strcmp(key, "upstream")) {
            up = val;
        } else if (!strcmp(key, "http")) {
            http = val;
        } else if (!strcmp(key, "tls")) {
            tls = val;
        } else if (!strcmp(key, "upstream_ca")) {
            ca = val;
        } else {
            return err_set(e, 0, "%s: unknown key \"%s\"", label, key);
        }
    }
    if (!host || !json_object_is_type(host, json_type_string))
        return err_set(e, 0, "%s.host: required, a string", label);
    long p = 0;
    if (port) {
        p = json_object_is_type(port, json_type_int) ? (long)json_object_get_int64(port) : -1;
        if (p < 1 || p > 65535)
            return err_set(e, 0, "%s.port: expected 1..65535", label);
    }
    struct grant *g = grant_add(n, e);
    if (!g || grant_set(g, label, json_object_get_string(host), p, e) < 0)
        return -1;
    if (up) {
        char uhost[256];
        long uport;
        if (!json_object_is_type(up, json_type_string) ||
            split_host_port(json_object_get_string(up), uhost, sizeof uhost, &uport) < 0 ||
            uport == 0)
            return err_set(e, 0, "%s.upstream: expected \"HOST:PORT\"", label);
        if (!(g->up_host = strdup(uhost)))
            return err_set(e, ENOMEM, "%s", label);
        g->up_port = (uint16_t)uport;
    }
    if (http && http_rules_parse(http, label, &g->http, e) < 0)
        return -1;
    if (tls) {
        if (!json_object_is_type(tls, json_type_string) ||
            strcmp(json_object_get_string(tls), "intercept"))
            return err_set(e, 0, "%s.tls: expected \"intercept\"", label);
        g->intercept = true;
    }
    if (ca) {
        if (!g->intercept)
            return err_set(e, 0, "%s.upstream_ca: needs \"tls\": \"intercept\"", label);
        if (!json_object_is_type(ca, json_type_string) || !json_object_get_string_len(ca))
            return err_set(e, 0, "%s.upstream_ca: expected a file name", label);
        if (!(g->upstream_ca = strdup(json_object_get_string(ca))))
            return err_set(e, ENOMEM, "%s", label);
    }
    return 0;
}

int grants_load(struct net *n, const struct net_options *o, struct err *e)
{
    for (const char *const *a = o->allow; a && *a; a++)
        if (allow_flag(n, *a, e) < 0)
            return -1;
    struct json_object *egress = policy_section(o->policy, "egress");
    if (egress) {
        const char *file = policy_path(o->policy);
        if (!json_object_is_type(egress, json_type_array))
            return err_set(e, 0, "policy %s: egress: expected an array of rules", file);
        for (size_t k = 0; k < json_object_array_length(egress); k++)
            if (egress_rule(n, file, k, json_object_array_get_idx(egress, k), e) < 0)
                return -1;
    }
    for (unsigned k = 0; k < n->ngrants; k++) {
        if (!n->grants[k].intercept)
            continue;
        if (!n->ca && tls_start(n, e) < 0)
            return -1;
        if (tls_grant(n, &n->grants[k], e) < 0)
            return -1;
    }
    /* One address per distinct name, shared by its grants. */
    for (unsigned k = 0; k < n->ngrants; k++) {
        struct grant *g = &n->grants[k];
        unsigned first = k;
        for (unsigned j = 0; j < k && !g->literal; j++)
            if (!n->grants[j].literal && !strcmp(n->grants[j].host, g->host)) {
                first = j;
                break;
            }
        g->vaddr.s_addr = htonl(NET_VADDR_BASE + 1 + first);
    }
    return 0;
}

void grants_free(struct net *n)
{
    for (unsigned k = 0; k < n->ngrants; k++) {
        free(n->grants[k].label);
        free(n->grants[k].host);
        free(n->grants[k].up_host);
        http_rules_free(n->grants[k].http);
        tls_grant_free(&n->grants[k]);
    }
    free(n->grants);
    n->grants = NULL;
    n->ngrants = 0;
}

const struct grant *grant_match(const struct net *n, const struct sockaddr *sa)
{
    struct in_addr a4;
    uint16_t port;
    bool v4 = sa_ipv4(sa, &a4, &port);
    const struct sockaddr_in6 *in6 = (const void *)sa;
    if (!v4 && sa->sa_family != AF_INET6)
        return NULL;
    if (!v4)
        port = ntohs(in6->sin6_port);
    for (unsigned k = 0; k < n->ngrants; k++) {
        const struct grant *g = &n->grants[k];
        if (g->port && g->port != port)
            continue;
        const struct sockaddr_in *gin = (const void *)&g->addr;
        const struct sockaddr_in6 *gin6 = (const void *)&g->addr;
        bool hit;
        if (!g->literal)
            hit = v4 && a4.s_addr == g->vaddr.s_addr;
        else if (g->addr.ss_family == AF_INET)
            hit = v4 && a4.s_addr == gin->sin_addr.s_addr;
        else
            hit = !v4 && IN6_ARE_ADDR_EQUAL(&gin6->sin6_addr, &in6->sin6_addr);
        if (hit)
            return g;
    }
    return NULL;
}

bool grant_resolve(const struct net *n, const char *name, struct in_addr *out)
{
    for (unsigned k = 0; k < n->ngrants; k++)
        if (!n->grants[k].literal && !strcasecmp(n->grants[k].host, name)) {
            *out = n->grants[k].vaddr;
            return true;
        }
    return false;
}
