#!/usr/bin/python3
"""Writes the small audio fixtures under tests/data/audio/ and the reference values that
tests/audio/ compares polytag's VGGish front end against.

Run with Debian's python:  /usr/bin/python3 tests/data/audio/make_audio_fixtures.py

The reference is a numpy re-implementation of what the OpenMIC-2018 release computes in
openmic/vggish/inputs.py (soundfile_to_examples) and mel_features.py:
  soundfile.read(always_2d=True) in float64 -> mean over channels -> divide by the peak
  |x| of the whole file (openmic.util.normalize: a peak below float64's tiny leaves the
  signal alone) -> resampy.resample(sr -> 16000, filter='kaiser_best') -> 25 ms periodic
  Hann frames with a 10 ms hop, |rfft| of length 512, HTK mel matrix (64 bands, 125-7500 Hz,
  DC row zeroed) -> log(mel + 0.01) -> complete 96-frame examples with a hop of 96.
Signals are synthetic (tones, chirps, noise) with a fixed seed, so the files are
reproducible, except that each run gives the Ogg stream a random serial number (the bytes
change, the decoded audio does not); encoders (Vorbis, MP3) may differ across library
versions, which is why the reference is computed from what libsndfile decodes, not from the
signal we synthesised. soundfile 0.12 on Debian's libsndfile 1.2 writes MP3 (LAME) itself.
"""
import os

import numpy as np
import resampy
import soundfile as sf

OUT = os.path.dirname(os.path.abspath(__file__))

SAMPLE_RATE = 16000
WINDOW = 400          # 25 ms at 16 kHz
HOP = 160             # 10 ms
FFT_LENGTH = 512      # next power of two >= WINDOW
NUM_BANDS = 64
MEL_LOW_HZ, MEL_HIGH_HZ = 125.0, 7500.0
LOG_OFFSET = 0.01
PATCH_FRAMES = 96


# ---------------------------------------------------------------- reference pipeline
def frames_of(x, length, hop):
    """Complete frames only, like mel_features.frame (no padding)."""
    count = 1 + (len(x) - length) // hop if len(x) >= length else 0
    idx = np.arange(length)[None, :] + hop * np.arange(count)[:, None]
    return x[idx]


def mel_of_hz(hz):
    return 1127.0 * np.log(1.0 + hz / 700.0)


def mel_matrix(num_bins=FFT_LENGTH // 2 + 1):
    bins_mel = mel_of_hz(np.linspace(0.0, SAMPLE_RATE / 2.0, num_bins))
    edges = np.linspace(mel_of_hz(MEL_LOW_HZ), mel_of_hz(MEL_HIGH_HZ), NUM_BANDS + 2)
    lo, mid, hi = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel[:, None] - lo) / (mid - lo)
    falling = (hi - bins_mel[:, None]) / (hi - mid)
    weights = np.clip(np.minimum(rising, falling), 0.0, None)
    weights[0, :] = 0.0  # HTK leaves out the DC bin
    return weights


def log_mel(wave16k):
    n = np.arange(WINDOW)
    periodic_hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / WINDOW)
    spectrum = np.abs(np.fft.rfft(frames_of(wave16k, WINDOW, HOP) * periodic_hann, FFT_LENGTH))
    return np.log(spectrum @ mel_matrix(spectrum.shape[1]) + LOG_OFFSET)


def frame_examples(logmel):
    count = len(logmel) // PATCH_FRAMES
    return logmel[: count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, NUM_BANDS)


def release_waveform(path):
    """Decoded, mono, peak-normalised and resampled to 16 kHz, as the release does."""
    y, sr = sf.read(path, always_2d=True)
    mono = y.mean(axis=-1)
    peak = np.abs(mono).max()
    if peak >= np.finfo(np.float64).tiny:
        mono = mono / peak
    if sr != SAMPLE_RATE:
        mono = resampy.resample(mono, sr, SAMPLE_RATE, filter="kaiser_best")
    return mono, peak, y.shape


# ---------------------------------------------------------------- synthetic signals
def signal(seconds, sr, channels, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sr))) / sr
    chirp = np.sin(2 * np.pi * (100.0 * t + 0.5 * (3000.0 / seconds) * t * t))  # 100 -> 3100 Hz
    tones = 0.5 * np.sin(2 * np.pi * 440.0 * t) + 0.3 * np.sin(2 * np.pi * 2500.0 * t)
    noise = 0.1 * rng.standard_normal(len(t))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * t) ** 2
    left = 0.4 * envelope * (chirp + tones) + noise
    out = [left]
    if channels == 2:  # a right channel different from the left, so the mean matters
        right = 0.4 * np.sin(2 * np.pi * 1000.0 * t + 0.3) + 0.6 * noise[::-1] + 0.2 * tones
        out.append(right)
    x = np.stack(out, axis=1)
    return 0.8 * x / np.abs(x).max()


