"""Typed experiment configs: for each paper, what to train, on which split, under each profile.

Profiles, defined here and nowhere else:
- smoke: a few hundred images, one epoch: proves the code path (tests, CI); minutes for the whole book.
- cpu:   the real data with a budget that fits the team's 2-core machine (about an hour per chapter).
- paper: the paper's own protocol (epochs, batch, schedule), meant for a GPU.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Literal, get_args

from ..data.splits import DataSpec
from ..data.transforms import Augment
from ..train.engine import Preprocess, TrainConfig

Profile = Literal["smoke", "cpu", "paper"]
PROFILES: tuple[Profile, ...] = get_args(Profile)
SMOKE_IMAGES = 400


@dataclass(frozen=True)
class Experiment:
    name: str                      # run-store folder, e.g. "002-paper-split"
    paper: str                     # "002"
    title: str
    profile: Profile
    data: DataSpec
    model: str
    model_args: dict = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)
    test_roles: tuple[str, ...] = ("test",)
    watch_roles: tuple[str, ...] = ()  # evaluated every epoch for the curves only, never for selection
    init_from: str | None = None       # start from the weights of this experiment's newest finished run

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train"] = self.train.to_dict()
        for key in ("watch_roles", "init_from"):
            if not d[key]:
                del d[key]  # keeps the config hash of runs recorded before these fields existed
        return d

    def folds(self) -> list["Experiment"]:
        """One experiment per fold of a k-fold protocol (each its own run), or [self]."""
        if self.data.protocol != "kfold":
            return [self]
        return [replace(self, data=replace(self.data, fold=i)) for i in range(self.data.k)]


def _profiled(exp: Experiment, profile: Profile, cpu: dict, smoke: dict | None = None) -> Experiment:
    """Derive the cpu or smoke variant of a paper-profile experiment; `cpu`/`smoke` override TrainConfig fields."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    if profile == "paper":
        return replace(exp, profile="paper")
    if profile == "cpu":
        return replace(exp, profile="cpu", train=replace(exp.train, **cpu))
    smoke = dict(epochs=1, early_stopping=None, batch_size=32, **(smoke or {}))
    data = replace(exp.data, subset=SMOKE_IMAGES)
    return replace(exp, profile="smoke", data=data, train=replace(exp.train, **smoke))


# ---------------------------------------------------------------- paper 002
# Sec. 4.2: Adam with default parameters, up to 50 epochs, Keras EarlyStopping keeping the best weights.
# Assumed where silent (stated in the chapter): batch 32 (Keras' default), patience 10 on val_loss
# (EarlyStopping's default monitor), Keras-style augmentation: mirror, 10 degrees, shift 0.1, zoom 0.1.
_002_TRAIN = TrainConfig(epochs=50, batch_size=32, optimizer="adam", lr=1e-3, early_stopping=10,
                         monitor="val_loss", augment=Augment(hflip=True, rotate=10, shift=0.1, zoom=0.1),
                         preprocess=Preprocess(channels=1))
# cpu budget: sized to fit the 2-core machine (each run's wall time is in its record); batch 64 for throughput.
_002_CPU = dict(epochs=12, batch_size=64, early_stopping=4)


def paper_002(variant: str, profile: Profile) -> Experiment:
    """variant "paper-split": all 35,887 images, stratified 80/10/10 (Sec. 2, 4.2).
    variant "standard": train on Training, select on PublicTest, test on PrivateTest."""
    if variant == "paper-split":
        data = DataSpec("fer2013", protocol="holdout", fractions={"train": 0.8, "val": 0.1, "test": 0.1}, seed=0)
        title = "SE + separable-conv network, FER2013 all images 80/10/10"
    elif variant == "standard":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
        title = "SE + separable-conv network, FER2013 Training / PublicTest / PrivateTest"
    else:
        raise ValueError(f"paper 002 has variants 'paper-split' and 'standard', not {variant!r}")
    exp = Experiment(name=f"002-{variant}", paper="002", title=title, profile="paper", data=data,
                     model="se_sepnet", model_args=dict(num_classes=7, in_channels=1), train=_002_TRAIN)
    return _profiled(exp, profile, cpu=_002_CPU)


