/* sentry/oci_config.c — config.json to run_options; see oci_config.h. */
#include "sentry/oci_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Refuses every key of obj that `known` does not list. */
static int only_keys(json_object *obj, const char *where, const char *const *known,
                     struct err *e)
{
    json_object_object_foreach(obj, key, val) {
        (void)val;
        const char *const *k = known;
        while (*k && strcmp(*k, key))
            k++;
        if (!*k)
            return err_set(e, 0, "config.json: %s%s is not supported by cordon", where, key);
    }
    return 0;
}

static json_object *get(json_object *obj, const char *key, json_type type)
{
    json_object *v;
    return json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

/* A key that must be absent or of an empty value (no hooks, no sysctls). */
static int must_be_empty(json_object *obj, const char *key, const char *where, struct err *e)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
        return 0;
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v)
               : json_object_is_type(v, json_type_object) ? (size_t)json_object_object_length(v)
               : json_object_is_type(v, json_type_string) ? strlen(json_object_get_string(v))
                                                           : 1;
    return n ? err_set(e, 0, "config.json: %s%s is not supported by cordon", where, key) : 0;
}

static int string_list(json_object *arr, const char *where, const char **out, size_t max,
                       struct err *e)
{
    size_t n = arr ? json_object_array_length(arr) : 0;
    if (n > max)
        return err_set(e, 0, "config.json: %s: more than %zu entries", where, max);
    for (size_t k = 0; k < n; k++) {
        json_object *s = json_object_array_get_idx(arr, k);
        if (!json_object_is_type(s, json_type_string))
            return err_set(e, 0, "config.json: %s[%zu] is not a string", where, k);
        out[k] = json_object_get_string(s);
    }
    out[n] = NULL;
    return 0;
}

