"""The claims ledger: every number the papers claim, with its table and protocol.

Claimed numbers live here and nowhere else. `assessment` measures each against the run records; a chapter
or the ledger page reads both and types nothing in.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .. import experiments


@dataclass(frozen=True)
class Claim:
    paper: str
    key: str                # unique within the paper
    source: str             # table / figure / section in the paper
    dataset: str
    metric: str             # "accuracy" (overall) or "recall:<class>" etc.
    value: float            # percent, as printed in the paper
    description: str
    experiment: str | None = None  # run-store experiment that measures it; None = not run in this book
    role: str = "test"      # which evaluation set of that run
    cited: bool = False     # True: another work's number the paper quotes (context, no verdict)
    not_run_reason: str = ""
    detail: bool = False    # True: one cell of a per-class table (the chapter shows it; the ledger page does not)
    protocol: "MarkProtocol | None" = None  # for a literature mark: how its number was produced
    proxy: str | None = None  # a cheaper experiment measuring the same number (see verdicts.py); never decides
    # A baseline the paper does not describe (architecture or recipe): ours is measured and shown beside it,
    # with its interval, but a shortfall of a model we had to invent says nothing about the paper: no verdict.
    unspecified_baseline: bool = False
    # The claim is judged by an explanation the book can test instead of by its experiment's accuracy:
    # "binary-accuracy:<experiment>" holds the paper's (accuracy, loss) pair against that run's element-wise
    # accuracy and loss (chapter 004: the model as published needs ImageNet weights we do not have).
    explained_by: str | None = None


# The book's own FER2013 protocol: the epoch / checkpoint chosen on PublicTest, the number reported on PrivateTest.
OUR_SELECTION, OUR_REPORT = "PublicTest", "PrivateTest"


@dataclass(frozen=True)
class MarkProtocol:
    """How a published FER2013 number was produced, read from its authors' published code."""

    selected_on: str   # which set chose the model / epoch
    reported_on: str   # which set the number is measured on
    init: str          # "from scratch" or the pre-training
    test_time: str     # training-time crops, ten-crop, test-time augmentation
    read_from: str     # repository and files the protocol was read from

    @property
    def same_as_ours(self) -> bool:
        return (self.selected_on, self.reported_on, self.init) == (OUR_SELECTION, OUR_REPORT, "from scratch")

    def label(self) -> str:
        """A short label for wherever the mark is drawn."""
        text = f"chosen on {self.selected_on}, reported on {self.reported_on}; {self.init}; {self.test_time}"
        return text if self.same_as_ours else f"different protocol: {text}"


_KHAIREDDIN = MarkProtocol(
    selected_on="PrivateTest", reported_on="PublicTest", init="from scratch",
    test_time="trained on ten 40x40 crops, ten-crop averaged at test",
    read_from="github.com/usef-kh/fer: data/fer2013.py (val loader = PrivateTest, test loader = PublicTest) and "
              "train.py (ReduceLROnPlateau and the best checkpoint on validation accuracy; final evaluate on the "
              "test loader), commit 692f7d9")
_RMN = MarkProtocol(
    selected_on="PublicTest", reported_on="PrivateTest", init="ImageNet pre-trained backbone, 224x224 input",
    test_time="test-time augmentation: softmax summed over 10 augmented copies",
    read_from="github.com/phamquiluan/ResidualMaskingNetwork: trainers/tta_trainer.py (best checkpoint on val.csv "
              "accuracy, then _calc_acc_on_private_test_with_tta on test.csv) and utils/datasets/fer2013dataset.py "
              "(train / val / test csv, tta_size 10); val = PublicTest and test = PrivateTest per that trainer's naming")


_000_TABLES = {  # Tables 1-2: per-class "accuracy" (%), columns FER2013, JAFFE; class order as printed
    ("presnet", "Table 1"): {"angry": (71.27, 95.31), "disgust": (69.43, 97.01), "fear": (71.53, 97.66),
                             "happy": (75.71, 98.48), "sad": (74.51, 98.41), "surprise": (72.38, 96.83),
                             "neutral": (72.45, 97.10)},
    ("presnetvgg", "Table 2"): {"angry": (73.25, 97.66), "disgust": (70.63, 98.51), "fear": (72.47, 99.22),
                                "happy": (77.38, 100.00), "sad": (75.42, 99.21), "surprise": (74.61, 98.41),
                                "neutral": (71.91, 98.55)},
}


