#!/usr/bin/python3
"""Random-weight VGGish fixtures for tests/audio/test_vggish.cpp (Debian python3-torch + numpy).

The real weights cannot be downloaded here, so this builds torchvggish's network layout
(features.* Conv2d/ReLU/MaxPool2d, the NCHW -> NHWC permute before flattening, embeddings.*
Linear/ReLU with a ReLU after the last Linear too) with seeded random weights, saves its state
dict and a random PCA the way torchvggish publishes them (.pth), runs examples/convert_vggish.py
on them, and records what torch and the numpy post-processor give for a few random patches:

  <name>.npz            polytag's VGGish file, written by the converter
  <name>_reference.npz  patches (N, 96, 64) float32
                        embedding (N, E) float32          torch, float32, final ReLU (the file's graph)
                        embedding_linear (N, E) float32   the same before the final ReLU
                        embedding_f64 (N, E) float64      torch in float64 from the same float32 weights
                        quantized (N, E) float64          post-processor before the uint8 cast
                        uint8 (N, E) uint8                numpy post-processor (astype truncates)

  make_vggish_fixtures.py                      # the committed narrow instance in this folder
  make_vggish_fixtures.py --full --out-dir D   # the full-width model (about 290 MB) in D

Exits 77 (CTest's skip code in tests/audio/extra.cmake) when torch cannot be imported.
"""
import argparse
import os
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(HERE, "..", "..", "..", "examples", "convert_vggish.py")
FULL_CONV, FULL_FC = [64, 128, 256, 256, 512, 512], [4096, 4096, 128]
SMALL_CONV, SMALL_FC = [8, 16, 16, 32, 32, 32], [32, 64, 128]


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help="full VGGish widths instead of the narrow test instance")
    p.add_argument("--out-dir", default=HERE)
    p.add_argument("--name", default=None, help="file stem (default vggish_small or vggish_full)")
    p.add_argument("--patches", type=int, default=5)
    p.add_argument("--seed", type=int, default=20180)
    return p.parse_args()


def build(torch, conv, fc):
    nn = torch.nn
    layers, c_in = [], 1
    for i, c in enumerate(conv):
        layers += [nn.Conv2d(c_in, c, kernel_size=3, padding=1), nn.ReLU()]
        if i in (0, 1, 3, 5):  # pools after conv1, conv2, conv3_2, conv4_2
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        c_in = c
    features = nn.Sequential(*layers)
    emb, f_in = [], 6 * 4 * c_in
    for f in fc:
        emb += [nn.Linear(f_in, f), nn.ReLU()]
        f_in = f
    embeddings = nn.Sequential(*emb)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = features
            self.embeddings = embeddings

        def forward(self, x, final_relu=True):
            x = self.features(x.unsqueeze(1))  # (N, C, 6, 4)
            x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # NHWC flatten, as torchvggish
            x = self.embeddings[:-1](x)
            return self.embeddings[-1](x) if final_relu else x

    net = Net()
    keys = sorted(net.state_dict())
    want = sorted([f"features.{i}.{p}" for i in (0, 3, 6, 8, 11, 13) for p in ("weight", "bias")] +
                  [f"embeddings.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")])
    assert keys == want, keys
    return net


def main():
    args = parse()
    name = args.name or ("vggish_full" if args.full else "vggish_small")
    out = os.path.join(args.out_dir, f"{name}.npz")
    reference = os.path.join(args.out_dir, f"{name}_reference.npz")
    for stale in (out, reference):  # a skipped run must not leave an older run's files behind
        if os.path.exists(stale):
            os.unlink(stale)
    try:
        global np
        import numpy as np
        import torch
    except ImportError as e:
        print(f"make_vggish_fixtures: {sys.executable} cannot import torch and numpy ({e}): skipped", file=sys.stderr)
        return SKIP
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    conv, fc = (FULL_CONV, FULL_FC) if args.full else (SMALL_CONV, SMALL_FC)
    net = build(torch, conv, fc).eval()
    # He-scaled weights keep activations O(1) through the ReLUs; small random biases.
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = mod.weight[0].numel()
                mod.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
                mod.bias.normal_(0.0, 0.05)

    n_cal = 48
    x = torch.randn(args.patches + n_cal, 96, 64)
    x[0] = torch.linspace(-4.0, 3.0, 96 * 64).reshape(96, 64)  # a log-mel-like ramp
    with torch.no_grad():
        emb_all = net(x).numpy()
        lin = net(x[: args.patches], final_relu=False).numpy()
        emb64 = net.double()(x[: args.patches].double()).numpy()
    net.float()
    emb, cal = emb_all[: args.patches], emb_all[args.patches:]
    e = fc[-1]
    dead = float(np.mean(emb == 0))
    # A random whitening PCA from calibration embeddings: outputs about N(0, 1/4), a few clipped.
    means = cal.mean(axis=0)
    q, _ = np.linalg.qr(rng.standard_normal((e, e)))
    sd = ((cal - means) @ q.T).std(axis=0)
    sd = np.maximum(sd, 0.1 * sd.mean() + 1e-6)
    vectors = (0.5 * q / sd[:, None]).astype(np.float32)
    means = means.astype(np.float32)

    # The post-processor of openmic/vggish/postprocess.py, in float64 from the stored float32 arrays.
    pca = (emb.astype(np.float64) - means.astype(np.float64)) @ vectors.astype(np.float64).T
    quantized = (np.clip(pca, -2.0, 2.0) - -2.0) * (255.0 / 4.0)
    u8 = quantized.astype(np.uint8)

    os.makedirs(args.out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out_dir) as tmp:
        weights = os.path.join(tmp, "vggish.pth")
        pca_pth = os.path.join(tmp, "pca.pth")
        pca_npz = os.path.join(tmp, "pca.npz")
        torch.save(net.state_dict(), weights)
        torch.save({"pca_eigen_vectors": torch.from_numpy(vectors), "pca_means": torch.from_numpy(means)}, pca_pth)
        np.savez(pca_npz, pca_eigen_vectors=vectors, pca_means=means)
        run = [sys.executable, CONVERTER, "--weights", weights]
        subprocess.run(run + ["--pca", pca_pth, "-o", out], check=True)
        if not args.full:  # Google's .npz PCA file gives the same output (checked once, on the small model)
            alt = os.path.join(tmp, "from_npz.npz")
            subprocess.run(run + ["--pca", pca_npz, "-o", alt], check=True)
            with np.load(out) as a, np.load(alt) as b:
                assert sorted(a.files) == sorted(b.files)
                for k in a.files:
                    assert np.array_equal(a[k], b[k]), k
    np.savez(reference, patches=x[: args.patches].numpy(),
             embedding=emb, embedding_linear=lin, embedding_f64=emb64, quantized=quantized, uint8=u8)

    inside = np.abs(pca) < 2.0  # clipped values are exact integers (0 and 255)
    frac = np.abs(quantized - np.round(quantized))[inside]
    f32_err = np.abs(emb - emb64).max() / np.abs(emb64).max()
    print(f"make_vggish_fixtures: {out}: widths {conv} {fc}, {args.patches} patches; "
          f"embedding zeros {dead:.0%}, clipped {np.mean(np.abs(pca) > 2):.1%}, "
          f"torch f32 vs f64 max rel {f32_err:.2e}, closest quantized value to an integer {frac.min():.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
