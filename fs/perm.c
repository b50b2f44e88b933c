/* fs/perm.c — Linux's discretionary access rules on guest ids. The guest
 * has no supplementary groups and no capabilities; uid 0 is handled as Linux
 * handles CAP_DAC_OVERRIDE so a guest root behaves as expected. */
#include "fs/internal.h"

#include <errno.h>
#include <unistd.h>

int perm_check(const struct inode *i, int mask, const struct fs_cred *c)
{
    mask &= R_OK | W_OK | X_OK;
    if ((mask & X_OK) && S_ISREG(i->mode) && i->layer == LAYER_MOUNT && mount_noexec(i))
        return -EACCES;
    if (c->uid == 0) {
        /* Root may execute only what someone may execute. */
        if (!(mask & X_OK) || S_ISDIR(i->mode) || (i->mode & 0111))
            return 0;
        return -EACCES;
    }
    mode_t bits = i->mode;
    if (c->uid == i->uid)
        bits >>= 6;
    else if (c->gid == i->gid)
        bits >>= 3;
    return (mask & ~bits & 7) ? -EACCES : 0;
}

bool perm_owner(const struct inode *i, const struct fs_cred *c)
{
    return c->uid == 0 || c->uid == i->uid;
}

int perm_may_create(struct inode *dir, const struct fs_cred *c)
{
    if (dir->dead)
        return -ENOENT;
    return perm_check(dir, W_OK | X_OK, c);
}

/* May `victim`, named in `dir`, be unlinked (isdir: rmdir'd) or renamed away?
 * Same order of checks as the kernel's may_delete(). */
int perm_may_delete(struct inode *dir, struct inode *victim, bool isdir,
                    const struct fs_cred *c)
{
    int r = perm_check(dir, W_OK | X_OK, c);
    if (r < 0)
        return r;
    if ((dir->mode & S_ISVTX) && !perm_owner(victim, c) && c->uid != dir->uid)
        return -EPERM;
    if (isdir) {
        if (!S_ISDIR(victim->mode))
            return -ENOTDIR;
        /* A host directory named in a memory directory is a graft: the
         * guest's equivalent of a mount point. */
        if (victim->graft == victim)
            return -EBUSY;
    } else if (S_ISDIR(victim->mode)) {
        return -EISDIR;
    }
    return dir->dead ? -ENOENT : 0;
}