# ---------------------------------------------------------------- paper 000
# Sec. 4.3: SGD, lr 0.01, batch 128, 200 epochs, lr constant for 50 epochs then x0.9 every 5; mirror and
# "slight rotation". Assumed where silent: momentum 0.9, no weight decay, rotation up to 10 degrees.
_000_MODELS = {"presnet": "P-ResNet", "presnetvgg": "P-ResNet-VGG"}
_000_AUGMENT = Augment(hflip=True, rotate=10)
_000_FER = TrainConfig(epochs=200, batch_size=128, optimizer="sgd", lr=0.01, momentum=0.9,
                       scheduler="hold_then_decay", scheduler_args=dict(hold=50, every=5, gamma=0.9),
                       monitor="val_loss", augment=_000_AUGMENT, preprocess=Preprocess(channels=1))
# JAFFE: 30 epochs per fold (Sec. 4.3), so the lr never leaves its constant phase. Batch 16 is ours: at
# batch 128 the ~170 training images of a fold would give two steps per epoch.
_000_JAFFE = replace(_000_FER, epochs=30, batch_size=16, preprocess=Preprocess(channels=1, size=48))
# The paper's FER2013 split: 28,000 train and 3,500 test drawn, stratified, from all 35,887 images (seed 0).
# The 4,387 images left over validate (the paper names no validation set): train and test keep its sizes.
_000_FER_COUNTS = {"train": 28000, "val": 4387, "test": 3500}


def compressed_000_schedule(epochs: int) -> dict:
    """The paper's lr schedule squeezed into `epochs`: constant for the first quarter, then a decay every
    epoch whose total equals the paper's 30 decays of x0.9 (final lr 0.01 * 0.9^30 = 4.2e-4)."""
    hold = epochs // 4
    return dict(hold=hold, every=1, gamma=round(0.9 ** (30 / (epochs - hold)), 4))


# cpu budget (2 cores): a few FER2013 epochs per run, so the four FER2013 runs share about an hour with the
# 40 JAFFE runs; the recorded img/s and wall time of each run are in its record (and `fer plan` estimates).
_000_CPU_EPOCHS = {"presnet": 6, "presnetvgg": 4}
# RReLU noise per layer and step on CPU (3-5x faster there, see models/presnet.py); per element on a GPU.
_000_CPU_NOISE = "batch"


def paper_000(variant: str, profile: Profile) -> Experiment:
    """variant "<model>-<protocol>", model presnet | presnetvgg, protocol:
    fer-paper (28,000/3,500 drawn from all images), fer-standard (Training / PublicTest / PrivateTest),
    jaffe-<random|subject>-<testsel|valsel>: 5-fold CV with random stratified or subject-grouped folds,
    selecting the epoch with the lowest loss on the test fold (the paper) or on validation from training folds.
    """
    model, _, protocol = variant.partition("-")
    if model not in _000_MODELS:
        raise ValueError(f"paper 000 variants start with one of {sorted(_000_MODELS)}, not {variant!r}")
    name = _000_MODELS[model]
    if protocol == "fer-paper":
        data = DataSpec("fer2013", protocol="holdout", fractions=_000_FER_COUNTS, seed=0)
        title, train = f"{name}, FER2013 28,000 / 3,500 drawn from all images", _000_FER
    elif protocol == "fer-standard":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
        title, train = f"{name}, FER2013 Training / PublicTest / PrivateTest", _000_FER
    elif protocol.startswith("jaffe-") and protocol.count("-") == 2:
        _, folds, selection = protocol.split("-")
        if folds not in ("random", "subject") or selection not in ("testsel", "valsel"):
            raise ValueError(f"JAFFE variants are jaffe-<random|subject>-<testsel|valsel>, not {protocol!r}")
        data = DataSpec("jaffe", protocol="kfold", k=5, by_subject=folds == "subject", seed=0,
                        select_on="test" if selection == "testsel" else "val", val_fraction=0.15)
        title = (f"{name}, JAFFE 5-fold ({'subject-independent' if folds == 'subject' else 'random stratified'} "
                 f"folds, {'selection on the test fold' if selection == 'testsel' else 'selection on validation'})")
        train = _000_JAFFE
    else:
        raise ValueError(f"unknown paper-000 protocol {protocol!r} in {variant!r}")
    arch = "presnet" if model == "presnet" else "presnet_vgg"
    exp = Experiment(name=f"000-{variant}", paper="000", title=title, profile="paper", data=data, model=arch,
                     model_args=dict(num_classes=7, in_channels=1), train=train)
    if profile == "paper":
        return exp
    cpu_args = dict(exp.model_args, noise=_000_CPU_NOISE)
    if data.dataset == "fer2013":
        epochs = _000_CPU_EPOCHS[model]
        cpu = dict(epochs=epochs, scheduler_args=compressed_000_schedule(epochs))
    else:
        cpu = {}  # JAFFE is small enough for the paper's own 30 epochs on the CPU
    return _profiled(replace(exp, model_args=cpu_args), profile, cpu=cpu)


