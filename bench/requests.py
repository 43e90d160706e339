"""Sends N GET requests over one keep-alive connection and checks each answers 200.

Used by bench/load.sh to drive a server running under callgrind, where a fixed request count
(not a duration) makes instruction counts per request exact and repeatable.

Usage: python3 requests.py URL N [NAME:VALUE ...]   (extra request headers)
"""
import http.client
import sys
import urllib.parse


def main(url, n, extra):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    target = u.path + ("?" + u.query if u.query else "")
    headers = {"Accept": "application/json"}
    for h in extra:
        name, value = h.split(":", 1)
        headers[name] = value
    for _ in range(n):
        conn.request("GET", target, headers=headers)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("%s answered %d" % (url, r.status))
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
