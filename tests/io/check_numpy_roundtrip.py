#!/usr/bin/python3
"""Loads the files polytag wrote (test "write files for the numpy round-trip check") with
numpy, allow_pickle=False, and compares dtypes, shapes and values with what the C++ side
computed. Usage: check_numpy_roundtrip.py DIR"""
import sys

import numpy as np


def expected():
    i64 = np.iinfo(np.int64)
    return {
        "f32": (np.arange(24, dtype="<f4").reshape(2, 3, 4) * np.float32(0.25)),
        "f64": np.arange(5, dtype="<f8") * 0.1 - 0.2,
        "u8": (np.arange(16) * 17).astype("|u1").reshape(4, 4),
        "bool": np.arange(7) % 3 == 0,
        "i32": np.arange(-5, 4, dtype="<i4").reshape(3, 3),
        "i64": np.array([i64.min, i64.max], dtype="<i8"),
        "u64": np.array([np.iinfo(np.uint64).max], dtype="<u8"),
        "i8": np.arange(-2, 2, dtype="|i1").reshape(2, 2),
        "i16": np.arange(-300, -297, dtype="<i2").reshape(1, 1, 1, 3),
        "u16": np.arange(65533, 65536, dtype="<u2"),
        "u32": np.array([4294967294, 4294967295], dtype="<u4"),
        "scalar": np.array(2.5),
        "empty": np.zeros((0, 3), dtype="<f4"),
        "keys": np.array(["000046_3840", "héllo", "🎵", ""]),
        "label": np.array("relevance"),
    }


def same(name, got, want):
    if got.dtype != want.dtype or got.shape != want.shape:
        return "%s: got %s %s, want %s %s" % (name, got.dtype, got.shape, want.dtype, want.shape)
    if not np.array_equal(got, want):
        return "%s: values differ:\n%r\n%r" % (name, got, want)
    if not got.flags.c_contiguous:
        return "%s: not C order" % name
    return None


def main(d):
    want = expected()
    errors = []
    n = 0
    for name in ["f32", "f64", "u8", "bool", "i32", "i64", "u64", "scalar", "empty", "keys"]:
        got = np.load("%s/%s.npy" % (d, name), allow_pickle=False)
        errors.append(same(name + ".npy", got, want[name]))
        n += 1
    for archive in ["all.npz", "all_compressed.npz"]:
        with np.load("%s/%s" % (d, archive), allow_pickle=False) as z:
            if list(z.keys()) != list(want.keys()):
                errors.append("%s: names %s" % (archive, list(z.keys())))
            for name in want:
                errors.append(same("%s:%s" % (archive, name), z[name], want[name]))
                n += 1
    errors = [e for e in errors if e]
    for e in errors:
        print("FAIL", e)
    print("numpy %s loaded %d arrays written by polytag: %s" % (np.__version__, n, "FAILED" if errors else "all equal"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
