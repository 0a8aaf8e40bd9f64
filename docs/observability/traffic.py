#!/usr/bin/env python3
"""Drives the demo (`cargo run --example demo`, embedded emulator) like a
stream of users, for the dashboard's screenshot: most pass, some fail, some
close the tab after the face check (the reconciler settles those), some
leave before it (abandoned), some send a blank name (refused as invalid),
and bursts go over the demo's 30-starts-a-minute limit (refused).

    python3 traffic.py http://127.0.0.1:3000/ 300   # base URL, seconds
"""
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with OPENER.open(urllib.request.Request(url, data=body), timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def one_user(base):
    name = "" if random.random() < 0.05 else "张三"
    status, headers, _ = request(base + "start", {"name": name, "id_number": "110101199003071234"})
    if status not in (302, 303):
        return f"start {status}"
    login = headers["Location"]
    if random.random() < 0.05:
        return "left before the face check"
    _, _, page = request(login)
    h5face_id = re.search(r'name="h5faceId" value="([^"]+)"', page).group(1)
    emulator = urllib.parse.urlsplit(login)
    complete = f"{emulator.scheme}://{emulator.netloc}/api/web/complete"
    outcome = "pass" if random.random() < 0.8 else "fail"
    status, headers, _ = request(complete, {"h5faceId": h5face_id, "outcome": outcome, "code": "66660004"})
    if random.random() < 0.1:
        return f"{outcome}, tab closed"
    status, _, _ = request(headers["Location"])
    return f"{outcome}, callback {status}"


def main():
    base, seconds = sys.argv[1], float(sys.argv[2])
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        # A burst now and then goes over the per-address limit.
        burst = 15 if random.random() < 0.03 else 1
        for _ in range(burst):
            print(one_user(base), flush=True)
        time.sleep(random.uniform(1.5, 3.5))


if __name__ == "__main__":
    main()