_000_VARIANTS = tuple(f"{m}-{p}" for m in _000_MODELS for p in (
    "fer-paper", "fer-standard", "jaffe-random-testsel", "jaffe-random-valsel", "jaffe-subject-testsel",
    "jaffe-subject-valsel"))

# ---------------------------------------------------------------- paper 001
# Sec. 3: TensorFlow 1.4 / Keras 2.1, 5-fold cross-validation; no optimiser, batch, epochs or augmentation.
# Assumed (stated in the chapter): Adam at Keras' defaults, batch 64, up to 50 epochs, early stopping with
# patience 10 on validation loss keeping the best weights, validation = 10 % of the training folds, and
# mirror / 10 degrees / 10 % shift augmentation.
_001_MODELS = {"igc": "igc_net", "plain": "plain_cnn"}
_001_TRAIN = TrainConfig(epochs=50, batch_size=64, optimizer="adam", lr=1e-3, early_stopping=10, monitor="val_loss",
                         augment=Augment(hflip=True, rotate=10, shift=0.1), preprocess=Preprocess(channels=1))
# FER2013 on 2 cores: 4 epochs per fold keep the two models' five folds within about an hour (the records
# hold each run's speed and wall time). CK+ (981 images) keeps the paper budget.
_001_CPU_FER = dict(epochs=4, early_stopping=None)


def paper_001(variant: str, profile: Profile) -> Experiment:
    """variant "<model>-<dataset>-<protocol>", model igc | plain, dataset ckplus | fer2013, protocol:
    random (5-fold stratified, the paper's "randomly divided into five parts"), subject (5-fold grouped by
    CK+ subject: no person in both train and test), standard (FER2013 Training / PublicTest / PrivateTest)."""
    parts = variant.split("-")
    if len(parts) != 3 or parts[0] not in _001_MODELS or parts[1] not in ("ckplus", "fer2013"):
        raise ValueError(f"paper 001 variants are <igc|plain>-<ckplus|fer2013>-<protocol>, not {variant!r}")
    model, dataset, protocol = parts
    if protocol in ("random", "subject") and not (protocol == "subject" and dataset == "fer2013"):
        data = DataSpec(dataset, protocol="kfold", k=5, by_subject=protocol == "subject", seed=0)
    elif protocol == "standard" and dataset == "fer2013":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
    else:
        raise ValueError(f"{dataset} has no protocol {protocol!r} in paper 001")
    name = "improved CNN (IGC)" if model == "igc" else "plain CNN"
    exp = Experiment(name=f"001-{variant}", paper="001", title=f"{name}, {dataset}, {protocol}", profile="paper",
                     data=data, model=_001_MODELS[model], model_args=dict(num_classes=7, in_channels=1),
                     train=_001_TRAIN)
    return _profiled(exp, profile, cpu=_001_CPU_FER if dataset == "fer2013" else {})


