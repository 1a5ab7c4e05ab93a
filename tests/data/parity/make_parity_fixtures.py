#!/usr/bin/python3
"""PyTorch reference for polytag's parity test (tests/optim/test_torch_parity.cpp).

Builds, in float32 on the CPU with a fixed seed, the same small networks from polytag's layer
kinds and records everything the C++ test reproduces:

  per-frame Dense(8 -> 6) + ReLU on x (B=6, F=5, D=8)
  attention pooling over frames: per task (K=3, polytag AttentionPool(6, 3)) -> (B, 3, 6)
                                 or shared (polytag AttentionPool(6, 1))      -> (B, 6)
  MultiHead: 3 heads, each Linear(6 -> 4) + ReLU + Linear(4 -> 1), head k reading slice k
             (per task) or the shared vector
  Sigmoid, then masked MSE: sum(mask (p - y)^2) / max(1, sum(mask)), with a fully masked
  row and a fully masked task; unobserved targets are stored as NaN (torch computes with 0
  there and never looks at them; polytag must ignore the NaN).

Arrays in parity.npz, for net in {per_task, shared}:
  <net>/x, <net>/target, <net>/mask        inputs
  <net>/init/<param>                       initial weights, in polytag's names and layouts
  <net>/pooled, <net>/logits, <net>/probs  forward values;  <net>/loss (1,)
  <net>/grad/<param>, <net>/grad/x         gradients of the loss
  <net>/<run>/<param>, <net>/<run>/losses  weights after 5 steps, and the loss before each step,
    runs: adam (lr 0.01), adam_l2 (lr 0.01, weight_decay 0.1), adamw (lr 0.01,
    weight_decay 0.1), adam_clip (lr 0.01, clip_grad_norm_ 0.05 before each step),
    sgd_nesterov (lr 0.1, momentum 0.9, nesterov)
  schedule/cosine: CosineAnnealingLR(T_max=10, eta_min=0.001) from lr 0.1, the lr of steps 0..10
  schedule/step:   StepLR(step_size=3, gamma=0.5) from lr 0.1, the lr of steps 0..9

Parameter names (polytag Sequential indices): 0.weight (6, 8), 0.bias (6) - Dense;
2.weight (K_att, 6) - AttentionPool (scores without bias: the softmax over frames would cancel it); 3.weight0 (3, 4, 6), 3.bias0 (3, 4),
3.weight_out (3, 4), 3.bias_out (3) - MultiHead (head k's torch Linear weights are slice k).

Run: /usr/bin/python3 tests/data/parity/make_parity_fixtures.py   (needs torch + numpy; CI does not)
"""
import os

import numpy as np
import torch

B, F, D, H, K, HH = 6, 5, 8, 6, 3, 4
STEPS = 5


class Net(torch.nn.Module):
    def __init__(self, per_task):
        super().__init__()
        self.per_task = per_task
        self.dense = torch.nn.Linear(D, H)
        katt = K if per_task else 1
        self.att_w = torch.nn.Parameter(torch.randn(katt, H) * 0.5)  # Linear(H, katt, bias=False)
        self.hidden = torch.nn.ModuleList([torch.nn.Linear(H, HH) for _ in range(K)])
        self.out = torch.nn.ModuleList([torch.nn.Linear(HH, 1) for _ in range(K)])
        with torch.no_grad():  # nonzero biases so their gradients are exercised
            for lin in list(self.hidden) + list(self.out) + [self.dense]:
                lin.bias.uniform_(-0.3, 0.3)

    def forward(self, x):
        h = torch.relu(self.dense(x))                          # (B, F, H)
        s = h @ self.att_w.t()                                 # (B, F, Katt)
        a = torch.softmax(s, dim=1)                            # over frames
        pooled = torch.einsum("bfk,bfd->bkd", a, h)            # (B, Katt, H)
        if not self.per_task:
            pooled = pooled[:, 0, :]                           # (B, H)
        logits = []
        for k in range(K):
            inp = pooled[:, k, :] if self.per_task else pooled
            logits.append(self.out[k](torch.relu(self.hidden[k](inp)))[:, 0])
        logits = torch.stack(logits, dim=1)                    # (B, K)
        return pooled, logits, torch.sigmoid(logits)

    def polytag_params(self):
        """(name, tensor-or-fn) in polytag's layout; values are fresh numpy arrays."""
        return {
            "0.weight": self.dense.weight,
            "0.bias": self.dense.bias,
            "2.weight": self.att_w,
            "3.weight0": torch.stack([l.weight for l in self.hidden]),
            "3.bias0": torch.stack([l.bias for l in self.hidden]),
            "3.weight_out": torch.stack([l.weight[0] for l in self.out]),
            "3.bias_out": torch.stack([l.bias[0] for l in self.out]),
        }

    def polytag_grads(self):
        return {
            "0.weight": self.dense.weight.grad,
            "0.bias": self.dense.bias.grad,
            "2.weight": self.att_w.grad,
            "3.weight0": torch.stack([l.weight.grad for l in self.hidden]),
            "3.bias0": torch.stack([l.bias.grad for l in self.hidden]),
            "3.weight_out": torch.stack([l.weight.grad[0] for l in self.out]),
            "3.bias_out": torch.stack([l.bias.grad[0] for l in self.out]),
        }


