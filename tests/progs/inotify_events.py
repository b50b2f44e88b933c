# Prints, one line each, the inotify events a fixed series of changes in a
# fresh directory DIR (argv[1]) gives, restricted to the events cordon's VFS
# can see (fs/notify.c), plus the errnos of misuse. The output must be the
# same natively and under cordon (tests/integration/test_inotify.c).
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
NAMES = {0x2: 'MODIFY', 0x4: 'ATTRIB', 0x40: 'MOVED_FROM', 0x80: 'MOVED_TO', 0x100: 'CREATE',
         0x200: 'DELETE', 0x400: 'DELETE_SELF', 0x800: 'MOVE_SELF', 0x8000: 'IGNORED',
         0x40000000: 'ISDIR'}
d = sys.argv[1]
os.mkdir(d)
fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
seen = 0x2 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800
wd = libc.inotify_add_watch(fd, d.encode(), seen)
open(d + '/c', 'w').close()
wc = libc.inotify_add_watch(fd, (d + '/c').encode(), 0x4 | 0x2 | 0x400)
print('wds', wd, wc, 'same again', libc.inotify_add_watch(fd, d.encode(), seen) == wd)
open(d + '/a', 'w').close()
open(d + '/a', 'w').close()
os.rename(d + '/a', d + '/b')
os.mkdir(d + '/sub')
os.rmdir(d + '/sub')
os.chmod(d + '/c', 0o600)
os.truncate(d + '/c', 0)
os.unlink(d + '/c')
os.unlink(d + '/b')
os.rmdir(d)
buf = os.read(fd, 65536)
cookies = {}
off = 0
while off < len(buf):
    w, mask, cookie, n = struct.unpack_from('iIII', buf, off)
    name = buf[off + 16: off + 16 + n].rstrip(b'\0').decode()
    off += 16 + n
    if cookie:
        cookies.setdefault(cookie, []).append(name)
    print('wd%d' % (1 if w == wd else 2), '|'.join(v for k, v in NAMES.items() if mask & k), name)
print('cookies', sorted(cookies.values()))
try:
    os.read(fd, 100)
except BlockingIOError:
    print('empty')
def err(r):
    return r if r >= 0 else os.strerror(ctypes.get_errno())
print('not inotify', err(libc.inotify_add_watch(0, b'/', 2)))
print('no events', err(libc.inotify_add_watch(fd, b'/', 0)))
print('missing', err(libc.inotify_add_watch(fd, b'/nonexistent', 2)))
print('onlydir', err(libc.inotify_add_watch(fd, b'/etc/passwd', 2 | 0x01000000)))
print('rm unknown', err(libc.inotify_rm_watch(fd, 999)))
print('bad flags', err(libc.inotify_init1(0x1)))