_001_VARIANTS = tuple(f"{m}-{v}" for m in _001_MODELS
                      for v in ("ckplus-random", "ckplus-subject", "fer2013-random", "fer2013-standard"))

# ---------------------------------------------------------------- paper 004
# Sec. 2.1, 2.3, Table 1: FER2013 Training split 8:2 into train / validation; pixel normalisation (read as
# Keras' rescale=1/255: mean 0, std 1 after scaling); width/height shift 0.1, rotation 15 degrees, no mirror
# (Table 1 lists none); Adam (Keras defaults), batch 64, 50 epochs, "tested ... after 50 training epochs":
# the last epoch's weights, no selection. The 3,589 test images are PublicTest or PrivateTest: we report both.
_004_TRAIN = TrainConfig(epochs=50, batch_size=64, optimizer="adam", lr=1e-3, early_stopping=None,
                         restore_best=False, monitor="val_loss", augment=Augment(hflip=False, rotate=15, shift=0.1),
                         preprocess=Preprocess(channels=3, mean=0.0, std=1.0))
_004_VARIANTS = {
    # variant: (title, model, model_args)
    "resnet50-imagenet": ("ResNet50 + MLP, ImageNet weights, last four layers trainable (the paper)",
                          "resnet50_mlp", dict(trainable="last4", weights="resnet50-11ad3fa6.pth")),
    "resnet50-last4": ("ResNet50 + MLP, random init, last four layers trainable (the paper's freezing, no weights)",
                       "resnet50_mlp", dict(trainable="last4")),
    "resnet50-all": ("ResNet50 + MLP, random init, every layer trainable", "resnet50_mlp", dict(trainable="all")),
    "cnn": ("traditional CNN (ours; the paper does not describe its CNN)", "traditional_cnn", {}),
}
# cpu budget: 6 epochs keep the chapter's three runs within about 35 minutes on 2 cores (ResNet50 with all
# layers trainable is the slow one; the records hold each run's speed). Longer budgets: `--epochs N`.
_004_CPU = dict(epochs=6)


def paper_004(variant: str, profile: Profile) -> Experiment:
    """variant resnet50-imagenet (needs a local weights file), resnet50-last4, resnet50-all, cnn (Table 2)."""
    if variant not in _004_VARIANTS:
        raise ValueError(f"paper 004 variants are {', '.join(_004_VARIANTS)}, not {variant!r}")
    title, model, args = _004_VARIANTS[variant]
    data = DataSpec("fer2013", roles={"train": "train", "public_test": "public_test", "private_test": "private_test"},
                    val_fraction=0.2, seed=0)
    exp = Experiment(name=f"004-{variant}", paper="004", title=title, profile="paper", data=data, model=model,
                     model_args=dict(num_classes=7, in_channels=3, **args), train=_004_TRAIN,
                     test_roles=("private_test", "public_test", "train", "val"),
                     watch_roles=("private_test", "public_test"))
    return _profiled(exp, profile, cpu=_004_CPU)


# ---------------------------------------------------------------- paper 003
# Sec. 3.1-3.3: RAF-DB 100x100 faces, random 90x90 crop + mirror for training, ten-crop at test; SFEW at
# 112x112 with random mirror, initialised from the RAF-DB model. PyTorch 0.4; no optimiser, lr, batch or
# epochs are given. Assumed (stated in the chapter): SGD momentum 0.9, lr 0.01, weight decay 5e-4, batch 64,
# cosine decay, 50 epochs (RAF-DB, FER2013) and 30 (SFEW), keeping the epoch with the best validation accuracy.
_003_TRAIN = TrainConfig(epochs=50, batch_size=64, optimizer="sgd", lr=0.01, momentum=0.9, weight_decay=5e-4,
                         scheduler="cosine", monitor="val_acc", augment=Augment(hflip=True),
                         preprocess=Preprocess(channels=3, crop=90))
