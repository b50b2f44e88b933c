/* O_PATH handles: the guest gets a handle that names the file and gives no
 * access to its data, on every layer and on both platforms, even though
 * seccomp's NOTIF_ADDFD cannot install a real O_PATH file (fs/open.c).
 * The expected answers are the host kernel's to the same script. */
#include "tests/integration/harness.h"

TestSuite(opath, .timeout = 60);

/* Relative names live in a fresh directory, so the script runs unchanged
 * on the host; the absolute ones are the same file on both sides. */
static const char opath_script[] =
    "import os, stat, tempfile\n"
    "os.chdir(tempfile.mkdtemp())\n"
    "os.mkdir('d'); os.chmod('d', 0o311)\n"
    "with open('f', 'w') as f: f.write('secret')\n"
    "os.chmod('f', 0)\n"
    "os.symlink('f', 'l')\n"
    "for p, fl in [('/usr/bin/python3', 0), ('/etc/passwd', 0), ('/dev/null', 0),\n"
    "              ('.', 0), ('f', 0), ('l', os.O_NOFOLLOW), ('d', 0)]:\n"
    "    fd = os.open(p, os.O_PATH | fl)\n"
    "    out = [p, stat.filemode(os.fstat(fd).st_mode), os.get_inheritable(fd)]\n"
    "    os.set_inheritable(fd, True)\n"
    "    out.append(os.get_inheritable(fd))\n"
    "    for name, op in [('read', lambda: os.read(fd, 1)), ('write', lambda: os.write(fd, b'x')),\n"
    "                     ('listdir', lambda: os.listdir(fd))]:\n"
    "        try:\n"
    "            op()\n"
    "            out.append(name + ':ok')\n"
    "        except OSError as e:\n"
    "            out.append(name + ':' + os.strerror(e.errno))\n"
    "    print(*out)\n"
    "    os.close(fd)\n"
    "d = os.open('.', os.O_PATH | os.O_DIRECTORY)\n"
    "print('stat at dirfd', os.stat('f', dir_fd=d, follow_symlinks=False).st_size)\n"
    /* glibc's lchmod is an O_PATH open and an fstat of the handle: a
     * symlink must be refused, and never chmod its target. */
    "try:\n"
    "    os.chmod('l', 0o644, follow_symlinks=False)\n"
    "except NotImplementedError:\n"
    "    print('lchmod of a symlink: not supported')\n"
    "print('target mode', oct(os.stat('f').st_mode))\n";

Test(opath, handles_behave_as_on_linux)
{
    const struct run_opts o = {.stdin_data = opath_script};
    RUN(native);
    run_cmd(&native, &o, ARGV("/usr/bin/python3", "-"));
    assert_status(&native, 0);
    assert_line(&native, out, "lchmod of a symlink: not supported");

    RUN(r);
    run_guest(&r, &o, ARGV("/usr/bin/python3", "-"));
    assert_status(&r, 0);
    cr_assert_str_eq(r.out, native.out, "O_PATH differs from the host kernel's:\n%s" RUN_CONTEXT,
                     native.out, RUN_CONTEXT_ARGS(&r));
}