DATASET_NAMES = {"fer2013": "FER2013", "jaffe": "JAFFE", "ckplus": "CK+", "sfew": "SFEW", "rafdb": "RAF-DB"}


def _per_class_000() -> list[Claim]:
    """Tables 1-2 cell by cell. The paper's per-class "accuracy" is not defined; we compare it with per-class
    recall (the share of a class's test images predicted as that class). "Normal" is our "neutral"."""
    out = []
    for (model, table), rows in _000_TABLES.items():
        name = "P-ResNet" if model == "presnet" else "P-ResNet-VGG"
        for cls, values in rows.items():
            fer, jaffe = (experiments.name("000", f"{model}-{v}") for v in ("fer-paper", "jaffe-random-testsel"))
            for dataset, value, exp in (("fer2013", values[0], fer), ("jaffe", values[1], jaffe)):
                out.append(Claim("000", f"{model}-{dataset}-{cls}", table, dataset, f"recall:{cls}", value,
                                 f"{name} on {DATASET_NAMES[dataset]}: recall for {cls}", experiment=exp,
                                 detail=True))
    return out


# Paper 001, Tables 1-3: per-class precision ("accuracy") and recall for four classes, CNN vs improved CNN.
_001_TABLES = {  # (table, dataset, metric): {model: (happy, sad, fear, angry)}
    ("Table 1", "ckplus", "precision"): {"plain": (0.99, 0.99, 1.00, 0.93), "igc": (1.00, 0.99, 1.00, 0.98)},
    ("Table 2", "ckplus", "recall"): {"plain": (1.00, 1.00, 0.97, 0.96), "igc": (1.00, 1.00, 0.99, 0.97)},
    ("Table 3", "fer2013", "precision"): {"plain": (0.83, 0.65, 0.54, 0.57), "igc": (0.86, 0.66, 0.63, 0.65)},
}


def _per_class_001() -> list[Claim]:
    """Tables 1-3 cell by cell, measured on the paper's protocol (random 5-fold CV, mean over folds).
    The improved CNN's cells are the paper's claims; the plain CNN's are its baseline (detail rows). A FER2013
    cell's proxy is the same model on the standard split: one run where the paper's protocol takes five."""
    out = []
    for (table, dataset, metric), rows in _001_TABLES.items():
        for model, values in rows.items():
            name = "improved CNN (IGC)" if model == "igc" else "plain CNN"
            for cls, value in zip(("happy", "sad", "fear", "angry"), values):
                out.append(Claim("001", f"{model}-{dataset}-{metric}-{cls}", table, dataset, f"{metric}:{cls}",
                                 round(100 * value, 2), f"{name} on {DATASET_NAMES[dataset]}: {metric} for {cls}",
                                 experiment=experiments.name("001", f"{model}-{dataset}-random"),
                                 detail=model == "plain", unspecified_baseline=model == "plain",
                                 proxy=(experiments.name("001", f"{model}-fer2013-standard") if dataset == "fer2013"
                                        else None)))
    return out