# FER2013 stands in for RAF-DB: crops sized like the paper's 90 of 100, i.e. 44 of 48.
_003_FER = replace(_003_TRAIN, preprocess=Preprocess(channels=3, crop=44))
_003_SFEW = replace(_003_TRAIN, epochs=30, preprocess=Preprocess(channels=3, size=112))
_003_MODELS = {"vgg16": "vgg16_plain", "lip": "vgg16_lip"}
# cpu budget. VGG16 keeps full resolution through its first block, so a 44x44 forward costs about four
# times ResNet50's (strided stem) and one FER2013 epoch takes about 9 minutes on 2 cores (see the records).
# So FER2013 trains 1, 2 and 4 epochs (chosen with --epochs; the chapter shows the budget curve). SFEW (734
# training images) runs the paper's 112x112 and the assumed 30 epochs, in bf16: at 112x112 bf16 autocast
# trains VGG16 2.2x and VGG16 + LIP 1.7x faster than fp32 here (17.4 / 11.0 vs 8.0 / 6.4 img/s, batch 32,
# machine idle), so a run takes about half an hour instead of an hour.
_003_CPU = {"fer2013": dict(epochs=1),
            "sfew": dict(bf16=True),
            "rafdb": dict(epochs=1)}


def paper_003(variant: str, profile: Profile) -> Experiment:
    """variant "<dataset>-<model>[-<init>]": dataset rafdb | fer2013 | sfew, model vgg16 | lip, init for SFEW:
    ferinit (from this chapter's FER2013 LIP model, standing in for the paper's RAF-DB model), rafinit, or
    imagenet (VGG16 conv weights from a local torchvision file). Without init: from scratch."""
    parts = variant.split("-")
    if len(parts) not in (2, 3) or parts[0] not in ("rafdb", "fer2013", "sfew") or parts[1] not in _003_MODELS:
        raise ValueError(f"paper 003 variants are <rafdb|fer2013|sfew>-<vgg16|lip>[-<init>], not {variant!r}")
    dataset, model, init = parts[0], parts[1], (parts[2] if len(parts) == 3 else None)
    args = dict(num_classes=7, in_channels=3)
    if model == "lip":
        args["logit"] = "authors"  # LIP as its authors initialise it (starts as average pooling); see lip_vgg
    init_from = None
    if init == "imagenet":
        args["weights"] = "vgg16_bn-6c64b313.pth"
    elif init in ("ferinit", "rafinit") and dataset == "sfew":
        init_from = f"003-{'fer2013' if init == 'ferinit' else 'rafdb'}-{model}"
    elif init is not None:
        raise ValueError(f"unknown initialisation {init!r} in {variant!r}")
    if dataset == "fer2013":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
        train = _003_FER
    elif dataset == "rafdb":
        data = DataSpec("rafdb", roles={"train": "train", "test": "test"}, val_fraction=0.1)
        train = _003_TRAIN
    else:  # SFEW: Val is the test set; selection on 15 % of Train, never on Val
        data = DataSpec("sfew", roles={"train": "train", "test": "val"}, val_fraction=0.15)
        train = _003_SFEW
    name = "VGG16 + LIP" if model == "lip" else "VGG16"
    exp = Experiment(name=f"003-{variant}", paper="003", title=f"{name}, {dataset}" + (f", {init}" if init else ""),
                     profile="paper", data=data, model=_003_MODELS[model], model_args=args, train=train,
                     init_from=init_from)
    return _profiled(exp, profile, cpu=_003_CPU[dataset])


_003_VARIANTS = ("rafdb-vgg16", "rafdb-lip", "fer2013-vgg16", "fer2013-lip", "sfew-vgg16", "sfew-lip",
                 "sfew-lip-ferinit", "sfew-vgg16-imagenet", "sfew-lip-rafinit")


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
    "vgg16-lip": ("VGG16-BN + LIP (003)", "vgg16_lip", {}),
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


