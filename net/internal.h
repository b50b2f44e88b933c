/* net/internal.h — what the files of net/ share: the session's network
 * state, the grants, and the table of proxied connections. */
#ifndef CORDON_NET_INTERNAL_H
#define CORDON_NET_INTERNAL_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/un.h>

#include "net/dlp.h"
#include "net/net.h"

/* One egress grant: a host (name or address literal) and optionally a port. */
struct grant {
    char *label;        /* "--allow HOST" or "policy.json: egress[2]", for messages */
    char *host;         /* lower case, no trailing dot */
    uint16_t port;      /* 0: any */
    bool literal;       /* host is an address: matched as is */
    struct sockaddr_storage addr;   /* literal: the address (port 0) */
    struct in_addr vaddr;           /* name: what the DNS answerer gives the guest */
    char *up_host;      /* "upstream": where cordon really connects; NULL: host */
    uint16_t up_port;   /* 0: the port the guest asked for */
    struct http_rules *http;   /* "http": every request inspected; NULL: raw bytes */
    bool intercept;            /* "tls": "intercept" */
    char *upstream_ca;         /* "upstream_ca": PEM file; NULL: the host's store */
    SSL_CTX *guest_ctx;        /* intercept: serves the leaf for host to the guest */
    SSL_CTX *up_ctx;           /* intercept: verifies the upstream */
};

/* A guest connection joined to the proxy, keyed by the guest socket's
 * inode; the proxy finds it by the guest's local port when it accepts. */
struct conn {
    struct conn *next;
    unsigned long ino;
    int family;
    uint16_t local_port;
    bool taken;                     /* accepted by the proxy */
    int guest, up;                  /* the relay's sockets, -1 before */
    const struct grant *grant;
    struct sockaddr_storage asked;  /* what the guest connected to */
    socklen_t asked_len;
};

/* An AF_UNIX path socket: its VFS inode and the guest path it was bound at. */
struct unix_name {
    struct unix_name *next;
    unsigned long ino;
    char *path;
};

struct net {
    struct grant *grants;
    unsigned ngrants;
    char sock_dir[108 - 24];        /* leaves room for "/<ino>" in sun_path */
    bool verbose;

    bool attached;
    int attach_err;                 /* a failed attach is not retried */
    int chan;                       /* to the helper inside the guest namespaces */
    int listen4, listen6;           /* the proxy's listeners inside the guest netns */
    struct sockaddr_in proxy4;
    struct sockaddr_in6 proxy6;
    int dns;                        /* the answerer's UDP socket */
    int stop[2];                    /* closing stop[1] ends the threads */
    pthread_t proxy_th, dns_th;
    bool threads;
    struct uring_relay *uring;      /* NULL: no io_uring, relays poll */

    pthread_mutex_t lock;           /* conns and relays (shared with the proxy) */
    pthread_cond_t idle;
    struct conn *conns;
    unsigned relays;
    struct unix_name *unames;       /* session lock only */

    struct dlp *dlp;                /* registered secrets; NULL: none */

    EVP_PKEY *ca_key, *leaf_key;    /* TLS interception: the session's CA */
    X509 *ca;
    char *ca_pem;
};

/* The DNS answerer's address inside the guest netns: the nameserver of the
 * /etc/resolv.conf that fs/rootfs.c synthesises. */
#define NET_DNS_ADDR "127.0.0.53"
/* Granted names resolve into 198.18.0.0/15 (RFC 2544: never routed). */
#define NET_VADDR_BASE 0xc6120000u

/* grant.c */
int grants_load(struct net *n, const struct net_options *o, struct err *e);
void grants_free(struct net *n);
/* The grant admitting (address, port), or NULL. v4-mapped IPv6 counts as IPv4. */
const struct grant *grant_match(const struct net *n, const struct sockaddr *sa);
/* The address a granted name resolves to; false for names not granted. */
bool grant_resolve(const struct net *n, const char *name, struct in_addr *out);
/* Loopback or the unspecified address: the guest's own namespace. */
bool sa_local(const struct sockaddr *sa);
/* IPv4 of an AF_INET or v4-mapped AF_INET6 address, and its port. */
bool sa_ipv4(const struct sockaddr *sa, struct in_addr *a, uint16_t *port);

