/* sentry/console.c — a pty for a container's terminal, its master handed to
 * whoever asked through the console socket.
 *
 * The pty is the host's (/dev/ptmx): it must exist at `create`, before the
 * container's tree is launched (runc sends the master before create
 * returns, and conmon waits for it), and the guest's own devpts instance
 * is made only when its init starts. The guest reaches the slave only as
 * the fd it was given: ioctls on it are the filter's terminal allowlist
 * (TIOCSTI is not there). The message carries the master's name, as
 * runc's does; conmon and containerd take the fd and ignore the name. */
#include "sentry/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"

static int send_master(const char *path, int master, struct err *e)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return err_set(e, ENAMETOOLONG, "--console-socket %s", path);
    strcpy(sa.sun_path, path);
    _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0)
        return err_set(e, errno, "--console-socket %s", path);
    static const char name[] = "/dev/ptmx";
    struct iovec iov = { (void *)name, sizeof name - 1 };
    int r = fdpass_send(sock, &iov, 1, &master, 1);
    if (r < 0)
        return err_set(e, -r, "--console-socket %s: sending the pty", path);
    return 0;
}

int console_send_pty(const char *path, unsigned rows, unsigned cols, struct err *e)
{
    _cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
        return err_set(e, errno, "a pty for the container's terminal (/dev/ptmx)");
    /* TIOCGPTPEER: the slave without a path lookup that could race. */
    _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return err_set(e, errno, "opening the pty's slave");
    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    if (rows && cols && ioctl(slave, TIOCSWINSZ, &ws) < 0)
        return err_set(e, errno, "setting the pty's size");
    /* Above 2: it becomes the guest's 0, 1 and 2 by dup2 (launch_spec). */
    int high = fcntl(slave, F_DUPFD_CLOEXEC, 3);
    if (high < 0)
        return err_set(e, errno, "fcntl(F_DUPFD_CLOEXEC) of the pty's slave");
    if (send_master(path, master, e) < 0) {
        close(high);
        return -1;
    }
    return high;
}
