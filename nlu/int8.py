"""8-bit integer matrix products for the encoder's linear layers at parse time.

On this CPU an int8 x int8 -> int32 product (VNNI) is about 4x faster than float32 for the
encoder's shapes, and the linear layers are most of a parse's time. Weights are quantised once
(symmetric, one scale per output channel); activations per row at every call (symmetric, from the
row's absolute maximum), which is what keeps the error small for transformers. Written on
``torch._int_mm`` rather than torch's deprecated ``quantize_dynamic``. Used only for inference;
benchmarks/nlu.py reports accuracy and speed with and without it.
"""

from __future__ import annotations

import torch
from torch import nn

_QMAX = 127.0


class Int8Linear(nn.Module):
    """``nn.Linear`` with int8 weights; the same interface, inference only."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-8) / _QMAX  # (out,)
        # stored (in, out) and contiguous: the layout the int8 product wants
        self.register_buffer("weight_q", (weight / scale[:, None]).round().clamp(-_QMAX, _QMAX)
                             .to(torch.int8).t().contiguous())
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        rows = x.reshape(-1, shape[-1]).float()
        scale = rows.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / _QMAX
        q = (rows / scale).round_().to(torch.int8)
        out = torch._int_mm(q, self.weight_q).float()
        out.mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            out.add_(self.bias)
        return out.reshape(*shape[:-1], self.out_features)


def available() -> bool:
    """Whether this torch build can multiply int8 matrices on the CPU."""
    try:
        a = torch.ones(2, 4, dtype=torch.int8)
        return bool(torch._int_mm(a, a.t().contiguous()).eq(4).all())
    except (AttributeError, RuntimeError, NotImplementedError):
        return False


def quantize_linears(module: nn.Module, skip: tuple[str, ...] = ()) -> int:
    """Replace every ``nn.Linear`` under ``module`` (except names containing one of ``skip``) by an
    :class:`Int8Linear`, in place. Returns how many were replaced."""
    replaced = 0
    for name, child in list(module.named_children()):
        if any(s in name for s in skip):
            continue
        if isinstance(child, nn.Linear):
            setattr(module, name, Int8Linear(child))
            replaced += 1
        else:
            replaced += quantize_linears(child, skip)
    return replaced
