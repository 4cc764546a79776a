"""core-train baseline: the tiny GPT of core-train.ts in PyTorch on 1 thread.

Same model (pre-norm GPT-2 block, fused QKV, tanh GELU, learned absolute
positions, tied head, biases, no dropout), same batch and AdamW settings.
Prints one JSON object: {"torch": version, "tokensPerSec": ..., "msPerStep": ..., "cpuMsPerStep": ..., "loss": ...}
(cpuMsPerStep is process CPU time, less sensitive than wall time to other load on a shared machine).

    /usr/bin/python3 benchmarks/core-train.py [--steps N] [--warmup N] [--threads N]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--vocab", type=int, default=256)
p.add_argument("--d", type=int, default=128)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--seq", type=int, default=64)
p.add_argument("--batch", type=int, default=16)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, t, self.h, d // self.h).transpose(1, 2)
        k = k.view(b, t, self.h, d // self.h).transpose(1, 2)
        v = v.view(b, t, self.h, d // self.h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.h)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.out(y)
        return x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(args.vocab, args.d)
        self.pos = nn.Parameter(torch.randn(args.seq, args.d) / math.sqrt(args.d))
        self.blocks = nn.ModuleList([Block(args.d, args.heads) for _ in range(args.layers)])
        self.ln = nn.LayerNorm(args.d)

    def forward(self, idx):
        x = self.tok(idx) + self.pos[: idx.shape[1]]
        for blk in self.blocks:
            x = blk(x)
        return self.ln(x) @ self.tok.weight.t()


model = GPT()
for m in model.modules():
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, std=0.02)
    if isinstance(m, nn.Linear) and m.bias is not None:
        nn.init.zeros_(m.bias)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
g = torch.Generator().manual_seed(1)
batches = [torch.randint(0, args.vocab, (args.batch, args.seq + 1), generator=g) for _ in range(4)]


def step(i):
    tokens = batches[i % len(batches)]
    logits = model(tokens[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, args.vocab), tokens[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


for i in range(args.warmup):
    step(i)
t0 = time.perf_counter()
c0 = time.process_time()
for i in range(args.steps):
    loss = step(i)
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
print(
    json.dumps(
        {
            "torch": torch.__version__,
            "threads": args.threads,
            "tokensPerSec": args.batch * args.seq * args.steps / dt,
            "msPerStep": 1000 * dt / args.steps,
            "cpuMsPerStep": 1000 * cpu / args.steps,
            "loss": loss,
        }
    )
)
