"""An independent Python model of SQLite lsm1's key and value encodings, written from the format
description (SQLite4 varint; per-column type/length varint then payload), as the oracle for the
bytes of lsm1_key and lsm1_value."""

import struct


def varint(x):
    """SQLite4 order-preserving varint of 0 <= x < 2**64."""
    if x <= 240:
        return bytes([x])
    if x <= 2287:
        return bytes([(x - 240) // 256 + 241, (x - 240) % 256])
    if x <= 67823:
        return bytes([249, (x - 2288) // 256, (x - 2288) % 256])
    for n in range(3, 9):
        if x < 1 << (8 * n):
            return bytes([247 + n]) + x.to_bytes(n, "big")
    raise ValueError(x)


def value_blob(values):
    """lsm1's packed value of a row's value columns."""
    out = b""
    for v in values:
        if v is None:
            out += varint(5)
        elif isinstance(v, int):
            if 0 <= v <= 40:
                out += varint(v * 6)
            else:
                p = varint(2 * v if v >= 0 else 2 * (-1 - v) + 1)
                out += varint(1 + 6 * len(p)) + p
        elif isinstance(v, float):
            out += varint(2 + 6 * 8) + struct.pack("<d", v)
        elif isinstance(v, str):
            b = v.encode()
            out += varint(3 + 6 * len(b)) + b
        else:
            out += varint(4 + 6 * len(v)) + bytes(v)
    return out
