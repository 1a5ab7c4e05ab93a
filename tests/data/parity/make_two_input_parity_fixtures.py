#!/usr/bin/python3
"""PyTorch reference for polytag's two-input Network parity test (tests/train/test_two_input_parity.cpp).

A two-input multi-task network, float32 on the CPU, fixed seed:

  a (B=5, F=4, 6), b (B, F, 3)
  fuse   = cat([a, b], dim=2)                      per-frame concat         (B, F, 9)
  trunk  = Linear(9 -> 8), act = ReLU              per frame                (B, F, 8)
  pool   = attention over frames (one task)        Linear(8, 1, bias=False) (B, 8)
  pool_b = b.mean(dim=1)                           b feeds two consumers    (B, 3)
  late   = cat([pool, pool_b], dim=1)              late fusion              (B, 11)
  head   = 3 heads, each Linear(11 -> 4) + ReLU + Linear(4 -> 1)           (B, 3)
  out    = sigmoid; masked MSE sum(mask (p - y)^2) / max(1, sum(mask)), a fully masked row

Arrays in two_input_parity.npz:
  a, b, target (NaN where unobserved), mask
  init/<param>        initial weights in polytag's names and layouts (Network node names above)
  probs, loss (1,)    forward values
  grad/<param>, grad/a, grad/b   gradients of the loss (grad/b sums both of b's consumers)
  adam/<param>        weights after 3 full-batch Adam steps (lr 0.01); adam/losses before each

Parameter names: trunk.weight (8, 9), trunk.bias (8), pool.weight (1, 8), head.weight0 (3, 4, 11),
head.bias0 (3, 4), head.weight_out (3, 4), head.bias_out (3).

Run: /usr/bin/python3 tests/data/parity/make_two_input_parity_fixtures.py   (needs torch + numpy)
"""
import os

import numpy as np
import torch

B, F, DA, DB, H, K, HH = 5, 4, 6, 3, 8, 3, 4
STEPS = 3


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = torch.nn.Linear(DA + DB, H)
        self.att = torch.nn.Parameter(torch.randn(1, H) * 0.5)
        self.hidden = torch.nn.ModuleList([torch.nn.Linear(H + DB, HH) for _ in range(K)])
        self.out = torch.nn.ModuleList([torch.nn.Linear(HH, 1) for _ in range(K)])
        with torch.no_grad():
            for lin in [self.trunk] + list(self.hidden) + list(self.out):
                lin.bias.uniform_(-0.3, 0.3)

    def forward(self, a, b):
        h = torch.relu(self.trunk(torch.cat([a, b], dim=2)))
        w = torch.softmax(h @ self.att.t(), dim=1)
        pooled = torch.einsum("bfk,bfd->bkd", w, h)[:, 0, :]
        z = torch.cat([pooled, b.mean(dim=1)], dim=1)
        logits = torch.stack([self.out[k](torch.relu(self.hidden[k](z)))[:, 0] for k in range(K)], dim=1)
        return torch.sigmoid(logits)

    def polytag(self, grad=False):
        g = (lambda t: t.grad) if grad else (lambda t: t)
        return {
            "trunk.weight": g(self.trunk.weight),
            "trunk.bias": g(self.trunk.bias),
            "pool.weight": g(self.att),
            "head.weight0": torch.stack([g(l.weight) for l in self.hidden]),
            "head.bias0": torch.stack([g(l.bias) for l in self.hidden]),
            "head.weight_out": torch.stack([g(l.weight)[0] for l in self.out]),
            "head.bias_out": torch.stack([g(l.bias)[0] for l in self.out]),
        }


def masked_mse(p, y, mask):
    y0 = torch.where(mask > 0, y, torch.zeros_like(y))
    return (mask * (p - y0) ** 2).sum() / torch.clamp(mask.sum(), min=1.0)


def numpy_of(d):
    return {k: v.detach().numpy().astype(np.float32).copy() for k, v in d.items()}


def main():
    torch.manual_seed(2024)
    net = Net()
    a = torch.randn(B, F, DA)
    b = torch.randn(B, F, DB)
    y = torch.rand(B, K)
    mask = (torch.rand(B, K) < 0.8).float()
    mask[3, :] = 0.0
    mask[0, 0] = 1.0
    target = y.clone()
    target[mask == 0] = float("nan")
    out = {"a": a.numpy(), "b": b.numpy(), "target": target.numpy(), "mask": mask.numpy()}
    for k, v in numpy_of(net.polytag()).items():
        out["init/" + k] = v

    a_ = a.clone().requires_grad_(True)
    b_ = b.clone().requires_grad_(True)
    p = net(a_, b_)
    loss = masked_mse(p, y, mask)
    loss.backward()
    out["probs"] = p.detach().numpy()
    out["loss"] = np.array([loss.item()], dtype=np.float32)
    for k, v in numpy_of(net.polytag(grad=True)).items():
        out["grad/" + k] = v
    out["grad/a"] = a_.grad.numpy()
    out["grad/b"] = b_.grad.numpy()

    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        l = masked_mse(net(a, b), y, mask)
        losses.append(l.item())
        l.backward()
        opt.step()
    for k, v in numpy_of(net.polytag()).items():
        out["adam/" + k] = v
    out["adam/losses"] = np.array(losses, dtype=np.float32)

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "two_input_parity.npz")
    np.savez(path, **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()})
    print("wrote", path, len(out), "arrays")


if __name__ == "__main__":
    main()
