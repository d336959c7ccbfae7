"""What a model costs on this machine: parameters, forward FLOPs per image, and inference images per second."""
from __future__ import annotations

import os
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..models import REGISTRY, build_model, count_parameters
from ..store.results import RunRecord, RunStore, code_version, provenance, write_json


def forward_flops(model: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """FLOPs of one forward pass for one image of shape (C, H, W), counted by torch's FlopCounterMode
    (a multiply-add counts 2; convolutions and matrix products only, as papers usually count)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *input_shape))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())


def inference_rate(model: nn.Module, input_shape: tuple[int, int, int], batch_size: int, bf16: bool,
                   seconds: float = 3.0, warmup: int = 2) -> float:
    """Images per second of eval-mode forward passes at `batch_size`, in the layout and precision the model
    trains in here (channels_last, bf16 autocast where it is faster); repeats for about `seconds`."""
    was_training = model.training
    model.eval().to(memory_format=torch.channels_last)
    x = torch.randn(batch_size, *input_shape).contiguous(memory_format=torch.channels_last)
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for _ in range(warmup):  # oneDNN chooses its kernels on the first calls
                model(x)
            start, done = time.perf_counter(), 0
            while done == 0 or time.perf_counter() - start < seconds:
                model(x)
                done += batch_size
            return done / (time.perf_counter() - start)
    finally:
        model.train(was_training)


def measure(model: nn.Module, input_shape: tuple[int, int, int], bf16: bool, batch_sizes=(256, 1)) -> dict:
    """Parameters, forward FLOPs per image and inference img/s at each batch size, with the thread count."""
    result = dict(parameters=count_parameters(model), flops_per_image=forward_flops(model, input_shape),
                  threads=torch.get_num_threads(), bf16=bf16)
    for b in batch_sizes:
        result[f"infer_img_per_s_batch{b}"] = round(inference_rate(model, input_shape, b, bf16), 1)
    return result


COST_RUN = "cmp-cost"  # run-store folder of the comparison's cost table


def measure_comparison(variants=None, *, store: RunStore = RunStore(), seconds: float = 3.0, log=print) -> RunRecord:
    """Measure every comparison model (experiments.COMPARISON_MODELS, as the cpu profile builds them) in this
    process and store the table as a run record, `runs/cmp-cost/<hash>/`. Timings are only as quiet as the
    machine: the record keeps the load average before and after, so a reader can tell."""
    from .. import experiments
    variants = list(variants or experiments.COMPARISON_MODELS)
    exps = {v: experiments.comparison(v, "cpu") for v in variants}
    config = dict(name=COST_RUN, profile="cpu", seconds_per_timing=seconds, batch_sizes=[256, 1],
                  models={v: dict(model=e.model, model_args=e.model_args, input_shape=[e.train.preprocess.channels, 48, 48])
                          for v, e in exps.items()})
    folder = store.folder(COST_RUN, config)
    folder.mkdir(parents=True, exist_ok=True)
    code, start, load_before = code_version(), time.perf_counter(), os.getloadavg()
    write_json(folder / "config.json", config)
    rows = []
    for v, e in exps.items():
        torch.manual_seed(0)
        row = dict(variant=v, model=e.model, **measure(build_model(e.model, **e.model_args),
                                                       tuple(config["models"][v]["input_shape"]),
                                                       REGISTRY[e.model].cpu_bf16))
        log(f"{v}: {row}")
        rows.append(row)
    write_json(folder / "provenance.json", dict(provenance(code, "", time.perf_counter() - start, "cpu"),
                                                load_average_before=load_before, load_average_after=os.getloadavg()))
    write_json(folder / "metrics.json", dict(rows=rows))  # last: its presence marks the record finished
    return RunRecord(folder)