static const struct { const char *name; int resource; } RLIMITS[] = {
    { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
};

static int load_rlimits(json_object *arr, struct oci_config *c, struct err *e)
{
    size_t n = arr ? json_object_array_length(arr) : 0;
    for (size_t k = 0; k < n; k++) {
        json_object *r = json_object_array_get_idx(arr, k), *type = get(r, "type", json_type_string);
        size_t t = 0;
        while (type && t < sizeof RLIMITS / sizeof *RLIMITS &&
               strcmp(RLIMITS[t].name, json_object_get_string(type)))
            t++;
        if (!type || t == sizeof RLIMITS / sizeof *RLIMITS || c->nrlimits == OCI_MAX_RLIMITS)
            return err_set(e, 0, "config.json: process.rlimits[%zu]: unknown type", k);
        json_object *soft = get(r, "soft", json_type_int), *hard = get(r, "hard", json_type_int);
        if (!soft || !hard)
            return err_set(e, 0, "config.json: process.rlimits[%zu]: soft and hard required", k);
        c->rlimits[c->nrlimits].resource = RLIMITS[t].resource;
        c->rlimits[c->nrlimits].lim = (struct rlimit){ (rlim_t)json_object_get_uint64(soft),
                                                       (rlim_t)json_object_get_uint64(hard) };
        c->nrlimits++;
    }
    return 0;
}

int oci_process_load(json_object *p, struct oci_config *c, struct err *e)
{
    static const char *const known[] = { "terminal", "consoleSize", "user", "args", "env", "cwd",
                                         "capabilities", "rlimits", "noNewPrivileges",
                                         "oomScoreAdj", "apparmorProfile", "selinuxLabel",
                                         NULL };
    if (!p)
        return err_set(e, 0, "config.json: process is required");
    if (only_keys(p, "process.", known, e) < 0)
        return -1;
    json_object *t = get(p, "terminal", json_type_boolean), *size = get(p, "consoleSize", json_type_object);
    c->terminal = t && json_object_get_boolean(t);
    json_object *rows = size ? get(size, "height", json_type_int) : NULL;
    json_object *cols = size ? get(size, "width", json_type_int) : NULL;
    c->console_rows = rows ? (unsigned)json_object_get_int(rows) : 0;
    c->console_cols = cols ? (unsigned)json_object_get_int(cols) : 0;
    if (string_list(get(p, "args", json_type_array), "process.args", c->argv, OCI_MAX_ARGS, e) <
            0 ||
        string_list(get(p, "env", json_type_array), "process.env", c->env, OCI_MAX_ENV, e) < 0 ||
        load_rlimits(get(p, "rlimits", json_type_array), c, e) < 0)
        return -1;
    if (!c->argv[0])
        return err_set(e, 0, "config.json: process.args must not be empty");
    json_object *cwd = get(p, "cwd", json_type_string);
    c->run.cwd = cwd ? json_object_get_string(cwd) : "/";
    if (c->run.cwd[0] != '/')
        return err_set(e, 0, "config.json: process.cwd must be absolute: %s", c->run.cwd);
    json_object *user = get(p, "user", json_type_object);
    if (user) {
        static const char *const uknown[] = { "uid", "gid", "umask", "additionalGids",
                                              "username", NULL };
        if (only_keys(user, "process.user.", uknown, e) < 0)
            return -1;
        json_object *uid = get(user, "uid", json_type_int), *gid = get(user, "gid", json_type_int);
        json_object *umask = get(user, "umask", json_type_int);
        int64_t u = uid ? json_object_get_int64(uid) : 0, g = gid ? json_object_get_int64(gid) : 0;
        /* containerd repeats the primary group there ([0] for root): only
         * that is what the guest has; any other group is refused. */
        json_object *groups = get(user, "additionalGids", json_type_array);
        for (size_t k = 0; groups && k < json_object_array_length(groups); k++)
            if (json_object_get_int64(json_object_array_get_idx(groups, k)) != g)
                return err_set(e, 0, "config.json: process.user.additionalGids: groups other "
                                     "than the primary gid are not supported by cordon");
        /* The sentry's guest is its uid 0 (--root) or its user 1000. */
        if (!((u == 0 && g == 0) || (u == 1000 && g == 1000)))
            return err_set(e, 0, "config.json: process.user %lld:%lld: cordon runs a container "
                                 "as 0:0 or 1000:1000 only", (long long)u, (long long)g);
        if (umask && json_object_get_int64(umask) != 022)
            return err_set(e, 0, "config.json: process.user.umask: only 0022 is supported");
        c->run.root = u == 0;
    } else {
        c->run.root = true;
    }
    json_object *oom = get(p, "oomScoreAdj", json_type_int);
    if (oom) {
        c->oom_score_adj = json_object_get_int(oom);
        c->has_oom_score_adj = true;
    }
    return 0;
}

/* Mounts the session already has in its own form: /proc, /sys, /dev and
 * friends are synthetic, tmpfs is what the memory layer is (/var/tmp too:
 * podman --read-only asks for one there). podman's binds
 * of its own files (/etc/hosts, hostname, resolv.conf, .containerenv, the
 * shm directory) give way to the session's: the guest's names resolve
 * through the sentry's DNS answerer and its shm is memory. */
static bool synthetic_mount(const char *dst, bool bind)
{
    static const char *const fs[] = { "/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/pts",
                                      "/dev/shm", "/dev/mqueue", "/tmp", "/var/tmp", "/run",
                                      NULL };
    static const char *const files[] = { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf",
                                         "/run/.containerenv", "/dev/shm", NULL };
    const char *const *s = bind ? files : fs;
    while (*s && strcmp(*s, dst))
        s++;
    return *s != NULL;
}

/* A bind's options as a --mount OPTS list (rw unless ro, as in OCI).
 * Propagation and atime options mean nothing to the VFS's grafts (host
 * paths are resolved live, nothing is mounted); nosuid and nodev are what
 * mounts always are (no_new_privs, device nodes refused). */
const char *const OCI_BIND_OPTIONS[] = { "ro", "rw", "noexec", "exec", "bind", "rbind",
                                         "private", "rprivate", "slave", "rslave", "nosuid",
                                         "nodev", "relatime", "norelatime", "noatime",
                                         "strictatime", NULL };

static int bind_opts(json_object *opts, size_t k, char *out, size_t size, struct err *e)
{
    bool ro = false, noexec = false;
    size_t n = opts ? json_object_array_length(opts) : 0;
    for (size_t j = 0; j < n; j++) {
        json_object *o = json_object_array_get_idx(opts, j);
        const char *v = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : "";
        const char *const *m = OCI_BIND_OPTIONS;
        while (*m && strcmp(*m, v))
            m++;
        if (!*m)
            return err_set(e, 0, "config.json: mounts[%zu]: bind option \"%s\" is not supported "
                                 "by cordon", k, v);
        ro |= !strcmp(v, "ro");
        noexec |= !strcmp(v, "noexec");
    }
    snprintf(out, size, "%s%s", ro ? "ro" : "rw", noexec ? ",noexec" : "");
    return 0;
}

/* A bind of host data becomes a workspace mount (`--mount HOST:GUEST:OPTS`):
 * the VFS grafts the host directory, secrets hidden inside it. */
static int bind_mount(json_object *m, size_t k, const char *dst, const char *bundle,
                      struct oci_config *c, size_t *nb, struct err *e)
{
    json_object *src = get(m, "source", json_type_string);
    if (!src)
        return err_set(e, 0, "config.json: mounts[%zu]: a bind needs a source", k);
    const char *s = json_object_get_string(src);
    char path[PATH_MAX * 2], host[PATH_MAX], opts[16];
    snprintf(path, sizeof path, "%s%s%s", s[0] == '/' ? "" : bundle, s[0] == '/' ? "" : "/", s);
    struct stat st;
    if (!realpath(path, host) || stat(host, &st) < 0)
        return err_set(e, errno, "config.json: mounts[%zu]: bind source %s", k, path);
    if (!S_ISDIR(st.st_mode))
        return err_set(e, 0, "config.json: mounts[%zu]: %s is not a directory: cordon binds "
                             "directories only", k, host);
    if (strchr(dst, ':'))
        return err_set(e, 0, "config.json: mounts[%zu]: destination %s: a ':' is not supported",
                       k, dst);
    if (*nb == OCI_MAX_MOUNTS)
        return err_set(e, 0, "config.json: mounts: more than %d binds", OCI_MAX_MOUNTS);
    if (bind_opts(get(m, "options", json_type_array), k, opts, sizeof opts, e) < 0)
        return -1;
    if (asprintf(&c->mounts[*nb], "%s:%s:%s", host, dst, opts) < 0)
        return err_set(e, ENOMEM, "config.json: mounts[%zu]", k);
    (*nb)++;
    return 0;
}

static bool is_bind(json_object *m)
{
    json_object *type = get(m, "type", json_type_string), *opts = get(m, "options", json_type_array);
    if (type && !strcmp(json_object_get_string(type), "bind"))
        return true;
    for (size_t j = 0; opts && j < json_object_array_length(opts); j++) {
        const char *o = json_object_get_string(json_object_array_get_idx(opts, j));
        if (o && (!strcmp(o, "bind") || !strcmp(o, "rbind")))
            return true;
    }
    return false;
}

static int load_mounts(json_object *arr, const char *bundle, struct oci_config *c, struct err *e)
{
    size_t n = arr ? json_object_array_length(arr) : 0, nb = 0;
    for (size_t k = 0; k < n; k++) {
        json_object *m = json_object_array_get_idx(arr, k);
        json_object *dst = get(m, "destination", json_type_string);
        if (!dst || json_object_get_string(dst)[0] != '/')
            return err_set(e, 0, "config.json: mounts[%zu]: an absolute destination is required",
                           k);
        const char *d = json_object_get_string(dst);
        bool bind = is_bind(m);
        if (synthetic_mount(d, bind))
            continue;
        if (!bind)
            return err_set(e, 0, "config.json: mounts[%zu]: a %s mount at %s is not supported by "
                                 "cordon (binds of host directories, and the synthetic /proc, "
                                 "/sys, /dev, /tmp, /var/tmp and /run)", k,
                           get(m, "type", json_type_string)
                               ? json_object_get_string(get(m, "type", json_type_string))
                               : "typeless", d);
        if (bind_mount(m, k, d, bundle, c, &nb, e) < 0)
            return -1;
    }
    c->run.mounts = (const char *const *)c->mounts;
    return 0;
}

static int load_resources(json_object *r, struct oci_config *c, struct err *e)
{
    static const char *const known[] = { "devices", "memory", "pids", "cpu", NULL };
    if (!r)
        return 0;
    if (only_keys(r, "linux.resources.", known, e) < 0)
        return -1;
    /* containerd always writes the default weight, which asks for nothing;
     * a weight or quota of their own would need a cpu controller. */
    json_object *cpu = get(r, "cpu", json_type_object), *shares = NULL;
    if (cpu && (json_object_object_length(cpu) != 1 ||
                !(shares = get(cpu, "shares", json_type_int)) ||
                json_object_get_int64(shares) != 1024))
        return err_set(e, 0, "config.json: linux.resources.cpu: only shares 1024 (the default) "
                             "is supported by cordon");
    json_object *mem = get(r, "memory", json_type_object);
    if (mem) {
        static const char *const mknown[] = { "limit", "swap", NULL };
        if (only_keys(mem, "linux.resources.memory.", mknown, e) < 0)
            return -1;
        json_object *limit = get(mem, "limit", json_type_int), *swap = get(mem, "swap", json_type_int);
        int64_t l = limit ? json_object_get_int64(limit) : -1;
        /* No swap of its own: memory+swap past the limit cannot be granted. */
        if (swap && json_object_get_int64(swap) != l && json_object_get_int64(swap) != -1)
            return err_set(e, 0, "config.json: linux.resources.memory.swap: only equal to the "
                                 "limit (no swap) is supported");
        c->run.memory = l > 0 ? (uint64_t)l : 0;
    }
    json_object *pids = get(r, "pids", json_type_object);
    if (pids) {
        json_object *limit = get(pids, "limit", json_type_int);
        int64_t l = limit ? json_object_get_int64(limit) : -1;
        c->run.pids = l > 0 ? (uint64_t)l : 0;
    }
    return 0;
}

/* podman sets net.ipv4.ping_group_range by default: it only widens who may
 * open ICMP echo sockets, and the guest's sockets are the sentry's to
 * grant, so cordon accepts it without applying it. Any other is refused. */
static int load_sysctl(json_object *sysctl, struct err *e)
{
    if (!sysctl)
        return 0;
    json_object_object_foreach(sysctl, key, val) {
        (void)val;
        if (strcmp(key, "net.ipv4.ping_group_range"))
            return err_set(e, 0, "config.json: linux.sysctl %s is not supported by cordon", key);
    }
    return 0;
}

static int load_linux(json_object *l, struct oci_config *c, struct err *e)
{
    /* Accepted: cordon makes namespaces, a cgroup, a seccomp filter and a
     * /proc of its own, stricter than what these ask for. */
    static const char *const known[] = { "namespaces", "resources", "cgroupsPath", "seccomp",
                                         "maskedPaths", "readonlyPaths", "mountLabel",
                                         "rootfsPropagation", "uidMappings", "gidMappings",
                                         "sysctl", "devices", NULL };
    if (!l)
        return 0;
    if (only_keys(l, "linux.", known, e) < 0 || must_be_empty(l, "uidMappings", "linux.", e) < 0 ||
        must_be_empty(l, "gidMappings", "linux.", e) < 0 ||
        load_sysctl(get(l, "sysctl", json_type_object), e) < 0 ||
        must_be_empty(l, "devices", "linux.", e) < 0)
        return -1;
    json_object *ns = get(l, "namespaces", json_type_array);
    size_t n = ns ? json_object_array_length(ns) : 0;
    for (size_t k = 0; k < n; k++) {
        json_object *entry = json_object_array_get_idx(ns, k);
        json_object *type = get(entry, "type", json_type_string);
        json_object *path = get(entry, "path", json_type_string);
        /* The caller's network namespace is where the sentry's own sockets
         * (the proxy's upstreams) live; the guest keeps its own behind the
         * sentry, so the egress policy still decides. */
        if (type && path && !strcmp(json_object_get_string(type), "network")) {
            c->netns = json_object_get_string(path);
            if (access(c->netns, F_OK) < 0)
                return err_set(e, errno, "config.json: linux.namespaces[%zu].path %s", k,
                               c->netns);
        } else if (must_be_empty(entry, "path", "linux.namespaces[].", e) < 0) {
            return err_set(e, 0, "config.json: linux.namespaces[%zu].path: joining an existing "
                                 "%s namespace is not supported by cordon (only network)", k,
                           type ? json_object_get_string(type) : "(untyped)");
        }
    }
    return load_resources(get(l, "resources", json_type_object), c, e);
}

int oci_config_load(const char *bundle, struct oci_config *c, struct err *e)
{
    static const char *const known[] = { "ociVersion", "root", "process", "hostname",
                                         "domainname", "mounts", "hooks", "annotations",
                                         "linux", NULL };
    *c = (struct oci_config){ 0 };
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", bundle);
    if (!(c->json = json_object_from_file(path)))
        return err_set(e, errno, "%s: %s", path, json_util_get_last_err());
    if (!json_object_is_type(c->json, json_type_object))
        return err_set(e, 0, "%s: not a JSON object", path);
    if (only_keys(c->json, "", known, e) < 0 || must_be_empty(c->json, "hooks", "", e) < 0 ||
        must_be_empty(c->json, "domainname", "", e) < 0)
        return -1;
    json_object *root = get(c->json, "root", json_type_object);
    json_object *rp = root ? get(root, "path", json_type_string) : NULL;
    if (!rp)
        return err_set(e, 0, "config.json: root.path is required");
    const char *r = json_object_get_string(rp);
    char joined[PATH_MAX * 2];
    snprintf(joined, sizeof joined, "%s%s%s", r[0] == '/' ? "" : bundle, r[0] == '/' ? "" : "/", r);
    struct stat st;
    if (!realpath(joined, c->rootfs) || stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
        return err_set(e, errno ? errno : ENOTDIR, "config.json: root.path %s", joined);
    if (oci_process_load(get(c->json, "process", json_type_object), c, e) < 0 ||
        load_mounts(get(c->json, "mounts", json_type_array), bundle, c, e) < 0 ||
        load_linux(get(c->json, "linux", json_type_object), c, e) < 0)
        return -1;
    json_object *host = get(c->json, "hostname", json_type_string);
    c->run.hostname = host && *json_object_get_string(host) ? json_object_get_string(host) : NULL;
    json_object *ann = get(c->json, "annotations", json_type_object);
    json_object *policy = ann ? get(ann, "dev.cordon.policy", json_type_string) : NULL;
    json_object *events = ann ? get(ann, "dev.cordon.events", json_type_string) : NULL;
    c->run.policy = policy ? json_object_get_string(policy) : NULL;
    c->run.events = events ? json_object_get_string(events) : NULL;
    c->run.argv = c->argv;
    c->run.extra_env = c->env;
    c->run.rootfs = c->rootfs;
    return 0;
}

void oci_config_free(struct oci_config *c)
{
    for (size_t k = 0; c->mounts[k]; k++)
        free(c->mounts[k]);
    c->mounts[0] = NULL;
    json_object_put(c->json);
    c->json = NULL;
}

const char OCI_DEFAULT_SPEC[] =
    "{\n"
    "  \"ociVersion\": \"1.0.2\",\n"
    "  \"process\": {\n"
    "    \"terminal\": false,\n"
    "    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
    "    \"args\": [ \"sh\" ],\n"
    "    \"env\": [ \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "             \"TERM=xterm\" ],\n"
    "    \"cwd\": \"/\",\n"
    "    \"noNewPrivileges\": true\n"
    "  },\n"
    "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
    "  \"hostname\": \"cordon\",\n"
    "  \"mounts\": [\n"
    "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
    "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },\n"
    "    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
    "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] }\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ] },\n"
    "    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },\n"
    "                      { \"type\": \"uts\" }, { \"type\": \"mount\" } ],\n"
    "    \"maskedPaths\": [ \"/proc/kcore\" ],\n"
    "    \"readonlyPaths\": [ \"/proc/sys\" ]\n"
    "  }\n"
    "}\n";
