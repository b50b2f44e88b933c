/* net/net.c — the network layer's life: grants at start, the sockets and
 * threads inside the guest's namespace at the first network call, the
 * event funnel, teardown. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/internal.h"
#include "sentry/events.h"

static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
    }
    rmdir(path);
}

int net_create(const struct net_options *o, struct net **out, struct err *e)
{
    struct net *n = calloc(1, sizeof *n);
    if (!n)
        return err_set(e, ENOMEM, "net");
    n->verbose = o->verbose;
    n->chan = n->listen4 = n->listen6 = n->dns = n->stop[0] = n->stop[1] = -1;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->idle, NULL);
    struct json_object *dlp = policy_section(o->policy, "dlp");
    if (grants_load(n, o, e) < 0 ||
        (dlp && dlp_load(dlp, policy_path(o->policy), &n->dlp, e) < 0)) {
        net_destroy(n);
        return -1;
    }
    /* cordon sends an injected credential itself: scanning for it would
     * refuse every request it is injected into, and the guest never
     * holds it anyway. */
    for (unsigned k = 0; k < n->ngrants; k++) {
        const char *real = http_rules_inject_value(n->grants[k].http);
        const char *name = real ? dlp_registered(n->dlp, real) : NULL;
        if (name) {   /* a name means a dlp section, hence a policy */
            err_set(e, 0, "policy %s: dlp: %s is the credential %s injects (the guest never "
                    "holds it); register the secrets the guest can read", policy_path(o->policy),
                    name, n->grants[k].label);
            net_destroy(n);
            return -1;
        }
    }
    if (strlen(o->sock_dir) >= sizeof n->sock_dir) {
        net_destroy(n);
        return err_set(e, ENAMETOOLONG, "net: socket directory %s", o->sock_dir);
    }
    /* A directory of this pid's name is a dead session's (pids are unique
     * among the living): its sockets are gone with it. */
    remove_dir(o->sock_dir);
    if (mkdir(o->sock_dir, 0700) < 0) {
        err_set(e, errno, "net: socket directory %s", o->sock_dir);
        net_destroy(n);
        return -1;
    }
    strcpy(n->sock_dir, o->sock_dir);
    *out = n;
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void net_detach(struct net *n)
{
    if (!n)
        return;
    if (n->threads) {
        close_fd(&n->stop[1]);
        pthread_join(n->proxy_th, NULL);
        pthread_join(n->dns_th, NULL);
        n->threads = false;
    }
    /* Relays own their entries; cut them off and wait for them. */
    pthread_mutex_lock(&n->lock);
    for (struct conn *c = n->conns; c; c = c->next) {
        if (c->guest >= 0)
            shutdown(c->guest, SHUT_RDWR);
        if (c->up >= 0)
            shutdown(c->up, SHUT_RDWR);
    }
    while (n->relays)
        pthread_cond_wait(&n->idle, &n->lock);
    while (n->conns) {
        struct conn *c = n->conns;
        n->conns = c->next;
        free(c);
    }
    pthread_mutex_unlock(&n->lock);
    uring_stop(n);
    close_fd(&n->stop[0]);
    close_fd(&n->stop[1]);
    close_fd(&n->chan);
    close_fd(&n->listen4);
    close_fd(&n->listen6);
    close_fd(&n->dns);
    n->attached = false;
    n->attach_err = 0;
}

void net_destroy(struct net *n)
{
    if (!n)
        return;
    net_detach(n);
    while (n->unames) {
        struct unix_name *u = n->unames;
        n->unames = u->next;
        free(u->path);
        free(u);
    }
    if (n->sock_dir[0])
        remove_dir(n->sock_dir);
    grants_free(n);
    dlp_free(n->dlp);
    tls_stop(n);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->idle);
    free(n);
}

static int dns_start(struct net *n)
{
    n->dns = netns_socket(n->chan, AF_INET, SOCK_DGRAM, 0);
    if (n->dns < 0)
        return n->dns;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
    inet_pton(AF_INET, NET_DNS_ADDR, &a.sin_addr);
    return bind(n->dns, (struct sockaddr *)&a, sizeof a) < 0 ? -errno : 0;
}

bool net_attached(const struct net *n)
{
    return n->attached || n->attach_err;
}

int net_attach(struct net *n, int userns, int netns)
{
    if (n->attached || n->attach_err)
        return -n->attach_err;
    int r = netns_start(userns, netns, &n->chan);
    if (r == 0)
        r = proxy_start(n);
    if (r == 0)
        r = dns_start(n);
    if (r == 0 && pipe2(n->stop, O_CLOEXEC) < 0)
        r = -errno;
    int u;
    if (r == 0 && (u = uring_start(n)) < 0 && n->verbose)
        fprintf(stderr, "cordon: net: no io_uring (%s): plain TCP grants relay with poll(2)\n",
                strerror(-u));
    if (r == 0 && (r = -pthread_create(&n->proxy_th, NULL, proxy_main, n)) == 0) {
        if ((r = -pthread_create(&n->dns_th, NULL, dns_main, n)) == 0) {
            n->threads = true;
        } else {
            close_fd(&n->stop[1]);
            pthread_join(n->proxy_th, NULL);
        }
    }
    if (r < 0) {
        /* The guest keeps loopback; nothing leaves, and the reason is said once. */
        n->attach_err = -r;
        fprintf(stderr, "cordon: network: cannot reach the guest's namespace: %s\n",
                strerror(-r));
        return r;
    }
    n->attached = true;
    return 0;
}

void net_event(struct net *n, pid_t tid, int op, const char *what, const char *detail, int err)
{
    char reason[160];
    snprintf(reason, sizeof reason, "%s%s%s", what, err ? ": " : "", err ? strerrorname_np(err) : "");
    struct event_net ev = { .host = detail, .reason = reason };
    event_net(NULL, (enum event_net_op)op, &ev);
    if (!n->verbose || op == NET_DNS)   /* granted lookups: events only */
        return;
    if (err)
        fprintf(stderr, "cordon: audit: net: %s %s pid %d -> %s\n", what, detail, (int)tid,
                strerrorname_np(err));
    else
        fprintf(stderr, "cordon: audit: net: %s %s pid %d\n", what, detail, (int)tid);
}
