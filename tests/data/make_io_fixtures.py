#!/usr/bin/python3
"""Writes the small .npy/.npz fixtures under tests/data/io/ that tests/io/ reads.

Run with Debian's numpy:  /usr/bin/python3 tests/data/make_io_fixtures.py
Every file is written by numpy itself (np.save, np.savez, np.savez_compressed), except the
object arrays pickled with protocols 2, 4 and 5, which numpy's own header writer frames
around pickle.dump (np.save always uses protocol 3). Values are fixed so that the C++
tests can spell them out.
"""
import io
import os
import pickle
import struct
import sys
import zipfile
import zlib

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "io")


def save(name, arr):
    np.save(os.path.join(OUT, name), arr, allow_pickle=True)


def save_pickled(name, arr, protocol):
    """An object-array .npy whose pickle uses `protocol` (np.save hard-codes 3)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(arr))
    pickle.dump(arr, buf, protocol=protocol)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(buf.getvalue())


class Unseekable(io.RawIOBase):
    """A write-only stream without seek: zipfile then writes data descriptors."""

    def __init__(self, sink):
        self.sink = sink

    def writable(self):
        return True

    def write(self, b):
        return self.sink.write(b)


def zip64_archive(name, payload):
    """One stored entry with every zip64 field used (local and central extras, zip64 end
    records), though the sizes are small: what a > 4 GiB archive looks like, in 1 KB."""
    crc = zlib.crc32(payload)
    n = len(payload)
    fname = name.encode()
    local_extra = struct.pack("<HHQQ", 1, 16, n, n)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(fname), len(local_extra)) + fname + local_extra
    body = local + payload
    cd_extra = struct.pack("<HHQQQ", 1, 24, n, n, 0)
    cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                     len(fname), len(cd_extra), 0, 0, 0, 0, 0xFFFFFFFF) + fname + cd_extra
    cd_off, cd_size = len(body), len(cd)
    eocd64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, cd_size, cd_off)
    locator = struct.pack("<IIQI", 0x07064B50, 0, cd_off + cd_size, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body + cd + eocd64 + locator + eocd


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".npy", ".npz")):
            os.remove(os.path.join(OUT, f))

    # Every numeric dtype, shape (2, 3), values -3..2 (signed) or 0..5 (unsigned, float).
    for code in ["i1", "i2", "i4", "i8"]:
        save(code + ".npy", np.arange(-3, 3, dtype=code).reshape(2, 3))
    for code in ["u1", "u2", "u4", "u8"]:
        save(code + ".npy", np.arange(0, 6, dtype=code).reshape(2, 3))
    save("f2.npy", np.array([0.5, -2.0, 65504.0, 2.0**-24, np.inf, -0.0], dtype="f2").reshape(2, 3))
    save("f4.npy", np.array([0.5, -1.25, 3.0e10, 0.1, 1e-30, 7.0], dtype="f4").reshape(2, 3))
    save("f8.npy", np.array([0.5, 0.81665, -1e300, 1e-300, 123456789.125, 0.1], dtype="f8").reshape(2, 3))
    save("b1.npy", np.array([True, False, True, True, False, False]).reshape(2, 3))
    save("i8_extremes.npy", np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max], dtype="i8"))
    save("u8_max.npy", np.array([np.iinfo(np.uint64).max], dtype="u8"))
    save("f8_nan.npy", np.array([np.nan, 1.5, -np.inf]))

    # Big-endian.
    save("be_f8.npy", np.arange(6, dtype=">f8").reshape(2, 3) / 4)
    save("be_i4.npy", np.arange(-3, 3, dtype=">i4").reshape(2, 3))
    save("be_f2.npy", np.array([0.5, -2.0, 3.0], dtype=">f2"))
    save("be_U.npy", np.array(["ab", "é", "🎵x"], dtype=">U2"))

    # Fortran order: element (i, j, k) = 100 i + 10 j + k.
    c = np.fromfunction(lambda i, j, k: 100 * i + 10 * j + k, (2, 3, 4))
    save("fortran_f8.npy", np.asfortranarray(c))
    save("fortran_i2.npy", np.asfortranarray(c.astype("i2")))
    save("fortran_U.npy", np.asfortranarray(np.array([["a", "b", "c"], ["d", "e", "f"]])))
    save("fortran_O.npy", np.asfortranarray(np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object)))
    save("fortran_b1.npy", np.asfortranarray(np.array([[True, False, False], [False, True, True]])))

    # 0-d and empty.
    save("scalar_f8.npy", np.array(3.5))
    save("scalar_U.npy", np.array("hé"))
    save("empty_f4.npy", np.zeros((0, 3), dtype="f4"))
    save("empty_U.npy", np.array([], dtype="<U1"))
    save("empty_O.npy", np.array([], dtype=object))

    # Strings.
    save("U.npy", np.array(["a", "héllo", "🎵", ""]))
    save("S.npy", np.array([b"ab", b"\x00x", b""]))
    keys = ["000046_3840", "000135_483840", "a", "", "ünï"]
    save("O_str.npy", np.array(keys, dtype=object))
    save("O_bytes.npy", np.array([b"ab", b"", b"\xff\x00"], dtype=object))
    same = "shared"
    save("O_memo.npy", np.array([same, same, "x", same], dtype=object))
    save("O_2d.npy", np.array([["a", "b"], ["c", "d"], ["e", "f"]], dtype=object))
    mixed = np.array(["s", b"b", ""], dtype=object)
    for proto in [2, 4, 5]:
        save_pickled("O_proto%d.npy" % proto, mixed, proto)
    save("O_int.npy", np.array(["a", 3], dtype=object))

    # Archives.
    arrays = dict(
        X=np.arange(2 * 10 * 4, dtype="u1").reshape(2, 10, 4),
        Y_true=np.array([[0.5, 1.0], [0.0, 0.25]]),
        Y_mask=np.array([[True, False], [False, True]]),
        sample_key=np.array(["000046_3840", "000135_483840"], dtype=object),
    )
    np.savez(os.path.join(OUT, "savez.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "savez_compressed.npz"), **arrays)
    np.savez(os.path.join(OUT, "positional.npz"), np.arange(3, dtype="i4"), np.array("x"))

    # A deflate bomb: an entry that inflates far beyond what its directory declares.
    # Its first 128 bytes are a valid header of an empty array, so only the size check stops it.
    empty = io.BytesIO()
    np.save(empty, np.zeros((0,), dtype="u1"))
    assert len(empty.getvalue()) == 128
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.npy", empty.getvalue() + b"\x00" * 1000000)
    data = bytearray(raw.getvalue())
    # Patch declared uncompressed size in the local and central headers to 128 bytes.
    lh = data.find(b"PK\x03\x04")
    data[lh + 22:lh + 26] = (128).to_bytes(4, "little")
    cd = data.find(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (128).to_bytes(4, "little")
    with open(os.path.join(OUT, "bomb.npz"), "wb") as f:
        f.write(bytes(data))

    # zip64 records everywhere, and data descriptors (entries written to an unseekable stream).
    small = np.arange(6, dtype="<f8").reshape(2, 3) / 8
    with open(os.path.join(OUT, "zip64.npz"), "wb") as f:
        f.write(zip64_archive("a.npy", npy_bytes(small)))
    sink = io.BytesIO()
    with zipfile.ZipFile(Unseekable(sink), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.npy", npy_bytes(small))
        z.writestr("keys.npy", npy_bytes(np.array(["x", "yz"])))
    with open(os.path.join(OUT, "descriptor.npz"), "wb") as f:
        f.write(sink.getvalue())
    for name in ["zip64.npz", "descriptor.npz"]:  # numpy itself must read them
        with np.load(os.path.join(OUT, name)) as z:
            assert np.array_equal(z["a"], small), name
    assert zipfile.ZipFile(os.path.join(OUT, "descriptor.npz")).infolist()[0].flag_bits & 0x08

    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d files, %d bytes, to %s" % (len(os.listdir(OUT)), total, OUT))


if __name__ == "__main__":
    sys.exit(main())
