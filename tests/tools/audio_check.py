#!/usr/bin/python3
"""Checks for the audio tool tests (tests/tools/audio.cmake), run with /usr/bin/python3.

  audio_check.py make-long DIR                 synthetic files longer than one clip
  audio_check.py layout CLIPS.npz AUDIO_DIR DIR the table of the main embed run
  audio_check.py bad-file CLIPS.npz            the run with bad files among good ones
  audio_check.py logmel PATCHES.npz REFERENCE  --stage logmel against the fixtures' reference
  audio_check.py same A.npz B.npz              every array equal, byte for byte
  audio_check.py tag-vs-predict TAG.csv PREDICT.csv
  audio_check.py shared-logmel PATCHES.npz REF.npz / shared-clips CLIPS.npz

Prints "skipped: ..." (CTest reports the test skipped) when numpy or soundfile is missing.
"""
import csv
import os
import sys

sys.dont_write_bytecode = True
try:
    import numpy as np
except ImportError:
    print("skipped: numpy is not installed")
    sys.exit(0)

LOG_SILENCE = np.float32(np.log(np.float32(0.01)))


def fail(msg):
    print("FAILED: " + msg)
    sys.exit(1)


def load(path):
    d = np.load(path, allow_pickle=False)
    return {k: d[k] for k in d.files}


