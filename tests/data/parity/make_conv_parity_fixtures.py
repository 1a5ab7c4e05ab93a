#!/usr/bin/python3
"""PyTorch reference for polytag's conv parity test (tests/nn/test_conv_torch_parity.cpp).

Two small NHWC conv nets in float32 on the CPU, fixed seed, computed by torch in NCHW:

  "vgg":   x (3, 12, 10, 2)
           0 Conv2d(2 -> 4, 3x3, stride 1, SAME)          -> (12, 10, 4)
           1 ReLU
           2 MaxPool2d(2x2, stride 2, VALID)               -> (6, 5, 4)
           3 Conv2d(4 -> 6, 3x3, stride 2, SAME)           -> (3, 3, 6)   pads: rows 0/1, cols 1/1
           4 ReLU
           5 MaxPool2d(2x2, stride 2, SAME) on the odd 3x3 -> (2, 2, 6)   pads: 0/1 both axes
           6 Flatten in NHWC order                         -> (24,)
           7 Dense(24 -> 5)
  "mixed": x (2, 7, 6, 3)
           0 Conv2d(3 -> 4, 1x1, stride 1, SAME)           -> (7, 6, 4)
           1 Conv2d(4 -> 5, 2x3, stride (2, 1), VALID, no bias) -> (3, 4, 5)
           2 Flatten                                       -> (60,)
           3 Dense(60 -> 3)

TensorFlow SAME padding is emulated with an explicit asymmetric F.pad (zeros for a conv, -inf
for a max pool, so padding never wins) followed by padding=0; NHWC <-> NCHW by permutes.
The loss is L = mean((y - target)^2) over all of y (B, out).

Arrays in conv_parity.npz, for net in {vgg, mixed}, all float32, activations NHWC:
  <net>/x, <net>/target
  <net>/init/<param>      weights in polytag's names and layouts: Conv2d weight HWIO
                          (kh, kw, in, out) = torch weight.permute(2, 3, 1, 0); Dense weight
                          (out, in) as torch.nn.Linear
  <net>/out/<i>           the output of layer i (NHWC for feature maps)
  <net>/loss (1,)
  <net>/grad/x, <net>/grad/<param>

Run: /usr/bin/python3 tests/data/parity/make_conv_parity_fixtures.py   (needs torch + numpy; CI does not)
"""
import os

import numpy as np
import torch
import torch.nn.functional as F


