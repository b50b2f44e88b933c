/* fs/namei.c — the path walk: the one place that knows components, "." and
 * "..", symlinks (FS_MAXLINKS per walk, like Linux's 40), trailing slashes,
 * search permission, the crossing between layers, and openat2's RESOLVE_*
 * restrictions on all of these (so every caller that walks gets them the
 * same way).
 *
 * Symlinks are followed by walking their target from the directory holding
 * the link, recursively; the recursion is bounded because each level
 * consumes one of the walk's link budget.
 */
#include "fs/internal.h"

#include <errno.h>
#include <linux/openat2.h>
#include <string.h>
#include <unistd.h>

#define RESOLVE_SCOPED (RESOLVE_BENEATH | RESOLVE_IN_ROOT)

/* The mount an inode belongs to, as RESOLVE_NO_XDEV sees it, laid out as
 * a container's: the overlay root — memory layer and runtime together, as
 * gVisor's rootfs overlay is one mount, so a copy-up (which turns a runtime
 * directory into a memory one in place) moves nothing between mounts —,
 * /proc, /dev (its device nodes too) with a mount of its own for each
 * directory in it (pts, shm), and each workspace mount. A memory file has
 * no parent to tell where it lives: one reached through a /proc magic link
 * counts as the root's even in /dev/shm. */
static const void *mount_of(const struct inode *i)
{
    static const char proc_mount = 0;
    if (i->layer == LAYER_MOUNT)
        return i->graft;
    if (i->layer == LAYER_PROC)
        return &proc_mount;
    struct dentry *d = dcache_find(i->vfs->root, "dev", 3);
    const struct inode *dev = d ? d->child : NULL;
    if (i->devpath || i->pty)
        return dev;
    for (const struct inode *p = i; p && p != i->vfs->root; p = p->parent)
        if (p == dev || p->parent == dev)
            return p;
    return NULL;
}

static struct inode *walk_root(const struct walker *w)
{
    return w->root ? w->root : w->v->root;
}

/* Replaces the reference in *pos by one on next. */
static void move_to(struct inode **pos, struct inode *next)
{
    inode_get(next);
    inode_put(*pos);
    *pos = next;
}

/* Whether the walk may follow link, counting it against the budget. */
static int may_follow(struct walker *w, const struct inode *link)
{
    /* In the kernel's order: pick_link(), then nd_jump_link() for magic
     * links, which scoped lookups may never take. */
    if (w->resolve & RESOLVE_NO_SYMLINKS)
        return -ELOOP;
    if (link->magic && (w->resolve & RESOLVE_NO_MAGICLINKS))
        return -ELOOP;
    if (link->magic && (w->resolve & RESOLVE_SCOPED))
        return -EXDEV;
    if (++w->links > FS_MAXLINKS)
        return -ELOOP;
    return 0;
}

int namei_link_target(struct walker *w, struct inode *link, const char **target)
{
    int r = may_follow(w, link);
    if (r < 0)
        return r;
    if (!link->target[0])
        return -ENOENT;
    *target = link->target;
    return 0;
}

/* A name in dir: its entry (a whiteout hides the host's name), else, for
 * host and merged directories, the host's name. */
static int lookup_name(struct inode *dir, const char *name, size_t len, struct inode **next)
{
    struct dentry *d = dir->dead ? NULL : dcache_find(dir, name, len);
    if (d) {
        *next = d->child;
        return ovl_whiteout(d) ? -ENOENT : 0;
    }
    if (ovl_lower(dir) && !dir->dead)
        return host_lookup(dir, name, len, next);
    return -ENOENT;
}

int namei_step(struct walker *w, struct inode *dir, const char *name, size_t len,
               struct inode **next)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    int r = perm_check(dir, X_OK, w->c);
    if (r < 0)
        return r;
    if (len > NAME_MAX)
        return -ENAMETOOLONG;
    if (len == 1 && name[0] == '.') {
        *next = dir;
        return 0;
    }
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        /* At the root ".." stays there (RESOLVE_BENEATH: may not climb out
         * of its start); a graft root's parent is the memory directory it
         * hangs in; a removed directory has none. */
        if (dir == walk_root(w) && (w->resolve & RESOLVE_BENEATH))
            return -EXDEV;
        *next = dir == walk_root(w) || dir == w->v->root ? dir : dir->parent;
        if (!*next)
            return -ENOENT;
    } else if (dir->layer == LAYER_MOUNT) {
        r = mount_lookup(dir, name, len, next);
        if (r < 0)
            return r;
    } else {
        r = dir->layer == LAYER_PROC ? proc_lookup(dir, name, len, next)
                                     : lookup_name(dir, name, len, next);
        if (r < 0)
            return r;
    }
    /* Only a directory is ever mounted on: a step to anything else stays
     * on dir's mount. */
    if ((w->resolve & RESOLVE_NO_XDEV) && S_ISDIR((*next)->mode) &&
        mount_of(*next) != mount_of(dir))
        return -EXDEV;
    return 0;
}

/* An absolute path or symlink target restarts at the walk's root. */
static int jump_root(struct walker *w, struct inode **pos)
{
    if (w->resolve & RESOLVE_BENEATH)
        return -EXDEV;
    if ((w->resolve & RESOLVE_NO_XDEV) && mount_of(*pos) != mount_of(walk_root(w)))
        return -EXDEV;
    move_to(pos, walk_root(w));
    return 0;
}

static int walk(struct walker *w, struct inode **pos, const char *path, size_t len,
                bool follow);

/* A /proc link: a magic one replaces *pos by its inode (Linux's
 * nd_jump_link), another is walked from *pos like any symlink (its text is
 * made for this walk). */
