#!/usr/bin/env python3
"""The peer for BM_TrainStep_*: one full update of a Ling-style MoE in PyTorch (CPU).

Same shapes as trainer/model/model_config.cc's presets and the same step as
benchmarks/trainer_benchmark.cc (zero grads, forward + backward of a (B=2, T=256) batch with
the balance and z losses, clip to 1.0, AdamW), so tokens per CPU second compare like with like.
Written for this comparison (RMSNorm, RoPE, grouped-query attention through
scaled_dot_product_attention where present, SwiGLU, softmax top-k routing with renormalised
probabilities, shared experts, NormHead); it is the peer, never part of kgforge.

  /usr/bin/python3 benchmarks/torch_train_step.py --preset small --precision bf16 --threads 1

Prints one JSON line: preset, precision, threads, steps, cpu_s_per_step, wall_s_per_step,
tokens_per_cpu_s, model_gflops_per_cpu_s (using kgforge's FLOPs per token, given with
--mflop-per-token; 0 leaves it out).
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

PRESETS = {
    # hidden, layers, heads, kv heads, experts, shared, top-k, expert width, dense width,
    # first dense layers, vocab, rope theta
    "small": (256, 4, 4, 2, 8, 1, 2, 256, 768, 1, 32000, 1e4),
    "small-dense": (256, 4, 4, 2, 0, 0, 0, 0, 768, 4, 32000, 1e4),
    "ling-lite-shape": (512, 4, 4, 1, 64, 2, 6, 352, 1408, 0, 32000, 6e5),
}


class RmsNorm(torch.nn.Module):
    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight


def rope(x, theta):  # x: (B, H, T, D)
    T, D = x.shape[-2], x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float32) / D))
    ang = torch.outer(torch.arange(T, dtype=torch.float32), inv)  # (T, D/2)
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    x1, x2 = x[..., : D // 2], x[..., D // 2 :]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Attention(torch.nn.Module):
    def __init__(self, C, H, KV, theta):
        super().__init__()
        self.H, self.KV, self.D, self.theta = H, KV, C // H, theta
        self.qkv = torch.nn.Linear(C, (H + 2 * KV) * self.D, bias=False)
        self.out = torch.nn.Linear(C, C, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split([self.H * self.D, self.KV * self.D, self.KV * self.D], -1)
        q = rope(q.view(B, T, self.H, self.D).transpose(1, 2), self.theta)
        k = rope(k.view(B, T, self.KV, self.D).transpose(1, 2), self.theta)
        v = v.view(B, T, self.KV, self.D).transpose(1, 2)
        rep = self.H // self.KV
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch < 2.0
            s = (q @ k.transpose(-1, -2)) / math.sqrt(self.D)
            mask = torch.ones(T, T, dtype=torch.bool).triu(1)
            y = s.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return self.out(y.transpose(1, 2).reshape(B, T, C))


class Mlp(torch.nn.Module):
    def __init__(self, C, I):
        super().__init__()
        self.gate = torch.nn.Linear(C, I, bias=False)
        self.up = torch.nn.Linear(C, I, bias=False)
        self.down = torch.nn.Linear(I, C, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Moe(torch.nn.Module):
    def __init__(self, C, E, S, K, I):
        super().__init__()
        self.E, self.K = E, K
        self.router = torch.nn.Linear(C, E, bias=False)
        self.experts = torch.nn.ModuleList(Mlp(C, I) for _ in range(E))
        self.shared = Mlp(C, S * I) if S > 0 else None

    def forward(self, x):
        B, T, C = x.shape
        flat = x.reshape(-1, C)
        logits = self.router(flat).float()
        probs = logits.softmax(-1)
        top_p, top_i = probs.topk(self.K, -1)
        top_p = top_p / top_p.sum(-1, keepdim=True)
        out = torch.zeros_like(flat)
        for e in range(self.E):  # dropless: every routed token, grouped by expert
            rows, slot = (top_i == e).nonzero(as_tuple=True)
            if rows.numel() == 0:
                continue
            y = self.experts[e](flat[rows]) * top_p[rows, slot].unsqueeze(-1).to(flat.dtype)
            out.index_add_(0, rows, y)
        if self.shared is not None:
            out = out + self.shared(flat)
        load = F.one_hot(top_i, self.E).float().sum((0, 1)) / top_i.numel()
        balance = self.E * (load * probs.mean(0)).sum()
        z = torch.logsumexp(logits, -1).pow(2).mean()
        return out.view(B, T, C), 0.01 * balance + 1e-3 * z


class Block(torch.nn.Module):
    def __init__(self, cfg, moe):
        super().__init__()
        C, L, H, KV, E, S, K, I_e, I_d, _, _, theta = cfg
        self.n1, self.n2 = RmsNorm(C), RmsNorm(C)
        self.att = Attention(C, H, KV, theta)
        self.ffn = Moe(C, E, S, K, I_e) if moe else Mlp(C, I_d)

    def forward(self, x):
        x = x + self.att(self.n1(x))
        h = self.ffn(self.n2(x))
        if isinstance(h, tuple):
            return x + h[0], h[1]
        return x + h, x.new_zeros(())


class Model(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, L, _, _, E, _, _, _, _, first_dense, V, _ = cfg
        self.embed = torch.nn.Embedding(V, C)
        self.blocks = torch.nn.ModuleList(
            Block(cfg, moe=E > 0 and i >= first_dense) for i in range(L))
        self.norm = RmsNorm(C)
        self.head = torch.nn.Parameter(torch.randn(V, C) * 0.02)

    def forward(self, tokens, targets):
        x = self.embed(tokens)
        aux = x.new_zeros((), dtype=torch.float32)
        for b in self.blocks:
            x, a = b(x)
            aux = aux + a.float()
        head = F.normalize(self.head, dim=-1)  # NormHead
        logits = self.norm(x) @ head.t().to(x.dtype)
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1)) + aux


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="small", choices=sorted(PRESETS))
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--mflop-per-token", type=float, default=0.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    cfg = PRESETS[a.preset]
    model = Model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    V = cfg[10]
    data = torch.randint(0, V, (a.batch, a.seq + 1))
    tokens, targets = data[:, :-1], data[:, 1:]

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            loss = model(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return float(loss)

    step()  # warm-up: first-touch of gradients and optimizer state
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(a.steps):
        step()
    cpu = (time.process_time() - c0) / a.steps
    wall = (time.perf_counter() - w0) / a.steps
    tokens_per_step = a.batch * a.seq
    out = {"peer": "pytorch " + torch.__version__, "preset": a.preset, "precision": a.precision,
           "threads": a.threads, "steps": a.steps, "cpu_s_per_step": round(cpu, 4),
           "wall_s_per_step": round(wall, 4), "tokens_per_cpu_s": round(tokens_per_step / cpu, 1)}
    if a.mflop_per_token > 0:
        out["model_gflops_per_cpu_s"] = round(a.mflop_per_token * tokens_per_step / cpu / 1e3, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
