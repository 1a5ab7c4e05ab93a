#!/usr/bin/python3
"""Writes tests/data/openmic/numpy-release/: a 4-clip folder in the OpenMIC-2018 release layout,
written by numpy itself (np.savez, sample_key as a pickled object array), for test_dataset_load.
    /usr/bin/python3 tests/data/openmic/make_numpy_release.py
"""
import json
import os

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy-release")
os.makedirs(os.path.join(out, "partitions"), exist_ok=True)
names = ["accordion", "banjo", "bass", "cello", "clarinet", "cymbals", "drums", "flute", "guitar",
         "mallet_percussion", "mandolin", "organ", "piano", "saxophone", "synthesizer", "trombone",
         "trumpet", "ukulele", "violin", "voice"]
keys = np.array(["000046_3840", "000046_7680", "000135_0", "014521_96000"], dtype=object)
X = (np.arange(4 * 10 * 128) % 256).astype(np.uint8).reshape(4, 10, 128)
X[0, 0, 0], X[3, 9, 127] = 0, 255
Y = np.full((4, 20), 0.5)
M = np.zeros((4, 20), dtype=bool)
for r, c, v in [(0, 12, 0.75), (0, 3, 0.0), (1, 12, 1.0), (2, 19, 0.33), (3, 6, 0.0), (3, 8, 0.9)]:
    Y[r, c], M[r, c] = v, True
np.savez(os.path.join(out, "openmic-2018.npz"), X=X, Y_true=Y, Y_mask=M, sample_key=keys)
with open(os.path.join(out, "class-map.json"), "w") as f:
    json.dump({n: i for i, n in enumerate(names)}, f)
with open(os.path.join(out, "partitions", "split01_train.csv"), "w") as f:
    f.write("000046_3840\n000046_7680\n014521_96000\n")
with open(os.path.join(out, "partitions", "split01_test.csv"), "w") as f:
    f.write("000135_0\n")