static int follow_proc(struct walker *w, struct inode **pos, struct inode *link)
{
    int r = may_follow(w, link);
    if (r < 0)
        return r;
    char text[64];
    struct inode *jump;
    inode_get(link);
    r = proc_link(link, &jump, text, sizeof text);
    if (r == 1 && (w->resolve & RESOLVE_NO_XDEV) && mount_of(jump) != mount_of(*pos)) {
        inode_put(jump);
        r = -EXDEV;
    } else if (r == 1) {
        inode_put(*pos);
        *pos = jump;
        r = 0;
    } else if (r == 0) {
        r = walk(w, pos, text, strlen(text), true);
    }
    inode_put(link);
    return r;
}

/* Replaces *pos (the directory holding link) by the link's resolution. */
static int follow_link(struct walker *w, struct inode **pos, struct inode *link)
{
    if (link->layer == LAYER_PROC)
        return follow_proc(w, pos, link);
    const char *t;
    int r = namei_link_target(w, link, &t);
    if (r < 0)
        return r;
    /* The walk below may drop the last reference to the directory that
     * holds the link, and with it the link and its target string. */
    inode_get(link);
    r = walk(w, pos, t, strlen(t), true);
    inode_put(link);
    return r;
}

/* Notes (dir, name) as the entry the walk's final step goes through. */
static void note_last(struct walker *w, struct inode *dir, const char *name, size_t len)
{
    struct nameparent *np = w->last;
    inode_put(np->dir);
    np->dir = NULL;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return;
    inode_get(dir);
    np->dir = dir;
    np->type = LAST_NORM;
    np->slash = false;
    np->len = len;
    memcpy(np->name, name, len);
    np->name[len] = 0;
}

static int walk(struct walker *w, struct inode **pos, const char *path, size_t len,
                bool follow)
{
    const char *p = path, *end = path + len;
    if (len && *p == '/') {
        int r = jump_root(w, pos);
        if (r < 0)
            return r;
    }
    for (;;) {
        while (p < end && *p == '/')
            p++;
        if (p == end)
            break;
        const char *name = p;
        while (p < end && *p != '/')
            p++;
        const char *q = p;
        while (q < end && *q == '/')
            q++;
        bool last = q == end;
        struct inode *next;
        int r = namei_step(w, *pos, name, (size_t)(p - name), &next);
        if (r < 0)
            return r;
        if (last && w->last)
            note_last(w, *pos, name, (size_t)(p - name));
        /* A trailing slash makes the last component a directory to reach,
         * so it follows a symlink even when the caller does not. */
        if (S_ISLNK(next->mode) && (!last || follow || p != end))
            r = follow_link(w, pos, next);
        else
            move_to(pos, next);
        if (r < 0)
            return r;
    }
    if (len && path[len - 1] == '/' && !S_ISDIR((*pos)->mode))
        return -ENOTDIR;
    return 0;
}

static int path_len(const char *path, size_t *len)
{
    *len = strnlen(path, PATH_MAX);
    if (*len == PATH_MAX)
        return -ENAMETOOLONG;
    return *len ? 0 : -ENOENT;
}

static struct inode *start_dir(struct walker *w, struct inode *start)
{
    return start ? start : w->v->root;
}

int namei_walk(struct walker *w, struct inode *start, const char *path, bool follow,
               struct inode **out)
{
    size_t len;
    int r = path_len(path, &len);
    if (r < 0)
        return r;
    struct inode *pos = start_dir(w, start);
    inode_get(pos);
    r = walk(w, &pos, path, len, follow);
    if (r < 0) {
        inode_put(pos);
        return r;
    }
    *out = pos;
    return 0;
}

int namei_parent(struct walker *w, struct inode *start, const char *path,
                 struct nameparent *np)
{
    size_t len;
    int r = path_len(path, &len);
    if (r < 0)
        return r;
    size_t end = len;
    while (end > 0 && path[end - 1] == '/')
        end--;
    np->slash = end < len;
    struct inode *pos = start_dir(w, start);
    inode_get(pos);
    if (end == 0) {
        r = jump_root(w, &pos);
        if (r < 0) {
            inode_put(pos);
            return r;
        }
        np->dir = pos;
        np->type = LAST_ROOT;
        np->len = 0;
        np->name[0] = 0;
        return 0;
    }
    size_t s = end;
    while (s > 0 && path[s - 1] != '/')
        s--;
    np->len = end - s;
    if (np->len > NAME_MAX)
        r = -ENAMETOOLONG;
    else if (s > 0)
        r = walk(w, &pos, path, s, true);
    else if (!S_ISDIR(pos->mode))
        r = -ENOTDIR;
    if (r < 0) {
        inode_put(pos);
        return r;
    }
    memcpy(np->name, path + s, np->len);
    np->name[np->len] = 0;
    np->dir = pos;
    if (!strcmp(np->name, "."))
        np->type = LAST_DOT;
    else if (!strcmp(np->name, ".."))
        np->type = LAST_DOTDOT;
    else
        np->type = LAST_NORM;
    return 0;
}

int namei_follow(struct walker *w, struct inode *dir, struct inode *link, struct inode **out)
{
    struct inode *pos = dir;
    inode_get(pos);
    int r = follow_link(w, &pos, link);
    if (r < 0) {
        inode_put(pos);
        return r;
    }
    *out = pos;
    return 0;
}

int namei_child(struct walker *w, struct nameparent *np, struct inode **child)
{
    return namei_step(w, np->dir, np->name, np->len, child);
}
