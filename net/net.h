/* net/net.h — the session's network layer: the only way out of the guest.
 *
 * Owns: the egress grants (--allow and the policy's "egress" section), the
 * decision for every address a guest socket is pointed at (default deny:
 * ENETUNREACH and an audit event), the sockets the sentry keeps inside the
 * guest's network namespace (proxy listeners, the DNS answerer), the proxy
 * that joins granted connections to an upstream opened from the host side,
 * the DNS answerer (granted names only; nothing is ever forwarded), and the
 * host directory that holds the real files of the guest's AF_UNIX path
 * sockets.
 * Knows nothing of seccomp, ptrace or guest memory: the sentry hands it a
 * host copy of the guest's socket (pidfd_getfd shares the open file, and a
 * socket keeps the namespace it was made in) and plain socket addresses.
 * Why the guest's own network namespace: a guest socket can reach nothing but
 * loopback natively, so every way out is a connect the sentry carries out.
 *
 * Threading: the net_* calls below run under the session lock; the proxy
 * and the DNS answerer run on threads of their own and share only the
 * connection table (its own mutex) with them.
 */
#ifndef CORDON_NET_NET_H
#define CORDON_NET_NET_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sentry/policy.h"
#include "util/err.h"

struct net;

struct net_options {
    const char *const *allow;     /* --allow HOST[:PORT] values, NULL-terminated */
    const struct policy *policy;  /* its "egress" section; NULL: none */
    const char *sock_dir;         /* host dir (created here, 0700) for AF_UNIX socket files */
    bool verbose;                 /* audit lines on stderr */
};

/* Validates the grants (errors name the flag or the policy key) and makes
 * the socket directory. Nothing runs yet: net_attach starts the rest. */
int net_create(const struct net_options *o, struct net **out, struct err *e);
/* The guest tree ended (its namespace with it): stops the proxy, the
 * answerer and the helper; the next tree's first network call attaches
 * again. */
void net_detach(struct net *n);
/* Checks one --allow value as net_create would (for a usage error early). */
int net_allow_check(const char *text, struct err *e);
/* Stops the proxy and the answerer and removes the socket directory. */
void net_destroy(struct net *n);

/* The first network call of a session joins the guest's namespaces (fds of
 * its user and network namespaces, borrowed) and starts the proxy and the
 * DNS answerer there. A failure is reported once and not retried: the
 * guest keeps loopback and nothing leaves. */
int net_attach(struct net *n, int userns, int netns);
bool net_attached(const struct net *n);

/* A guest socket (host copy `sock`) connecting to `sa`: carried out here
 * (loopback, the abstract AF_UNIX namespace, a grant through the proxy) or
 * refused, with the errno connect(2) documents. AF_UNIX path addresses
 * arrive already translated by net_unix_path. `tid` names the caller in
 * audit events. */
int net_connect(struct net *n, pid_t tid, int sock, const struct sockaddr *sa, socklen_t len);
/* sendto(2) with an address, the data already copied out of the guest. */
ssize_t net_sendto(struct net *n, pid_t tid, int sock, const void *buf, size_t len, int flags,
                   const struct sockaddr *sa, socklen_t salen);
/* bind(2) of an address that is not an AF_UNIX path (those: net_unix_bind). */
int net_bind(struct net *n, pid_t tid, int sock, const struct sockaddr *sa, socklen_t len);

/* AF_UNIX path sockets: the guest path lives in the VFS as a socket inode
 * `ino`; its real socket file is sock_dir/<ino>. */
int net_unix_bind(struct net *n, int sock, unsigned long ino, const char *guest_path);
/* The real address for the socket inode `ino` (for connect and sendto). */
void net_unix_addr(struct net *n, unsigned long ino, struct sockaddr_storage *out,
                   socklen_t *len);

/* What getsockname/getpeername show the guest: the address it asked for
 * (never the proxy's), AF_UNIX paths as guest paths. */
int net_sockname(struct net *n, int sock, bool peer, struct sockaddr_storage *out,
                 socklen_t *len);

/* A socket the guest may not create natively (AF_NETLINK NETLINK_ROUTE),
 * made inside the guest's namespace: a host fd, or -errno. */
int net_socket(struct net *n, int domain, int type, int protocol);

/* The session CA's certificate (PEM) when a grant intercepts TLS, for the
 * guest's trust store; NULL otherwise. */
const char *net_ca_pem(const struct net *n);
/* Where the session writes the guest's CA bundle (the host's bundle plus
 * the session CA), and the environment that points TLS clients at it
 * (OpenSSL, python requests, curl): NULL-terminated, empty when no grant
 * intercepts. */
#define NET_CA_DIR "/etc/cordon"
#define NET_CA_BUNDLE NET_CA_DIR "/ca-certificates.crt"
const char *const *net_guest_env(const struct net *n);

/* The one place network decisions are reported: an event of the session's
 * stream (sentry/events.h: `op` is its kind, `detail` the host or address,
 * `what` and err the reason) and, under -v, a line on stderr. */
void net_event(struct net *n, pid_t tid, int op, const char *what, const char *detail, int err);

#endif