def _table2_004() -> list[Claim]:
    """Table 2: loss and accuracy on training, validation and test for both models. The paper's model used
    ImageNet weights we do not have: its accuracies are judged by what the book can test, that they are
    element-wise (binary) accuracies at the paper's losses (`explained_by`); ours trained from scratch is shown
    as evidence. The traditional CNN is not described by the paper: shown, no verdict. Losses get no verdict."""
    rows = {"resnet50-all": ("ResNet50 + MLP",
                             {"train": (1.71, 85.80), "val": (1.68, 85.81), "private_test": (1.78, 85.71)}),
            "cnn": ("traditional CNN", {"train": (0.13, 96.13), "val": (2.11, 63.14), "private_test": (1.98, 64.20)})}
    names = {"train": "training", "val": "validation", "private_test": "test (3,589 images; PrivateTest here)"}
    out = []
    for variant, (model, cells) in rows.items():
        for role, (loss, acc) in cells.items():
            headline = role == "private_test"
            out.append(Claim("004", f"{variant}-{role}-accuracy", "Table 2" + ("; Abstract" if headline and variant != "cnn" else ""),
                             "fer2013", "accuracy", acc, f"{model}: {names[role]} accuracy",
                             experiment=experiments.name("004", variant), role=role, detail=not headline,
                             unspecified_baseline=variant == "cnn",
                             explained_by="binary-accuracy:004-resnet50-last4" if variant != "cnn" else None))
            out.append(Claim("004", f"{variant}-{role}-loss", "Table 2", "fer2013", "loss", loss,
                             f"{model}: {names[role]} loss", experiment=experiments.name("004", variant), role=role,
                             detail=True))
    return out


_NO_RAF = "RAF-DB images are not available to us (labels only)"
_LIT = "a published mark quoted for context, not a claim of the five papers"

