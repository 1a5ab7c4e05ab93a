#!/usr/bin/python3
"""Convert the VGGish weights to polytag's VGGish file (docs/vggish.md).

    examples/convert_vggish.py --weights vggish-10086976.pth \
        --pca vggish_pca_params-970ea276.pth -o vggish.npz

--weights  torchvggish's state dict (keys features.{0,3,6,8,11,13}.{weight,bias} and
           embeddings.{0,2,4}.{weight,bias}).
--pca      torchvggish's PCA file (a dict saved with torch.save) or Google's
           vggish_pca_params.npz; either holds pca_eigen_vectors (E, E) and pca_means (E,).
--final-activation relu|none
           relu (default) is the graph torchvggish runs and the one that made the OpenMIC-2018
           features (Google's 2017 vggish_slim.py, ReLU after every layer, the embedding too);
           none is Google's later graph (fc2 with activation_fn=None, pre-activation output).

Needs Debian's python3-torch and python3-numpy. The output holds float32 arrays only (plus
the string entries format and final_activation), written atomically (temporary file, rename).
"""
import argparse
import os
import sys
import tempfile

import numpy as np

FORMAT = "polytag.audio.vggish/1"
FRAMES, BANDS = 96, 64
# polytag name, torchvggish Sequential index
CONVS = [("conv1", 0), ("conv2", 3), ("conv3_1", 6), ("conv3_2", 8), ("conv4_1", 11), ("conv4_2", 13)]
FCS = [("fc1_1", 0), ("fc1_2", 2), ("fc2", 4)]


class ConversionError(Exception):
    pass


def _to_numpy(value, path, key):
    if hasattr(value, "detach"):  # torch.Tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except Exception as e:  # noqa: BLE001
        raise ConversionError(f"{path}: '{key}' is not an array ({e})")
    if arr.dtype.kind not in "fiu":
        raise ConversionError(f"{path}: '{key}' has dtype {arr.dtype}, expected a numeric array")
    if not np.all(np.isfinite(arr)):
        raise ConversionError(f"{path}: '{key}' holds non-finite values")
    return arr


def _get(d, key, path, ndim):
    if key not in d:
        raise ConversionError(f"{path}: missing key '{key}' (have: {', '.join(sorted(map(str, d))[:20])})")
    arr = _to_numpy(d[key], path, key)
    if arr.ndim != ndim:
        raise ConversionError(f"{path}: '{key}' has shape {arr.shape}, expected {ndim} axes")
    return arr


def load_torch(path):
    import torch  # only needed for .pth files

    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001
        raise ConversionError(f"{path}: cannot be read by torch.load ({e})")
    if hasattr(obj, "state_dict") and not isinstance(obj, dict):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ConversionError(f"{path}: holds a {type(obj).__name__}, expected a state dict")
    return obj


def load_pca(path):
    if path.endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as z:
                d = {k: z[k] for k in z.files}
        except Exception as e:  # noqa: BLE001
            raise ConversionError(f"{path}: cannot be read as .npz ({e})")
    else:
        d = load_torch(path)
    vectors = _get(d, "pca_eigen_vectors", path, 2)
    if "pca_means" not in d:
        raise ConversionError(f"{path}: missing key 'pca_means'")
    means = _to_numpy(d["pca_means"], path, "pca_means")
    if means.ndim not in (1, 2) or (means.ndim == 2 and 1 not in means.shape):
        raise ConversionError(f"{path}: 'pca_means' has shape {means.shape}, expected (E,) or (E, 1)")
    means = means.reshape(-1)
    e = vectors.shape[0]
    if vectors.shape != (e, e):
        raise ConversionError(f"{path}: 'pca_eigen_vectors' has shape {vectors.shape}, expected square (E, E)")
    if means.shape != (e,):
        raise ConversionError(f"{path}: 'pca_means' has {means.size} elements, expected {e}")
    return vectors, means


def convert(state, state_path, pca_vectors, pca_means, pca_path, final_activation):
    """Returns the dict of arrays of polytag's VGGish file."""
    out = {"format": np.array(FORMAT), "final_activation": np.array(final_activation)}
    in_ch = 1
    for name, idx in CONVS:
        w = _get(state, f"features.{idx}.weight", state_path, 4)  # (out, in, kh, kw)
        b = _get(state, f"features.{idx}.bias", state_path, 1)
        if w.shape[1:] != (in_ch, 3, 3):
            raise ConversionError(f"{state_path}: 'features.{idx}.weight' has shape {w.shape}, "
                                  f"expected (out, {in_ch}, 3, 3)")
        if b.shape != (w.shape[0],):
            raise ConversionError(f"{state_path}: 'features.{idx}.bias' has shape {b.shape}, expected ({w.shape[0]},)")
        # torch (out, in, kh, kw) -> polytag Conv2d HWIO (kh, kw, in, out)
        out[f"{name}.weight"] = np.ascontiguousarray(w.transpose(2, 3, 1, 0), dtype=np.float32)
        out[f"{name}.bias"] = b.astype(np.float32)
        in_ch = w.shape[0]
    # Four 2x2 pools: 96x64 -> 6x4. torchvggish permutes its NCHW map to NHWC before flattening,
    # so embeddings.0 already takes (h, w, c) order, which is polytag's NHWC flatten: no permutation.
    in_f = (FRAMES // 16) * (BANDS // 16) * in_ch
    for name, idx in FCS:
        w = _get(state, f"embeddings.{idx}.weight", state_path, 2)  # (out, in), as polytag::Dense
        b = _get(state, f"embeddings.{idx}.bias", state_path, 1)
        if w.shape[1] != in_f:
            raise ConversionError(f"{state_path}: 'embeddings.{idx}.weight' has shape {w.shape}, expected (out, {in_f})")
        if b.shape != (w.shape[0],):
            raise ConversionError(f"{state_path}: 'embeddings.{idx}.bias' has shape {b.shape}, expected ({w.shape[0]},)")
        out[f"{name}.weight"] = np.ascontiguousarray(w, dtype=np.float32)
        out[f"{name}.bias"] = b.astype(np.float32)
        in_f = w.shape[0]
    if pca_vectors.shape[0] != in_f:
        raise ConversionError(f"{pca_path}: 'pca_eigen_vectors' is {pca_vectors.shape}, the embedding has {in_f} values")
    out["pca_eigen_vectors"] = np.ascontiguousarray(pca_vectors, dtype=np.float32)
    out["pca_means"] = np.ascontiguousarray(pca_means, dtype=np.float32)
    return out


def save_atomically(path, arrays):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".vggish-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True, help="torchvggish state dict, e.g. vggish-10086976.pth")
    p.add_argument("--pca", required=True, help="vggish_pca_params-970ea276.pth or vggish_pca_params.npz")
    p.add_argument("-o", "--output", required=True, help="polytag VGGish file to write (.npz)")
    p.add_argument("--final-activation", choices=["relu", "none"], default="relu")
    args = p.parse_args(argv)
    try:
        state = load_torch(args.weights)
        vectors, means = load_pca(args.pca)
        arrays = convert(state, args.weights, vectors, means, args.pca, args.final_activation)
        save_atomically(args.output, arrays)
    except ConversionError as e:
        print(f"convert_vggish: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"convert_vggish: {e}", file=sys.stderr)
        return 1
    widths = [arrays[f"{n}.weight"].shape[3] for n, _ in CONVS] + [arrays[f"{n}.weight"].shape[0] for n, _ in FCS]
    print(f"convert_vggish: wrote {args.output} ({FORMAT}, widths {widths}, final activation {args.final_activation})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