EXPERIMENTS = {"000": (paper_000, _000_VARIANTS), "001": (paper_001, _001_VARIANTS),
               "002": (paper_002, ("paper-split", "standard")),
               "003": (paper_003, _003_VARIANTS), "004": (paper_004, tuple(_004_VARIANTS)),
               "cmp": (comparison, tuple(COMPARISON_MODELS))}


def with_budget(exp: Experiment, epochs: int) -> Experiment:
    """`exp` trained for `epochs` epochs: one point of its budget curve, its own run (the epochs are part of
    the config hash). The schedule is compressed to the budget as the cpu profile does: a cosine schedule
    spans the epochs by construction; paper 000's hold-then-decay keeps its shape (`compressed_000_schedule`).
    Asking for the budget an experiment already has returns it unchanged, so an existing run is reused."""
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"a budget is a positive number of epochs, not {epochs!r}")
    if epochs == exp.train.epochs:
        return exp
    train = replace(exp.train, epochs=epochs)
    if exp.train.scheduler == "hold_then_decay":
        if epochs < 2:
            raise ValueError("paper 000's schedule needs at least 2 epochs (a hold and a decay)")
        train = replace(train, scheduler_args=compressed_000_schedule(epochs))
    elif exp.train.scheduler not in (None, "cosine", "plateau"):
        raise ValueError(f"no rule to compress scheduler {exp.train.scheduler!r} to {epochs} epochs")
    return replace(exp, train=train)


def with_seed(exp: Experiment, seed: int) -> Experiment:
    """`exp` trained with another training seed: a further run of the same experiment, its own run (the seed is
    part of the config hash), for the spread over seeds. A seeded run also watches its test roles every epoch
    (recorded for the curves and the kept-epoch question, never used for selection). Seed 0, every
    experiment's own, returns `exp` unchanged, so the first run is reused."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"a training seed is a non-negative integer, not {seed!r}")
    if seed == exp.train.seed:
        return exp
    return replace(exp, train=replace(exp.train, seed=seed), watch_roles=exp.watch_roles or exp.test_roles)


def experiment(paper: str, variant: str, profile: Profile, epochs: int | None = None,
               seed: int | None = None) -> Experiment:
    """The experiment `variant` of `paper` under `profile`; `epochs` trains it at another budget, `seed` with
    another training seed."""
    if paper not in EXPERIMENTS:
        raise ValueError(f"no experiments for paper {paper!r}; have {sorted(EXPERIMENTS)}")
    exp = EXPERIMENTS[paper][0](variant, profile)
    exp = exp if epochs is None else with_budget(exp, epochs)
    return exp if seed is None else with_seed(exp, seed)


def by_name(name: str, profile: Profile) -> Experiment:
    """The experiment stored as `runs/<name>/`, e.g. "000-presnet-fer-paper", under `profile`."""
    paper, _, variant = name.partition("-")
    return experiment(paper, variant, profile)


# Papers that name no training budget: their `paper` profile's epochs are our assumption (stated in the chapter).
ASSUMED_BUDGET_PAPERS = frozenset({"001", "003"})


def paper_epochs(name: str) -> int:
    """The paper's own training budget (epochs) for the experiment stored as `runs/<name>/`."""
    return by_name(name, "paper").train.epochs


def names(profile: Profile = "cpu") -> dict[str, str]:
    """Every experiment the book defines, as stored under runs/: name -> title."""
    return {exp.name: exp.title for build, variants in EXPERIMENTS.values()
            for exp in (build(v, profile) for v in variants)}


def resolve(name: str, profile: Profile = "cpu") -> Experiment:
    """The experiment stored as `runs/<name>/`; an unknown name fails loudly with the closest known names, so a
    typo in a claim or a chapter never renders a silent "no run"."""
    import difflib
    known = names(profile)
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; `fer list` prints all {len(known)}"
        raise ValueError(f"no experiment named {name!r}{hint}")
    return by_name(name, profile)
