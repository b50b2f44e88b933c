/* fs/namei.c — the path walk: the one place that knows components, "." and
 * "..", symlinks (FS_MAXLINKS per walk, like Linux's 40), trailing slashes,
 * search permission and the crossing between layers.
 *
 * Symlinks are followed by walking their target from the directory holding
 * the link, recursively; the recursion is bounded because each level
 * consumes one of the walk's link budget.
 */
#include "fs/internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Replaces the reference in *pos by one on next. */
static void move_to(struct inode **pos, struct inode *next)
{
    inode_get(next);
    inode_put(*pos);
    *pos = next;
}

int namei_link_target(struct walker *w, struct inode *link, const char **target)
{
    if (++w->links > FS_MAXLINKS)
        return -ELOOP;
    if (!link->target[0])
        return -ENOENT;
    *target = link->target;
    return 0;
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
        /* At the root ".." stays there; a graft root's parent is the memory
         * directory it hangs in; a removed directory has none. */
        *next = dir == w->v->root ? dir : dir->parent;
        return *next ? 0 : -ENOENT;
    }
    if (dir->layer == LAYER_HOST)
        return host_lookup(dir, name, len, next);
    struct dentry *d = dir->dead ? NULL : dcache_find(dir, name, len);
    if (!d)
        return -ENOENT;
    *next = d->child;
    return 0;
}

static int walk(struct walker *w, struct inode **pos, const char *path, size_t len,
                bool follow);

/* Replaces *pos (the directory holding link) by the link's resolution. */
static int follow_link(struct walker *w, struct inode **pos, struct inode *link)
{
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

static int walk(struct walker *w, struct inode **pos, const char *path, size_t len,
                bool follow)
{
    const char *p = path, *end = path + len;
    if (len && *p == '/')
        move_to(pos, w->v->root);
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
        move_to(&pos, w->v->root);
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

int namei_child(struct walker *w, struct nameparent *np, struct inode **child)
{
    return namei_step(w, np->dir, np->name, np->len, child);
}