def make_long(out_dir):
    try:
        import soundfile as sf
    except ImportError:
        print("skipped: soundfile is not installed")
        return
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(11)
    sr = 22050
    t = np.arange(int(25.3 * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * (220 + 40 * t) * t) + 0.02 * rng.standard_normal(t.size)
    sf.write(os.path.join(out_dir, "long_25s3.flac"), x.astype(np.float32), sr)
    sr = 44100
    t = np.arange(int(20.6 * sr)) / sr
    x = np.stack([0.2 * np.sin(2 * np.pi * (200 + 15 * t) * t), 0.1 * np.sin(2 * np.pi * 660 * t)], axis=1)
    sf.write(os.path.join(out_dir, "rest_20s6.wav"), x.astype(np.float32), sr, subtype="PCM_16")
    print("ok: wrote long_25s3.flac (25.3 s) and rest_20s6.wav (20.6 s)")


# The main run embeds these files in this order (audio.cmake's _audio_files).
EXPECTED = [  # (file, keys' start ms)
    ("chirp_16k_mono.wav", [0]),
    ("chirp_44k1_stereo.wav", [0]),       # 1.2 s: one padded clip
    ("chirp_22k05_stereo.flac", [0]),
    ("chirp_48k_stereo.ogg", [0]),
    ("chirp_44k1_mono.mp3", [0]),
    ("silent_16k_mono.wav", [0]),         # exactly 1 s: kept
    ("short_0s5_22k05_mono.wav", []),     # 0.5 s: no clip
    ("long_25s3.flac", [0, 10000, 20000]),  # 2 clips + 5.3 s padded
    ("rest_20s6.wav", [0, 10000]),        # 2 clips, the 0.6 s rest dropped
]


def layout(path, audio_dir, work_dir):
    d = load(path)
    names = ["X", "sample_key", "source", "start_s", "file_index"]
    if list(d) != names:
        fail("arrays %s, expected %s" % (list(d), names))
    x, keys, src, start, fi = (d[n] for n in names)
    keys_expected, src_expected, start_expected, fi_expected = [], [], [], []
    for i, (f, starts) in enumerate(EXPECTED):
        stem = os.path.splitext(f)[0]
        where = work_dir if f.startswith(("long_", "rest_")) else audio_dir
        for ms in starts:
            keys_expected.append("%s_%d" % (stem, ms))
            src_expected.append(os.path.join(where, f))
            start_expected.append(ms / 1000.0)
            fi_expected.append(i)
    n = len(keys_expected)
    if x.dtype != np.uint8 or x.shape != (n, 10, 128):
        fail("X is %s %s, expected uint8 (%d, 10, 128)" % (x.dtype, x.shape, n))
    if keys.dtype.kind != "U" or list(keys) != keys_expected:
        fail("sample_key %s, expected %s" % (list(keys), keys_expected))
    if list(src) != src_expected:
        fail("source %s, expected %s" % (list(src), src_expected))
    if start.dtype != np.float64 or list(start) != start_expected:
        fail("start_s %s %s, expected float64 %s" % (start.dtype, list(start), start_expected))
    if fi.dtype != np.int64 or list(fi) != fi_expected:
        fail("file_index %s, expected %s" % (list(fi), fi_expected))
    row = {k: i for i, k in enumerate(keys)}
    # Padding is digital silence, bit for bit: the silent file's frames all equal, and the
    # chirp_16k_mono clip (198 log-mel frames: patches 3..9 wholly padding) ends in them.
    silent = x[row["silent_16k_mono_0"]]
    if not (silent == silent[0]).all():
        fail("the silent clip's 10 frames differ")
    chirp = x[row["chirp_16k_mono_0"]]
    if not (chirp[3:] == silent[0]).all():
        fail("chirp_16k_mono_0 frames 3..9 are not the embedding of silence")
    if (chirp[0] == silent[0]).all() or (chirp[2] == silent[0]).all():
        fail("chirp_16k_mono_0 frames 0..2 hold audio, yet equal silence")
    # The 5.3-s rest of long_25s3: patches 0..4 audio (530 frames: patch 5 partly), 6..9 silence.
    tail = x[row["long_25s3_20000"]]
    if not (tail[6:] == silent[0]).all() or (tail[:5] == silent[0]).all(axis=1).any():
        fail("long_25s3_20000 is not 5 patches of audio then silence")
    full = x[row["long_25s3_10000"]]
    if (full == silent[0]).all(axis=1).any():
        fail("long_25s3_10000 (a whole clip of audio) has a silent frame")
    if len(set(map(bytes, x.reshape(n, -1)))) != n:
        fail("two clips have identical bytes")
    print("ok: %d clips, keys %s" % (n, keys_expected))


def bad_file(path):
    d = load(path)
    keys = list(d["sample_key"])
    if keys != ["chirp_16k_mono_0", "chirp_48k_stereo_0"] or list(d["file_index"]) != [0, 3]:
        fail("keys %s / file_index %s: expected the two good files (indices 0 and 3)" % (keys, list(d["file_index"])))
    print("ok: the good files were written")


def logmel(path, reference):
    d, ref = load(path), load(reference)
    if list(d) != ["log_mel", "sample_key", "source", "start_s", "file_index"]:
        fail("arrays %s" % list(d))
    lm, keys, start = d["log_mel"], list(d["sample_key"]), d["start_s"]
    if lm.dtype != np.float32 or lm.shape[1:] != (96, 64):
        fail("log_mel is %s %s" % (lm.dtype, lm.shape))
    row, worst = 0, 0.0
    for name in ["chirp_16k_mono", "chirp_44k1_stereo", "chirp_22k05_stereo", "chirp_48k_stereo",
                 "chirp_44k1_mono", "silent_16k_mono", "short_0s5_22k05_mono"]:
        frames = ref[name + "/log_mel"]
        n = frames.shape[0] // 96
        for j in range(n):
            if keys[row] != "%s_%d" % (name, 960 * j) or start[row] != 0.96 * j:
                fail("row %d is %s at %r, expected %s_%d at %r" % (row, keys[row], start[row], name, 960 * j, 0.96 * j))
            diff = float(np.abs(lm[row] - frames[96 * j:96 * (j + 1)]).max())
            worst = max(worst, diff)
            if diff > 1e-4:
                fail("%s patch %d differs from the reference by %g" % (name, j, diff))
            row += 1
    if row != lm.shape[0]:
        fail("%d patches, expected %d" % (lm.shape[0], row))
    print("ok: %d patches, max |diff| %.2g" % (row, worst))


def same(a, b):
    da, db = load(a), load(b)
    if list(da) != list(db):
        fail("arrays %s vs %s" % (list(da), list(db)))
    for k in da:
        if da[k].dtype != db[k].dtype or da[k].shape != db[k].shape or da[k].tobytes() != db[k].tobytes():
            fail("'%s' differs" % k)
    print("ok: %d arrays equal (%d rows)" % (len(da), len(da["sample_key"])))


def tag_vs_predict(tag_csv, predict_csv):
    with open(tag_csv, newline="") as f:
        tag = list(csv.reader(f))
    with open(predict_csv, newline="") as f:
        pred = list(csv.reader(f))
    if tag[0][:3] != ["key", "file", "start_s"] or tag[0][3:] != pred[0][1:]:
        fail("headers %s / %s" % (tag[0], pred[0]))
    if [r[0] for r in tag] != [r[0] for r in pred] or len(tag) < 2:
        fail("keys differ")
    t = np.array([[float(v) for v in r[3:]] for r in tag[1:]])
    p = np.array([[float(v) for v in r[1:]] for r in pred[1:]])
    diff = float(np.abs(t - p).max())
    # Not bitwise: polytag-tag and polytag-embed are separate binaries, and the compiler may
    # contract the VGGish / post-processor float arithmetic differently in each, so a byte
    # whose float value lies within rounding of an integer can come out 1 apart (measured: 1 of
    # 3840 bytes); one byte moves a relevance by about 1e-4.
    if diff > 1e-3:
        fail("relevances differ by %g" % diff)
    print("ok: %d clips, max |diff| %.2g" % (len(tag) - 1, diff))


def shared_logmel(path, reference):
    lm = load(path)["log_mel"]
    ex = np.load(reference)["examples"]
    if lm.shape != ex.shape:
        fail("log_mel %s, the release's examples %s" % (lm.shape, ex.shape))
    err = np.abs(lm.astype(np.float64) - ex)
    if err.mean() >= 0.01 or np.percentile(err, 99) >= 0.3 or err.max() >= 1e-3:
        fail("mean %g p99 %g max %g" % (err.mean(), np.percentile(err, 99), err.max()))
    print("ok: mean |diff| %.2g, max %.2g" % (err.mean(), err.max()))


def shared_clips(path):
    d = load(path)
    if list(d["sample_key"]) != ["000046_3840_0"] or d["X"].shape != (1, 10, 128) or list(d["start_s"]) != [0.0]:
        fail("keys %s, X %s" % (list(d["sample_key"]), d["X"].shape))
    print("ok: one clip, 000046_3840_0")


def main(argv):
    cmd, args = argv[1], argv[2:]
    shared = os.environ.get("POLYTAG_SHARED_DATA_DIR")  # run_tool.cmake's override of ../shared/data
    if cmd.startswith("shared-") and shared is not None and not os.path.isdir(shared):
        print("skipped: %s (POLYTAG_SHARED_DATA_DIR) is not present" % shared)
        return
    {"make-long": make_long, "layout": layout, "bad-file": bad_file, "logmel": logmel, "same": same,
     "tag-vs-predict": tag_vs_predict, "shared-logmel": shared_logmel, "shared-clips": shared_clips}[cmd](*args)


if __name__ == "__main__":
    main(sys.argv)