CLAIMS: tuple[Claim, ...] = (
    # ---- 000 Miao, Li, Lin: P-ResNet-VGG. FER2013 claims are measured on the paper's 28,000 / 3,500 split,
    # JAFFE claims on its protocol: random 5-fold CV keeping the epoch with the lowest test loss.
    Claim("000", "presnet-fer", "Table 1 / Table 3", "fer2013", "accuracy", 72.47, "P-ResNet, FER2013 accuracy",
          experiment="000-presnet-fer-paper"),
    Claim("000", "presnet-jaffe", "Table 1 / Table 4", "jaffe", "accuracy", 97.25, "P-ResNet, JAFFE accuracy",
          experiment="000-presnet-jaffe-random-testsel"),
    Claim("000", "presnetvgg-fer", "Table 2 / Table 3", "fer2013", "accuracy", 73.67, "P-ResNet-VGG, FER2013 accuracy",
          experiment="000-presnetvgg-fer-paper"),
    Claim("000", "presnetvgg-jaffe", "Table 2 / Table 4", "jaffe", "accuracy", 98.79, "P-ResNet-VGG, JAFFE accuracy",
          experiment="000-presnetvgg-jaffe-random-testsel"),
    *_per_class_000(),
    Claim("000", "ref16", "Table 3", "fer2013", "accuracy", 70.86, "Ref. [16]", cited=True),
    Claim("000", "ref17", "Table 3", "fer2013", "accuracy", 71.80, "Ref. [17]", cited=True),
    Claim("000", "ref18", "Table 3", "fer2013", "accuracy", 71.91, "Ref. [18]", cited=True),
    Claim("000", "ref19", "Table 4", "jaffe", "accuracy", 96.70, "Ref. [19] Zhang et al., stacked hybrid autoencoder",
          cited=True),
    Claim("000", "ref20", "Table 4", "jaffe", "accuracy", 98.14, "Ref. [20] Kommineni et al., hybrid features",
          cited=True),
    Claim("000", "ref21", "Table 4", "jaffe", "accuracy", 92.81, "Ref. [21] Kola et al., adaptive-window LBP",
          cited=True),
    # ---- 001 Yin: interleaved group convolution network
    *_per_class_001(),
    # ---- 002 Gao & Ma: SE attention + separable convolution
    Claim("002", "test-accuracy", "Table 1 (Ours); Abstract; Sec. 4.2", "fer2013", "accuracy", 65.20,
          "test accuracy on FER2013 (all images, 80% train, rest validation + test)", experiment="002-paper-split"),
    Claim("002", "zhai", "Table 1", "fer2013", "accuracy", 59.10, "Zhai Y et al. [13]", cited=True),
    Claim("002", "tumen", "Table 1", "fer2013", "accuracy", 57.10, "Tumen V et al. [14]", cited=True),
    Claim("002", "liu", "Table 1", "fer2013", "accuracy", 65.03, "Liu K et al. [15]", cited=True),
    Claim("002", "gan", "Table 1", "fer2013", "accuracy", 64.24, "Gan Y et al. [16]", cited=True),
    # ---- 003 Dong, Wang, Hang: VGG16 + LIP
    Claim("003", "vgg16-raf", "Table 1 (row 1)", "rafdb", "accuracy", 81.68, "VGG16 baseline on RAF-DB",
          experiment="003-rafdb-vgg16", not_run_reason=_NO_RAF),
    Claim("003", "lip-raf", "Table 1 (row 2)", "rafdb", "accuracy", 83.15, "VGG16 + LIP on RAF-DB",
          experiment="003-rafdb-lip", not_run_reason=_NO_RAF),
    Claim("003", "tencrop-raf", "Table 1 (row 3)", "rafdb", "accuracy", 84.97, "+ ten-crop testing on RAF-DB",
          experiment="003-rafdb-lip", role="test_tencrop", not_run_reason=_NO_RAF),
    Claim("003", "imagenet-raf", "Table 1 (row 4); Table 2", "rafdb", "accuracy", 86.31,
          "+ ImageNet pre-training on RAF-DB", not_run_reason="RAF-DB images and ImageNet weights are not available offline"),
    Claim("003", "vgg16-sfew", "Table 3 (row 1)", "sfew", "accuracy", 50.00, "VGG16 (ImageNet init) on SFEW Val",
          experiment="003-sfew-vgg16-imagenet", not_run_reason="ImageNet weights (vgg16_bn-6c64b313.pth) are not available offline"),
    Claim("003", "lip-sfew", "Table 3 (row 2); Table 4", "sfew", "accuracy", 57.34,
          "improved VGG16 (RAF-DB init) on SFEW Val", experiment="003-sfew-lip-rafinit",
          not_run_reason="needs the RAF-DB model, and RAF-DB images are not available; the chapter runs a FER2013 init instead"),
    *[Claim("003", key, source, dataset, "accuracy", value, name, cited=True)
      for key, source, dataset, value, name in (
          ("mre-cnn", "Table 2", "rafdb", 82.63, "MRE-CNN [11]"),
          ("pat-vgg", "Table 2", "rafdb", 83.83, "PAT-VGG-F-(gender,race) [12]"),
          ("dlp-cnn", "Table 2", "rafdb", 84.13, "DLP-CNN [13]"),
          ("identity-aware", "Table 4", "sfew", 50.98, "Identity-aware CNN [14] (FER2013 pre-training)"),
          ("island-loss", "Table 4", "sfew", 52.52, "Island Loss [15] (FER2013 pre-training)"),
          ("ran", "Table 4", "sfew", 56.40, "RAN (VGG16+ResNet18) [16] (MS Celeb 1M pre-training)"))],
    # ---- 004 Chen: ResNet50 + MLP
    *_table2_004(),
    # ---- literature marks on FER2013 (PrivateTest), for context in chapter 004 and the comparison chapter
    Claim("lit", "vggnet", "Khaireddin & Chen 2021, FER2013 state of the art", "fer2013", "accuracy", 73.28,
          "VGGNet, single model trained from scratch", cited=True, not_run_reason=_LIT, protocol=_KHAIREDDIN),
    Claim("lit", "rmn", "Pham, Vu & Tran 2020, Residual Masking Network", "fer2013", "accuracy", 74.14,
          "Residual Masking Network, single model, ImageNet pre-trained", cited=True, not_run_reason=_LIT,
          protocol=_RMN),
    Claim("lit", "rmn-ensemble", "Pham, Vu & Tran 2020, Residual Masking Network", "fer2013", "accuracy", 76.82,
          "ensemble of models", cited=True, not_run_reason=_LIT,
          protocol=replace(_RMN, test_time=_RMN.test_time + "; an ensemble of seven networks",
                           read_from=_RMN.read_from + "; README benchmark table ('ResMaskingNet + 6') and gen_ensemble.py")),
)


def claims_for(paper: str, include_cited: bool = False, include_detail: bool = False) -> list[Claim]:
    return [c for c in CLAIMS if c.paper == paper and (include_cited or not c.cited)
            and (include_detail or not c.detail)]