def masked_mse(p, y, mask):
    y0 = torch.where(mask > 0, y, torch.zeros_like(y))
    return (mask * (p - y0) ** 2).sum() / torch.clamp(mask.sum(), min=1.0)


def numpy_of(d):
    return {k: v.detach().numpy().astype(np.float32).copy() for k, v in d.items()}


def make(per_task, out):
    tag = "per_task" if per_task else "shared"
    torch.manual_seed(1234 if per_task else 4321)
    net = Net(per_task)
    x = torch.randn(B, F, D)
    y = torch.rand(B, K)
    mask = (torch.rand(B, K) < 0.75).float()
    mask[2, :] = 0.0   # a fully masked row
    mask[:, 1] = 0.0   # a fully masked task
    mask[0, 0] = 1.0
    mask[5, 2] = 1.0
    target = y.clone()
    target[mask == 0] = float("nan")
    init_state = {k: v.detach().clone() for k, v in net.state_dict().items()}

    out[f"{tag}/x"] = x.numpy()
    out[f"{tag}/target"] = target.numpy()
    out[f"{tag}/mask"] = mask.numpy()
    for k, v in numpy_of(net.polytag_params()).items():
        out[f"{tag}/init/{k}"] = v

    xg = x.clone().requires_grad_(True)
    pooled, logits, probs = net(xg)
    loss = masked_mse(probs, y, mask)
    loss.backward()
    out[f"{tag}/pooled"] = pooled.detach().numpy()
    out[f"{tag}/logits"] = logits.detach().numpy()
    out[f"{tag}/probs"] = probs.detach().numpy()
    out[f"{tag}/loss"] = np.array([loss.item()], dtype=np.float32)
    out[f"{tag}/grad/x"] = xg.grad.numpy()
    for k, v in numpy_of(net.polytag_grads()).items():
        out[f"{tag}/grad/{k}"] = v

    runs = {
        "adam": (lambda p: torch.optim.Adam(p, lr=0.01), None),
        "adam_l2": (lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1), None),
        "adamw": (lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), None),
        "adam_clip": (lambda p: torch.optim.Adam(p, lr=0.01), 0.05),
        "sgd_nesterov": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), None),
    }
    for run, (make_opt, clip) in runs.items():
        net.load_state_dict(init_state)
        opt = make_opt(net.parameters())
        losses = []
        for _ in range(STEPS):
            opt.zero_grad()
            _, _, p = net(x)
            l = masked_mse(p, y, mask)
            l.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
            losses.append(l.item())
        out[f"{tag}/{run}/losses"] = np.array(losses, dtype=np.float32)
        for k, v in numpy_of(net.polytag_params()).items():
            out[f"{tag}/{run}/{k}"] = v


def schedules(out):
    p = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD(p, lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    lrs = []
    for _ in range(11):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    out["schedule/cosine"] = np.array(lrs, dtype=np.float64)
    opt = torch.optim.SGD(p, lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    out["schedule/step"] = np.array(lrs, dtype=np.float64)


def main():
    torch.set_num_threads(1)
    out = {}
    make(True, out)
    make(False, out)
    schedules(out)
    out["torch_version"] = np.array([torch.__version__])
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parity.npz")
    np.savez(path, **out)
    print(f"wrote {path}: {len(out)} arrays, torch {torch.__version__}")


if __name__ == "__main__":
    main()
