#!/usr/bin/env python3
"""Times yacryptopan (PyPI `yacryptopan`) as the peer of `mamori-bench cryptopan`.

Usage: bench-yacryptopan.py N

Anonymises N random IPv4 addresses (given as integers) with
`yacryptopan.CryptoPAn(key).anonymize_bin(int, 4)` on one thread, with the reference
Crypto-PAn sample key (the first key of ../shared/corpus/privacy/cryptopan-vectors.txt),
and prints one JSON line:
{"peer":"yacryptopan","addresses":N,"seconds":S,"per_second":R}

Key setup and generating the addresses are not timed. Needs `pip install yacryptopan`.
"""

import json
import random
import sys
import time

# The reference sample key (sample.cpp of the Crypto-PAn distribution): AES key, then pad input.
REFERENCE_KEY = bytes.fromhex("1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202")
# One known answer of that key, checked before timing.
KNOWN_ANSWER = (0x18050050, 0x64090FD2)  # 24.5.0.80 -> 100.9.15.210


def main(argv):
    if len(argv) != 2:
        print("usage: bench-yacryptopan.py N", file=sys.stderr)
        return 2
    try:
        count = int(argv[1])
    except ValueError:
        count = -1
    if count <= 0:
        print("N must be a positive integer", file=sys.stderr)
        return 2
    try:
        import yacryptopan
    except ImportError:
        print("yacryptopan is not installed (pip install yacryptopan)", file=sys.stderr)
        return 1

    pan = yacryptopan.CryptoPAn(REFERENCE_KEY)
    if pan.anonymize_bin(KNOWN_ANSWER[0], 4) != KNOWN_ANSWER[1]:
        print("yacryptopan gives a wrong answer for the reference key", file=sys.stderr)
        return 1
    generator = random.Random(0x4D414D4F)
    addresses = [generator.getrandbits(32) for _ in range(count)]
    anonymize = pan.anonymize_bin

    start = time.perf_counter()
    for address in addresses:
        anonymize(address, 4)
    seconds = time.perf_counter() - start

    rate = count / seconds if seconds > 0 else 0.0
    print(json.dumps({"peer": "yacryptopan", "addresses": count, "seconds": seconds, "per_second": rate},
                     separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