/* netns.c: the helper that makes sockets inside the guest's namespaces. */
int netns_start(int userns, int netns, int *chan);
int netns_socket(int chan, int domain, int type, int protocol);

/* proxy.c */
int proxy_start(struct net *n);
/* Connects the guest socket to the proxy for `g`; -errno. */
int proxy_join(struct net *n, int sock, const struct grant *g, const struct sockaddr *asked,
               socklen_t len);
void *proxy_main(void *arg);
/* How long opening an upstream may take. */
#define UPSTREAM_CONNECT_MS 10000
/* A relay's buffer, one per direction. */
#define RELAY_BUF 65536
/* The canary scan of a raw grant's guest-to-upstream stream: each read is
 * scanned with the tail of the reads before, so a token split across
 * writes is still seen. True on a hit (reported here): the read must not
 * go on. */
struct scan_tail {
    char data[DLP_WINDOW];
    size_t len;
};
bool raw_scan_hit(struct net *n, const struct conn *c, struct scan_tail *t, const char *buf,
                  size_t len);

/* Ends a relayed connection: out of the table, its sockets closed, the
 * relay count down (net_detach waits for it). */
void relay_done(struct net *n, struct conn *c);
/* The event of an upstream that could not be opened (err: its errno). */
void upstream_failed(struct net *n, const struct conn *c, int err);

/* relay_uring.c: the session's io_uring relay of plain TCP grants. Started
 * with the proxy (-errno: no io_uring here; every relay then polls),
 * stopped by net_detach once no relay is left. uring_adopt takes a
 * connection whose upstream is open (c->guest, c->up) until relay_done;
 * false: not taken, relay it with poll. */
int uring_start(struct net *n);
bool uring_adopt(struct net *n, struct conn *c);
/* uring_adopt for a connection whose upstream is not open yet: the ring
 * connects it to sa (its failure: upstream_failed and relay_done). */
bool uring_connect(struct net *n, struct conn *c, const struct sockaddr *sa, socklen_t len);
void uring_stop(struct net *n);

/* dns.c */
void *dns_main(void *arg);

/* http.c: a growable byte buffer, the rules of a grant's "http" section,
 * and one connection's request stream. */
struct buf {
    char *data;
    size_t len, cap;
};
int buf_put(struct buf *b, const void *data, size_t len);
struct http_rules;
struct http_flow;
int http_rules_parse(struct json_object *http, const char *label, struct http_rules **out,
                     struct err *e);
void http_rules_free(struct http_rules *r);
/* `allowed` is told each request line that passes (for events). */
struct http_flow *http_flow_new(const struct http_rules *r, const struct dlp *dlp,
                                void (*allowed)(void *ctx, const char *line), void *ctx);
/* The real credential `inject` sends, or NULL. */
const char *http_rules_inject_value(const struct http_rules *r);
void http_flow_free(struct http_flow *f);
/* Feeds what the guest sent; appends to out what may go upstream. 0: go
 * on; 1: the current request is refused (*why); -1: not HTTP/1.1 (*why).
 * *line is the request line, for events. */
int http_flow_feed(struct http_flow *f, const char *data, size_t len, struct buf *out,
                   const char **why, const char **line);
/* The response a refused request gets: JSON with the reason. */
int http_refusal(struct buf *out, int status, const char *why, const char *line);

/* tls.c */
int tls_start(struct net *n, struct err *e);
void tls_stop(struct net *n);
int tls_grant(struct net *n, struct grant *g, struct err *e);
void tls_grant_free(struct grant *g);
/* Handshakes on a blocking socket: the guest's side with the grant's leaf,
 * the upstream's verified for the grant's host (*why on failure). */
SSL *tls_accept(const struct grant *g, int fd);
SSL *tls_connect(const struct grant *g, int fd, const char **why);

/* socket.c: connect(2) as the guest would see it, without ever blocking
 * the sentry for long. */
int connect_now(int sock, const struct sockaddr *sa, socklen_t len);

/* Formats an address "1.2.3.4:80", "[::1]:80", "unix:/path", into buf. */
const char *sa_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

#endif
