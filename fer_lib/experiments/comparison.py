"""The comparison's experiments: every model of the book under one protocol, the push and its ingredients."""
from __future__ import annotations

from dataclasses import replace

from ..data.splits import DataSpec
from ..data.transforms import Augment
from .config import Preprocess, TrainConfig
from .base import Experiment, Profile, _profiled
from .paper000 import _000_CPU_NOISE


# ---------------------------------------------------------------- the comparison (no paper)
# Every model of the book under one protocol: FER2013 Training, model selection on PublicTest (best accuracy
# epoch), PrivateTest; 48x48 grey input for every model; the same augmentation, optimiser, schedule and epochs.
# Adam 1e-3 with cosine decay suits every architecture here without per-model tuning, which a fair
# comparison cannot give one model and not the others.
COMPARISON_MODELS = {
    # variant: (label, registered model, model args)
    "plain-cnn": ("plain CNN (001's baseline, ours)", "plain_cnn", {}),
    "igc": ("IGC network (001)", "igc_net", {}),
    "presnet": ("P-ResNet (000)", "presnet", {}),
    "presnet-vgg": ("P-ResNet-VGG (000)", "presnet_vgg", {}),
    "se-sepnet": ("SE + separable-conv network (002)", "se_sepnet", {}),
    "vgg16": ("VGG16-BN, conv head (003's baseline)", "vgg16_plain", {}),
    # LIP as its authors initialise it, as chapter 003 trains it (an average pool at the start)
    "vgg16-lip": ("VGG16-BN + LIP (003)", "vgg16_lip", dict(logit="authors")),
    "resnet50-mlp": ("ResNet50 + MLP, all layers (004)", "resnet50_mlp", dict(trainable="all")),
    "traditional-cnn": ("traditional CNN (004's baseline, ours)", "traditional_cnn", {}),
    "vgg-style": ("VGG-style CNN (baseline)", "vgg_style", {}),
    "resnet18": ("ResNet18, 3x3 stem (baseline)", "resnet18", {}),
}
_CMP_TRAIN = TrainConfig(epochs=30, batch_size=64, optimizer="adam", lr=1e-3, scheduler="cosine",
                         early_stopping=None, monitor="val_acc", restore_best=True,
                         augment=Augment(hflip=True, rotate=10, shift=0.1), preprocess=Preprocess(channels=1))
# cpu budget: 3 epochs each (a whole cosine schedule): the nine small models together in about an hour on
# 2 cores for one seed, VGG16 / VGG16 + LIP about an hour or more each (the records hold each run's wall time).
_CMP_CPU = dict(epochs=3)


# "Push": the best from-scratch model with what the budget allows on top of the one protocol, still selected on
# PublicTest: a longer cosine schedule, label smoothing 0.1, zoom added to the augmentation, random 44x44 crops for
# training and ten-crop averaging at test (reported beside the centre crop).
_PUSH = dict(label_smoothing=0.1, augment=Augment(hflip=True, rotate=10, shift=0.1, zoom=0.1),
             preprocess=Preprocess(channels=1, crop=44))
_PUSH_CPU = dict(epochs=12)

# The push's ablation: each ingredient alone on top of the push, and all of them together ("all"), each its own
# run at the push's budget, so the chapter's ingredient table is read from records.
PUSH_INGREDIENTS = {
    "ema": dict(ema_decay=0.999),              # a horizon of about 1,000 steps: two epochs of batch 64
    "mixup": dict(mixup=0.2),
    "cutmix": dict(cutmix=1.0),
    "erase": dict(augment=replace(_PUSH["augment"], erase=0.5)),
    "warmup": dict(warmup_epochs=1),
}
PUSH_INGREDIENTS["all"] = {k: v for name in ("ema", "mixup", "erase", "warmup") for k, v in PUSH_INGREDIENTS[name].items()}


def comparison(variant: str, profile: Profile) -> Experiment:
    """variant "<model>[-push[-<ingredient>]][-s<seed>]": one model of COMPARISON_MODELS under the one protocol
    (seed 0 unless given), or with the "push" recipe on top (`_PUSH`), or the push plus one of
    `PUSH_INGREDIENTS` (or all of them)."""
    model_key, seed = variant, 0
    if "-s" in variant and variant.rsplit("-s", 1)[1].isdigit():
        model_key, seed = variant.rsplit("-s", 1)[0], int(variant.rsplit("-s", 1)[1])
    ingredient = None
    if "-push-" in model_key:
        model_key, ingredient = model_key.split("-push-", 1)
        model_key += "-push"
    push = model_key.endswith("-push")
    model_key = model_key.removesuffix("-push")
    if model_key not in COMPARISON_MODELS or (ingredient is not None and ingredient not in PUSH_INGREDIENTS):
        raise ValueError(f"comparison variants are <model>[-push[-<ingredient>]][-s<seed>] with model one of "
                         f"{', '.join(COMPARISON_MODELS)} and ingredient one of {', '.join(PUSH_INGREDIENTS)}, "
                         f"not {variant!r}")
    label, model, args = COMPARISON_MODELS[model_key]
    args = dict(num_classes=7, in_channels=1, **args)
    if model.startswith("presnet") and profile != "paper":
        args["noise"] = _000_CPU_NOISE  # the RReLU noise mode paper 000's cpu runs use (speed, not accuracy)
    data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
    train = replace(_CMP_TRAIN, seed=seed, **(_PUSH if push else {}))
    train = replace(train, **PUSH_INGREDIENTS[ingredient]) if ingredient else train
    suffix = ("-push" if push else "") + (f"-{ingredient}" if ingredient else "")
    exp = Experiment(name=f"cmp-{model_key}{suffix}", paper="cmp",
                     title=label + (", pushed" if push else "") + (f" + {ingredient}" if ingredient else ""),
                     profile="paper", data=data, model=model, model_args=args, train=train)
    return _profiled(exp, profile, cpu=_PUSH_CPU if push else _CMP_CPU)