def same_pads(size, kernel, stride):
    """TensorFlow SAME: (before, after) for one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(x_nchw, kernel, stride, value):
    top, bottom = same_pads(x_nchw.shape[2], kernel[0], stride[0])
    left, right = same_pads(x_nchw.shape[3], kernel[1], stride[1])
    return F.pad(x_nchw, (left, right, top, bottom), value=value)


def conv_nhwc(x, conv, stride, same):
    """torch Conv2d (padding 0) on NHWC x, with TF SAME padding when `same`."""
    z = x.permute(0, 3, 1, 2)
    kernel = conv.weight.shape[2:]
    if same:
        z = pad_same(z, kernel, stride, 0.0)
    z = F.conv2d(z, conv.weight, conv.bias, stride=stride)
    return z.permute(0, 2, 3, 1)


def maxpool_nhwc(x, kernel, stride, same):
    z = x.permute(0, 3, 1, 2)
    if same:
        z = pad_same(z, kernel, stride, float("-inf"))
    z = F.max_pool2d(z, kernel, stride)
    return z.permute(0, 2, 3, 1)


def hwio(w):
    return w.permute(2, 3, 1, 0)


def with_bias(conv):
    with torch.no_grad():  # nonzero biases so their gradients are exercised
        if conv.bias is not None:
            conv.bias.uniform_(-0.3, 0.3)
    return conv


def make_vgg(out):
    torch.manual_seed(2024)
    c0 = with_bias(torch.nn.Conv2d(2, 4, 3))
    c3 = with_bias(torch.nn.Conv2d(4, 6, 3))
    d7 = with_bias(torch.nn.Linear(24, 5))
    x = torch.randn(3, 12, 10, 2)
    target = torch.randn(3, 5)
    xg = x.clone().requires_grad_(True)
    outs = []
    h = conv_nhwc(xg, c0, (1, 1), True); outs.append(h)
    h = torch.relu(h); outs.append(h)
    h = maxpool_nhwc(h, (2, 2), (2, 2), False); outs.append(h)
    h = conv_nhwc(h, c3, (2, 2), True); outs.append(h)
    h = torch.relu(h); outs.append(h)
    h = maxpool_nhwc(h, (2, 2), (2, 2), True); outs.append(h)
    h = h.reshape(h.shape[0], -1); outs.append(h)  # NHWC is already (h, w, c) order
    h = d7(h); outs.append(h)
    assert tuple(outs[3].shape) == (3, 3, 3, 6) and tuple(outs[5].shape) == (3, 2, 2, 6)
    loss = ((h - target) ** 2).mean()
    loss.backward()
    params = {"0.weight": (hwio(c0.weight), hwio(c0.weight.grad)), "0.bias": (c0.bias, c0.bias.grad),
              "3.weight": (hwio(c3.weight), hwio(c3.weight.grad)), "3.bias": (c3.bias, c3.bias.grad),
              "7.weight": (d7.weight, d7.weight.grad), "7.bias": (d7.bias, d7.bias.grad)}
    record(out, "vgg", x, target, outs, loss, xg.grad, params)


def make_mixed(out):
    torch.manual_seed(77)
    c0 = with_bias(torch.nn.Conv2d(3, 4, 1))
    c1 = torch.nn.Conv2d(4, 5, (2, 3), bias=False)
    d3 = with_bias(torch.nn.Linear(60, 3))
    x = torch.randn(2, 7, 6, 3)
    target = torch.randn(2, 3)
    xg = x.clone().requires_grad_(True)
    outs = []
    h = conv_nhwc(xg, c0, (1, 1), True); outs.append(h)
    h = conv_nhwc(h, c1, (2, 1), False); outs.append(h)
    h = h.reshape(h.shape[0], -1); outs.append(h)
    h = d3(h); outs.append(h)
    assert tuple(outs[1].shape) == (2, 3, 4, 5)
    loss = ((h - target) ** 2).mean()
    loss.backward()
    params = {"0.weight": (hwio(c0.weight), hwio(c0.weight.grad)), "0.bias": (c0.bias, c0.bias.grad),
              "1.weight": (hwio(c1.weight), hwio(c1.weight.grad)),
              "3.weight": (d3.weight, d3.weight.grad), "3.bias": (d3.bias, d3.bias.grad)}
    record(out, "mixed", x, target, outs, loss, xg.grad, params)


def record(out, tag, x, target, outs, loss, dx, params):
    f32 = lambda t: t.detach().contiguous().numpy().astype(np.float32).copy()
    out[f"{tag}/x"] = f32(x)
    out[f"{tag}/target"] = f32(target)
    for i, h in enumerate(outs):
        out[f"{tag}/out/{i}"] = f32(h)
    out[f"{tag}/loss"] = np.array([loss.item()], dtype=np.float32)
    out[f"{tag}/grad/x"] = f32(dx)
    for name, (value, grad) in params.items():
        out[f"{tag}/init/{name}"] = f32(value)
        out[f"{tag}/grad/{name}"] = f32(grad)


def main():
    torch.set_num_threads(1)
    out = {}
    make_vgg(out)
    make_mixed(out)
    out["torch_version"] = np.array([torch.__version__])
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_parity.npz")
    np.savez(path, **out)
    print(f"wrote {path}: {len(out)} arrays, {os.path.getsize(path)} bytes, torch {torch.__version__}")


if __name__ == "__main__":
    main()
