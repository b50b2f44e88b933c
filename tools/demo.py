"""A tour of the sandbox, run inside it by `make demo`.

The script arrives on python's stdin (tools/ itself is not in the guest), so
everything it shows is what a guest program sees from the inside.
"""
import os
import pwd
import subprocess


def section(title):
    print(f"\n== {title}")


def show_identity():
    section("who am I?")
    user = pwd.getpwuid(os.getuid()).pw_name
    print(f"uid {os.getuid()} ({user}), cwd {os.getcwd()}, HOME={os.environ.get('HOME')}")


def write_and_read_files():
    section("files live in memory, for this session only")
    for path in ("/tmp/hello.txt", os.path.expanduser("~/notes/today.txt")):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"written to {path}\n")
        with open(path) as f:
            print(f"{path}: {f.read().strip()!r}")
    for directory in ("/tmp", os.path.expanduser("~"), os.path.expanduser("~/notes")):
        print(f"ls {directory}: {sorted(os.listdir(directory))}")


def run_subprocess():
    section("subprocesses work as usual")
    result = subprocess.run(["ls", "/"], capture_output=True, text=True)
    print(f"ls / -> {result.stdout.split()}")
    result = subprocess.run(["sh", "-c", "echo hello from $0 | tr a-z A-Z"], capture_output=True, text=True)
    print(f"sh -> {result.stdout.strip()}")


def try_host_secrets():
    section("the host's secrets are out of reach")
    # The host user's ~/.aws: whoever runs the demo, typically root.
    targets = ["/root/.ssh", "/etc/shadow", "/work", "/root/.aws/credentials", "/proc/1/environ"]
    for path in targets:
        try:
            if os.path.isdir(path):
                print(f"  REACHABLE {path}: {os.listdir(path)[:5]}")
            else:
                with open(path, "rb") as f:
                    print(f"  REACHABLE {path}: {len(f.read())} bytes")
        except OSError as e:
            print(f"  {path}: out of reach ({e.strerror})")


def main():
    print("Hello from inside cordon.")
    show_identity()
    write_and_read_files()
    run_subprocess()
    try_host_secrets()
    print("\nWhen this session ends, every file written above is gone.")


main()
