#!/usr/bin/env python3
"""One turn of a chat code-execution backend on `cordon serve`: the session
is the conversation's sandbox, so the file uploaded in this turn and the
files the code writes are there in the next turn.

    python3 chat_turn.py unix:/run/cordon.sock TOKEN [SESSION_ID]
"""
import sys

from cordon_client import Client


def turn(client, session, user_file, user_code):
    client.put_file(session, "/home/user/input.csv", user_file)
    result = client.exec(session, ["python3", "-"], stdin=user_code, timeout=30)
    if result.error:
        return f"the sandbox failed: {result.error}"
    answer = result.stdout
    if result.exit_code != 0:
        answer += f"\n(exit {result.exit_code}, signal {result.signal})\n{result.stderr}"
    return answer


def main():
    address, token = sys.argv[1], sys.argv[2]
    client = Client(address, token)
    session = sys.argv[3] if len(sys.argv) > 3 else client.create_session(ttl=600)
    code = ("import csv\n"
            "rows = list(csv.DictReader(open('input.csv')))\n"
            "total = sum(int(r['amount']) for r in rows)\n"
            "open('total.txt', 'w').write(str(total))\n"
            "print(f'{len(rows)} rows, total {total}')\n")
    print(turn(client, session, "name,amount\nalice,3\nbob,4\n", code))
    print("total.txt in the session:", client.get_file(session, "/home/user/total.txt").decode())
    print("session:", session)


if __name__ == "__main__":
    main()