# name, seconds, rate, channels, soundfile format, subtype
FIXTURES = [
    ("chirp_16k_mono.wav", 2.0, 16000, 1, "WAV", "PCM_16"),
    ("chirp_44k1_stereo.wav", 1.2, 44100, 2, "WAV", "PCM_16"),
    ("chirp_22k05_stereo.flac", 2.0, 22050, 2, "FLAC", "PCM_16"),
    ("chirp_48k_stereo.ogg", 2.5, 48000, 2, "OGG", "VORBIS"),
    ("chirp_44k1_mono.mp3", 2.0, 44100, 1, "MP3", "MPEG_LAYER_III"),
]


def write_fixtures():
    refs = {}
    for i, (name, seconds, sr, channels, fmt, subtype) in enumerate(FIXTURES):
        path = os.path.join(OUT, name)
        sf.write(path, signal(seconds, sr, channels, seed=i), sr, format=fmt, subtype=subtype)
        wave, peak, shape = release_waveform(path)
        key = os.path.splitext(name)[0]
        refs[key + "/frames"] = np.int64(shape[0])
        refs[key + "/channels"] = np.int64(shape[1])
        refs[key + "/peak"] = np.float64(peak)
        refs[key + "/log_mel"] = log_mel(wave).astype(np.float32)
        if name == "chirp_44k1_stereo.wav":  # one 16 kHz waveform, for the resampler test
            refs[key + "/waveform_16k"] = wave.astype(np.float32)

    # Silent: all zeros; the release leaves the signal alone (peak < tiny), log(0.01).
    sf.write(os.path.join(OUT, "silent_16k_mono.wav"), np.zeros(16000), 16000, subtype="PCM_16")
    wave, peak, _ = release_waveform(os.path.join(OUT, "silent_16k_mono.wav"))
    refs["silent_16k_mono/log_mel"] = log_mel(wave).astype(np.float32)
    # Shorter than one 0.96 s patch: some log-mel frames, no example.
    sf.write(os.path.join(OUT, "short_0s5_22k05_mono.wav"), signal(0.5, 22050, 1, 7), 22050, subtype="PCM_16")
    wave, _, _ = release_waveform(os.path.join(OUT, "short_0s5_22k05_mono.wav"))
    refs["short_0s5_22k05_mono/log_mel"] = log_mel(wave).astype(np.float32)

    # Empty: a valid WAV header with 0 frames.
    sf.write(os.path.join(OUT, "empty.wav"), np.zeros((0, 1)), 16000, subtype="PCM_16")
    # Corrupt: a RIFF/WAVE signature followed by garbage (no fmt chunk).
    rng = np.random.default_rng(99)
    with open(os.path.join(OUT, "corrupt.wav"), "wb") as f:
        f.write(b"RIFF\x24\x10\x00\x00WAVEjunk" + rng.integers(0, 256, 600, dtype=np.uint8).tobytes())
    # Garbage bytes with an audio extension: no format libsndfile recognises.
    with open(os.path.join(OUT, "garbage.flac"), "wb") as f:
        f.write(rng.integers(0, 256, 512, dtype=np.uint8).tobytes())
    # Not audio at all.
    with open(os.path.join(OUT, "not_audio.txt"), "w") as f:
        f.write("this is a text file, not audio\n")
    # Truncated FLAC: the first 40% of a valid file (the stream info promises more frames).
    with open(os.path.join(OUT, "chirp_22k05_stereo.flac"), "rb") as f:
        flac = f.read()
    with open(os.path.join(OUT, "truncated.flac"), "wb") as f:
        f.write(flac[: int(len(flac) * 0.4)])
    # Truncated WAV: the header says 1 s, the data chunk holds 0.25 s.
    with open(os.path.join(OUT, "chirp_16k_mono.wav"), "rb") as f:
        wav = f.read()
    with open(os.path.join(OUT, "truncated.wav"), "wb") as f:
        f.write(wav[: 44 + 2 * 4000])

    np.savez_compressed(os.path.join(OUT, "reference.npz"), **refs)


if __name__ == "__main__":
    write_fixtures()
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):8d}  {name}")
