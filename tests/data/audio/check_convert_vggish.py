#!/usr/bin/python3
"""examples/convert_vggish.py on broken inputs: each must fail with exit status 1 and one line
naming the file and the key (the converter's main() is called in-process). Run by CTest (tests/audio/extra.cmake); exits 77 without torch."""
import contextlib
import importlib.util
import io
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # nothing written into the source tree
CONVERTER = os.path.join(HERE, "..", "..", "..", "examples", "convert_vggish.py")


def main():
    try:
        import numpy as np
        import torch
    except ImportError as e:
        print(f"check_convert_vggish: {sys.executable} cannot import torch and numpy ({e}): skipped")
        return 77
    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    fixtures = load("fixtures", os.path.join(HERE, "make_vggish_fixtures.py"))
    converter = load("convert_vggish", CONVERTER)  # in-process: torch is imported once
    net = fixtures.build(torch, fixtures.SMALL_CONV, fixtures.SMALL_FC)
    failures = cases = 0
    with tempfile.TemporaryDirectory() as tmp:
        pca = os.path.join(tmp, "pca.npz")
        np.savez(pca, pca_eigen_vectors=np.eye(128, dtype=np.float32), pca_means=np.zeros(128, np.float32))

        def case(label, state=None, pca_path=pca, weights=None, expect=""):
            nonlocal failures, cases
            cases += 1
            if weights is None:
                weights = os.path.join(tmp, label + ".pth")
                torch.save(state, weights)
            out = os.path.join(tmp, label + ".npz")
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                status = converter.main(["--weights", weights, "--pca", pca_path, "-o", out])
            msg = err.getvalue().strip()
            ok = status == 1 and msg.count("\n") == 0 and expect in msg and not os.path.exists(out)
            print(("ok   " if ok else "FAIL ") + f"{label}: exit {status}: {msg}")
            failures += not ok

        good = net.state_dict()
        sd = dict(good)
        del sd["features.13.weight"]
        case("missing-key", sd, expect="missing key 'features.13.weight'")
        sd = dict(good)
        sd["features.8.weight"] = torch.zeros(32, 15, 3, 3)
        case("conv-shape", sd, expect="'features.8.weight' has shape (32, 15, 3, 3), expected (out, 16, 3, 3)")
        sd = dict(good)
        sd["embeddings.0.weight"] = torch.zeros(32, 700)
        case("fc-shape", sd, expect="'embeddings.0.weight' has shape (32, 700), expected (out, 768)")
        sd = {k: v.clone() for k, v in good.items()}
        sd["embeddings.2.bias"][3] = float("nan")
        case("nan", sd, expect="'embeddings.2.bias' holds non-finite values")
        bad_pca = os.path.join(tmp, "pca-no-means.npz")
        np.savez(bad_pca, pca_eigen_vectors=np.eye(128, dtype=np.float32))
        case("pca-missing", good, pca_path=bad_pca, expect=f"{bad_pca}: missing key 'pca_means'")
        small_pca = os.path.join(tmp, "pca-64.npz")
        np.savez(small_pca, pca_eigen_vectors=np.eye(64, dtype=np.float32), pca_means=np.zeros(64, np.float32))
        case("pca-size", good, pca_path=small_pca, expect="the embedding has 128 values")
        case("no-file", weights=os.path.join(tmp, "absent.pth"), expect="cannot be read by torch.load")
        not_pth = os.path.join(tmp, "text.pth")
        with open(not_pth, "w") as f:
            f.write("not a state dict\n")
        case("not-torch", weights=not_pth, expect=f"{not_pth}: cannot be read by torch.load")
    print(f"{cases - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
