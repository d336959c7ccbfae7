"""A printed layer table for any model: each named block's output shape and parameter count."""
from __future__ import annotations

import pandas as pd
import torch
from torch import nn


def layer_table(model: nn.Module, input_shape=(1, 1, 48, 48), depth: int = 2) -> pd.DataFrame:
    """Run one dummy batch through `model` (in eval mode) and list the modules `depth` levels down the tree
    with their output shapes and parameter counts: the drawing the paper's lost figures would have been."""
    rows, hooks = [], []
    for name, module in model.named_modules():
        if name and name.count(".") == depth - 1:
            def hook(mod, args, out, name=name):
                shape = tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else "-"
                rows.append({"layer": name, "type": type(mod).__name__, "output (C, H, W)": shape,
                             "parameters": sum(p.numel() for p in mod.parameters())})
            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(input_shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return pd.DataFrame(rows)
