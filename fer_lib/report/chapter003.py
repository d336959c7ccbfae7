"""Chapter 003's sections (VGG16 + LIP): claims, what is missing here, LIP itself, the ablation and SFEW tables."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
import torchvision

from ..judge import claims
from .. import experiments
from ..store import results
from ..data.base import FaceData
from ..data.transforms import ten_crop
from ..models import build_model, count_parameters
from ..models.lip_vgg import LIP2d, VGG16_BN_IMAGENET
from ..models.weights import weights_path
from ..store.results import RunRecord, RunStore
from ..judge.scoring import deduplicated_accuracy
from ..judge.uncertainty import paired_test, wilson
from . import Note, Section, count, made_by, plots, sections
from .tables import ProfileRuns, best_record, confusion_summary

RAF_VARIANTS = ("rafdb-vgg16", "rafdb-lip")
FER_VARIANTS = ("fer2013-vgg16", "fer2013-lip")
SFEW_NAMES = {"sfew-vgg16": "VGG16, from scratch", "sfew-lip": "VGG16 + LIP, from scratch",
              "sfew-lip-ferinit": "VGG16 + LIP, FER2013 init (stands in for RAF-DB)",
              "sfew-vgg16-imagenet": "VGG16, ImageNet init (the paper's row 1)",
              "sfew-lip-rafinit": "VGG16 + LIP, RAF-DB init (the paper's row 2)"}


def claimed() -> dict[str, float]:
    return {c.key: c.value for c in claims.claims_for("003", include_cited=True)}


def accuracy(record: RunRecord, role: str) -> float:
    return round(100 * record.metrics[role]["accuracy"], 2)


def main_records(runs: list[ProfileRuns]) -> dict[str, RunRecord]:
    """Each variant's run of the most faithful profile that has one, by variant name."""
    return {pr.experiment.removeprefix("003-"): best_record(pr)[0] for pr in runs if best_record(pr)[0] is not None}


def ablation_records(*, store: RunStore = RunStore()) -> dict[str, RunRecord]:
    """The FER2013 ablation's two runs at the largest budget both models trained, under the most faithful profile
    where they share one; {} when they share none.

    The models' budget curves grow one run at a time, so each model's newest run can sit at a different budget;
    only a pair at the same budget measures LIP rather than the extra epochs.
    """
    for profile in ("paper", "cpu", "smoke"):
        curves = {v: store.budgets(experiments.name("003", v), profile) for v in FER_VARIANTS}
        shared = set.intersection(*(set(curve) for curve in curves.values()))
        if shared:
            return {v: curves[v][max(shared)][0] for v in FER_VARIANTS}
    return {}


def experiments_for(variants, profile: str):
    return [experiments.experiment("003", v, profile) for v in variants]


@made_by
def claims_table() -> pd.DataFrame:
    return pd.DataFrame([{"table": c.source, "dataset": c.dataset, "model": c.description, "accuracy (%)": c.value,
                          "kind": "cited" if c.cited else "claim of this paper"}
                         for c in claims.claims_for("003", include_cited=True)])


@made_by
def missing_notes(raf: FaceData | None) -> Section:
    """What this machine lacks for the paper's own rows, and what stands in for it."""
    missing = []
    if not weights_path(VGG16_BN_IMAGENET).exists():
        missing.append(f"`{weights_path(VGG16_BN_IMAGENET)}` (torchvision's VGG16-BN `IMAGENET1K_V1`, for the "
                       "pre-training rows)")
    if raf is None:
        missing.append("RAF-DB images (Table 1 and the RAF-DB initialisation of Table 3)")
    if not missing:
        return []
    return [Note("Not available here: " + "; ".join(missing) + ". Those rows are shown as claims only. Substitutions: "
                 "the Table 1 ablation runs on FER2013, and the SFEW model starts from the FER2013 LIP model instead "
                 "of the RAF-DB one.", "warning")]


class _Scaled(torch.nn.Module):
    """A stand-in logit module G(I) = beta * I, to show LIP's two limits."""

    def __init__(self, beta: float):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return self.beta * x if self.beta else torch.zeros_like(x)


@made_by
def lip_limits_table() -> pd.DataFrame:
    """LIP with a constant logit is average pooling; with a large one it approaches max pooling."""
    torch.manual_seed(0)
    x = torch.randn(4, 8, 8, 8)
    rows = []
    for beta in (0, 1, 10, 100, 1000):
        out = LIP2d(_Scaled(beta))(x)
        rows.append({"G(I)": "0 (constant)" if beta == 0 else f"{beta} x I",
                     "max |LIP - average pool|": float((out - F.avg_pool2d(x, 2)).abs().max()),
                     "max |LIP - max pool|": float((out - F.max_pool2d(x, 2)).abs().max())})
    return pd.DataFrame(rows)


@made_by
def lip_init_table() -> pd.DataFrame:
    """How far each edition of our LIP starts from average pooling: one LIP layer, freshly initialised, on a
    random 64-channel map (the authors' zero-initialised logit starts exactly at it)."""
    from ..models.lip_vgg import logit_module
    torch.manual_seed(0)
    x = torch.randn(4, 64, 22, 22)
    rows = []
    for kind, label in (("authors", "authors' (zero-initialised conv, InstanceNorm)"),
                        ("depthwise-bn", "first edition (random depthwise conv, BatchNorm)")):
        lip = LIP2d(logit_module(64, kind)).eval()
        with torch.no_grad():
            g = lip.logit(x)
            out = lip(x)
        windows = F.unfold(g.flatten(0, 1).unsqueeze(1), 2, stride=2)  # the four logits of every 2x2 window
        spread = (windows.max(1).values - windows.min(1).values).max()
        rows.append({"logit module G": label,
                     "largest exp(G) ratio inside one window": f"{float(torch.exp(spread)):,.1f}",
                     "max |LIP - average pool| at initialisation": f"{float((out - F.avg_pool2d(x, 2)).abs().max()):.3f}"})
    return pd.DataFrame(rows)


@made_by
def parameters_table() -> pd.DataFrame:
    plain = build_model("vgg16_plain")
    lip = build_model("vgg16_lip", **{k: v for k, v in experiments.experiment("003", "fer2013-lip", "paper")
                                     .model_args.items() if k == "logit"})
    return pd.DataFrame([
        {"model": "VGG16-BN, max-pool, conv head", "parameters": f"{count_parameters(plain):,}"},
        {"model": "VGG16-BN, LIP, conv head (the paper's)", "parameters": f"{count_parameters(lip):,}"},
        {"model": "of which the five LIP logit modules",
         "parameters": f"{count_parameters(lip) - count_parameters(plain):,}"},
        {"model": "torchvision VGG16-BN with its three FC layers (for scale)",
         "parameters": f"{count_parameters(torchvision.models.vgg16_bn()):,}"}])


@made_by
def ten_crop_figure(fer: FaceData | None):
    """The ten 44x44 crops of one FER2013 face: four corners and the centre, and their mirrors."""
    if fer is None:
        return None
    crops = ten_crop(torch.from_numpy(fer.images[:1]).float().unsqueeze(1), 44)[0, :, 0].numpy()
    fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
    for i, ax in enumerate(axes):
        ax.imshow(crops[i], cmap="gray", vmin=0, vmax=255)
        ax.set_title(["top-left", "top-right", "bottom-left", "bottom-right", "centre"][i % 5] + (" (m)" if i >= 5 else ""),
                     fontsize=7)
        ax.axis("off")
    return fig


@made_by
def inputs_section(profile: str) -> Section:
    def exp(v):
        return experiments.experiment("003", v, profile)
    fer_cfg, sfew_cfg = exp("fer2013-lip").train, exp("sfew-lip").train
    crop, size = fer_cfg.preprocess.crop, sfew_cfg.preprocess.size
    items = [pd.DataFrame([
        {"run": "RAF-DB (paper)", "input": "100x100 RGB, random 90x90 crop + mirror", "test": "centre 90 crop; ten-crop",
         "epochs (this profile)": exp("rafdb-lip").train.epochs},
        {"run": "FER2013 (our stand-in)", "input": f"48x48 grey as 3 channels, random {crop}x{crop} crop + mirror",
         "test": f"centre {crop} crop; ten-crop", "epochs (this profile)": fer_cfg.epochs},
        {"run": "SFEW", "input": f"143x181 RGB resized to {size}x{size}, mirror", "test": "the whole face",
         "epochs (this profile)": sfew_cfg.epochs}])]
    if profile != "paper":
        paper_sfew = experiments.experiment("003", "sfew-lip", "paper").train
        cut = [what for what, ours, theirs in (("SFEW's epochs", sfew_cfg.epochs, paper_sfew.epochs),
                                               ("SFEW's input size", size, paper_sfew.preprocess.size))
               if ours != theirs]
        sfew_words = (f"It also cuts {' and '.join(cut)}." if cut else
                      f"SFEW keeps the paper's {size}x{size} input and the assumed {sfew_cfg.epochs} epochs.")
        items.append(Note(f"The `{profile}` profile cuts FER2013's epochs to fit the 2-core machine (table above): "
                          "VGG16 keeps full resolution through its first block, so one FER2013 epoch takes minutes, "
                          "not seconds, here (each run's wall time is in the provenance table), and its numbers say "
                          f"what a short budget gives, not what the recipe can reach. {sfew_words}"))
    return items


@made_by
def rafdb_section(raf_main: dict[str, RunRecord]) -> Section:
    if not raf_main:
        return [Note("No RAF-DB run exists: the images are needed (see above). Table 1 stays claims-only here.")]
    return [pd.DataFrame([{"row": name, "accuracy (%)": accuracy(raf_main[v], role)} for name, v, role in (
        ("VGG16", "rafdb-vgg16", "test"), ("+ LIP", "rafdb-lip", "test"), ("+ ten-crop", "rafdb-lip", "test_tencrop"))
        if v in raf_main])]


@made_by
def ablation_table(fer_main: dict[str, RunRecord], twins: set[str] | None) -> Section:
    """Table 1's rows re-measured on FER2013 (max pooling, LIP, ten-crop) beside the paper's RAF-DB numbers."""
    if len(fer_main) != 2:
        return [Note("The FER2013 ablation has no pair of runs at a shared budget yet.", "warning")]
    paper = claimed()
    lip = fer_main["fer2013-lip"]
    budget = (f"Both models at {count(lip.epochs, 'epoch')} ({lip.config['profile']} profile), the largest budget both have "
              "trained; every budget is in the next section.")
    rows = [("VGG16", "fer2013-vgg16", "test", "vgg16-raf"),
            ("VGG16 + ten-crop (extra row)", "fer2013-vgg16", "test_tencrop", None),
            ("+ LIP", "fer2013-lip", "test", "lip-raf"), ("+ LIP + ten-crop", "fer2013-lip", "test_tencrop", "tencrop-raf")]
    base = accuracy(fer_main["fer2013-vgg16"], "test")
    frame = pd.DataFrame([{"row": name, "PrivateTest accuracy (%)": accuracy(fer_main[v], role),
                           "macro-F1 (%)": round(100 * fer_main[v].metrics[role]["macro_f1"], 2),
                           "de-duplicated PrivateTest (%)": (deduplicated_accuracy(fer_main[v], role, twins)
                                                             if twins is not None and role == "test" else None),
                           "gain over VGG16 (points)": round(accuracy(fer_main[v], role) - base, 2),
                           "paper, RAF-DB (%)": paper.get(key),
                           "paper's gain (points, derived)": round(paper[key] - paper["vgg16-raf"], 2) if key else None}
                          for name, v, role, key in rows])
    frame.loc[len(frame)] = {"row": "+ pre-training", "PrivateTest accuracy (%)": None,
                             "paper, RAF-DB (%)": paper["imagenet-raf"],
                             "paper's gain (points, derived)": round(paper["imagenet-raf"] - paper["vgg16-raf"], 2)}
    return [budget, frame]


@made_by
def ablation_curves(fer_main: dict[str, RunRecord]):
    if not fer_main:
        return None
    return plots.learning_curves({v: r.history for v, r in fer_main.items()},
                                 {v: r.metrics["best_epoch"] for v, r in fer_main.items()})


ABLATION_MODELS = {"fer2013-vgg16": "VGG16 (max pooling)", "fer2013-lip": "VGG16 + LIP"}


@made_by
def ablation_points(profile: str = "cpu", *, store: RunStore = RunStore()) -> pd.DataFrame:
    """The FER2013 ablation's budget curves: one row per model and budget, PrivateTest accuracy with the centre
    crop and with ten-crop."""
    return pd.DataFrame([{"model": label, "epochs": epochs, "centre crop (%)": accuracy(record, "test"),
                          "ten-crop (%)": accuracy(record, "test_tencrop"), "test images": record.metrics["test"]["n"]}
                         for variant, label in ABLATION_MODELS.items()
                         for epochs, (record, *_) in store.budgets(experiments.name("003", variant), profile).items()])


@made_by
def ablation_budget_table(profile: str = "cpu", *, store: RunStore = RunStore()) -> pd.DataFrame:
    """One row per budget: both models' accuracies and LIP's difference from max pooling (points), for the centre
    crop and ten-crop; a difference only where both models have the budget."""
    points = ablation_points(profile, store=store)
    if points.empty:
        return points
    wide = points.pivot(index="epochs", columns="model", values=["centre crop (%)", "ten-crop (%)"])
    table = pd.DataFrame(index=wide.index)
    for crop in ("centre crop (%)", "ten-crop (%)"):
        for label in ABLATION_MODELS.values():
            table[f"{label}, {crop}"] = wide[crop].get(label)
        if set(ABLATION_MODELS.values()) <= set(wide[crop].columns):
            table[f"LIP - max pool, {crop.split(' (')[0]} (points)"] = (
                wide[crop]["VGG16 + LIP"] - wide[crop]["VGG16 (max pooling)"]).round(2)
    return table.reset_index()


@made_by
def ablation_budget_shown(profile: str = "cpu", *, store: RunStore = RunStore()) -> pd.DataFrame:
    """`ablation_budget_table` as the chapter shows it: each accuracy with its Wilson 95 % interval on the
    PrivateTest images (the differences' paired intervals are in the LIP table below)."""
    table = ablation_budget_table(profile, store=store)
    if table.empty:
        return table
    n = int(ablation_points(profile, store=store)["test images"].iloc[0])
    for column in [c for c in table.columns if c.endswith("(%)")]:
        table[column] = [("" if pd.isna(v) else wilson(round(v / 100 * n), n).scaled(100).format())
                         for v in table[column]]
    return table


@made_by
def ablation_budget_figure(profile: str = "cpu", *, store: RunStore = RunStore()):
    """PrivateTest accuracy of both models against epochs, centre crop and ten-crop (None without runs)."""
    points = ablation_points(profile, store=store)
    if points.empty:
        return None
    for crop in ("centre crop (%)", "ten-crop (%)"):  # each point one run: Wilson on its test images
        cis = [wilson(round(a / 100 * n), n).scaled(100) if pd.notna(a) else None
               for a, n in zip(points[crop], points["test images"])]
        points[f"{crop} low"] = [ci.low if ci else np.nan for ci in cis]
        points[f"{crop} high"] = [ci.high if ci else np.nan for ci in cis]
    fig = plots.metrics_by_budget(points, {"PrivateTest accuracy, 95 % intervals": ["centre crop (%)", "ten-crop (%)"]})
    fig.suptitle(f"FER2013 ablation by budget ({profile} profile)")
    return fig


def ablation_trend(profile: str = "cpu", *, store: RunStore = RunStore()) -> str | None:
    """Does LIP's difference from max pooling close, stay or reverse as training grows? One sentence."""
    table = ablation_budget_table(profile, store=store)
    column = "LIP - max pool, centre crop (points)"
    if table.empty or column not in table:
        return None
    diffs = table.dropna(subset=[column]).set_index("epochs")[column]
    points = ", ".join(f"{d:+.2f} after {count(e, 'epoch')}" for e, d in diffs.items())
    if len(diffs) < 2:
        trend = "one shared budget so far"
    elif (diffs.iloc[0] < 0) != (diffs.iloc[-1] < 0):
        trend = "the sign reverses as training grows"
    elif abs(diffs.iloc[-1]) < abs(diffs.iloc[0]):
        trend = "the gap narrows as training grows"
    else:
        trend = "the gap does not narrow"
    sentence = f"**LIP - max pooling on FER2013, PrivateTest centre crop ({profile} profile)**: {points}; {trend}."
    points_by_model = ablation_points(profile, store=store)
    for variant, label in ABLATION_MODELS.items():
        others = set(points_by_model.loc[points_by_model["model"] != label, "epochs"])
        for epochs in sorted(others - set(points_by_model.loc[points_by_model["model"] == label, "epochs"])):
            sentence += (f" {label} has no {epochs}-epoch run yet: `fer train 003 {variant} --profile {profile} "
                         f"--epochs {epochs}` completes that pair.")
    return sentence


def sfew_variants(raf_main: dict[str, RunRecord]) -> list[str]:
    """The SFEW runs this machine can make: from scratch and from FER2013 always; the paper's inits when present."""
    variants = ["sfew-vgg16", "sfew-lip", "sfew-lip-ferinit"]
    if weights_path(VGG16_BN_IMAGENET).exists():
        variants.append("sfew-vgg16-imagenet")
    if raf_main:
        variants.append("sfew-lip-rafinit")
    return variants


def _input_size(record: RunRecord) -> str:
    """The input a run trained on, from its config: the resize side, else the crop side."""
    pre = record.config["train"]["preprocess"]
    side = pre.get("size") or pre.get("crop")
    return f"{side}x{side}" if side else "as stored"


@made_by
def sfew_section(sfew_main: dict[str, RunRecord]) -> Section:
    if not sfew_main:
        return [Note("No SFEW run exists yet.", "warning")]
    paper = claimed()
    return [pd.DataFrame([{"model": SFEW_NAMES[v], "input": _input_size(r), "epochs": r.config["train"]["epochs"],
                           "Val images": r.metrics["test"]["n"], "Val accuracy (%)": accuracy(r, "test"),
                           "macro-F1 (%)": round(100 * r.metrics["test"]["macro_f1"], 2),
                           "best epoch": r.metrics["best_epoch"], "initialised from": r.config.get("init_run", "")}
                          for v, r in sfew_main.items()]),
            f"Paper, Table 3: VGG16 (ImageNet) {paper['vgg16-sfew']} %, this model (RAF-DB init) {paper['lip-sfew']} %."]


@made_by
def confusions(fer_main: dict[str, RunRecord], sfew_main: dict[str, RunRecord]) -> Section:
    items = []
    for title, main, key, role in (("FER2013 PrivateTest, VGG16 + LIP, ten-crop", fer_main, "fer2013-lip", "test_tencrop"),
                                   ("SFEW Val, VGG16 + LIP, FER2013 init", sfew_main, "sfew-lip-ferinit", "test")):
        if key in main:
            report = main[key].metrics[role]
            items += [*sections.confusion(report, title + ":"), confusion_summary(report)]
    return items


def findings(fer_main: dict[str, RunRecord], sfew_main: dict[str, RunRecord]) -> str | None:
    """What the substitute runs measured, in sentences: LIP's gain, ten-crop's gain, the FER2013 initialisation."""
    paper = claimed()
    found = []
    if len(fer_main) == 2:
        v, lip = fer_main["fer2013-vgg16"], fer_main["fer2013-lip"]
        found.append(f"**LIP on FER2013** ({count(lip.config['train']['epochs'], 'epoch')}, {lip.config['profile']} profile): "
                     f"PrivateTest accuracy against max pooling on the same images, {_paired(lip, v, unit='points')} "
                     f"(paper, RAF-DB: {paper['lip-raf'] - paper['vgg16-raf']:+.2f}).")
        tencrop = dict(unit="points", roles=("test_tencrop", "test"))
        found.append(f"**Ten-crop testing** against the centre crop on the same images: {_paired(v, v, **tencrop)} "
                     f"for VGG16, {_paired(lip, lip, **tencrop)} for VGG16 + LIP "
                     f"(paper: {paper['tencrop-raf'] - paper['lip-raf']:+.2f}).")
    if {"sfew-vgg16", "sfew-lip"} <= set(sfew_main):
        m, s = sfew_main["sfew-vgg16"], sfew_main["sfew-lip"]
        if (_input_size(m), m.epochs) == (_input_size(s), s.epochs):
            found.append(f"**LIP on SFEW from scratch**, Val accuracy against max pooling on the same images: "
                         f"{_paired(s, m, unit='points')} ({accuracy(s, 'test')} % vs {accuracy(m, 'test')} %, "
                         f"both {_input_size(s)}, {s.epochs} epochs; the paper has no such pair: its VGG16 row starts "
                         f"from ImageNet weights).")
    if {"sfew-lip", "sfew-lip-ferinit"} <= set(sfew_main):
        s, f = sfew_main["sfew-lip"], sfew_main["sfew-lip-ferinit"]
        # Only a like-for-like pair measures the initialisation: records of an older profile (another input size
        # or budget) stay in the table until the current profile's runs replace them.
        if (_input_size(s), s.config["train"]["epochs"]) != (_input_size(f), f.config["train"]["epochs"]):
            found.append(f"**FER2013 initialisation on SFEW**: not measured yet; the runs from scratch "
                         f"({_input_size(s)}, {s.config['train']['epochs']} epochs) and from FER2013 "
                         f"({_input_size(f)}, {f.config['train']['epochs']} epochs) differ in input or budget.")
        else:
            found.append(f"**FER2013 initialisation on SFEW**, Val accuracy over the same model from scratch on the "
                         f"same images: {_paired(f, s, unit='points')} ({accuracy(f, 'test')} % vs "
                         f"{accuracy(s, 'test')} %, both {_input_size(f)}, {f.config['train']['epochs']} epochs; "
                         f"the paper's RAF-DB-initialised model: {paper['lip-sfew']} %).")
    return "What the substitute runs measured:\n\n" + "\n".join(f"- {x}" for x in found) if found else None


LIP_EDITIONS = {"depthwise-bn": "LIP, first edition (random logit init)", "authors": "LIP, authors' init"}


def _newest_by_budget(records: list[RunRecord]) -> dict[int, RunRecord]:
    """budget -> the newest of `records` trained at it."""
    return {r.epochs: r for r in sorted(records, key=lambda r: r.finished_at)}


def _newest_by_edition(experiment: str, profile: str, *, store: RunStore) -> dict[str, dict[int, RunRecord]]:
    """LIP edition ("depthwise-bn" for the records that name no logit) -> budget -> that edition's newest run."""
    editions: dict[str, list[RunRecord]] = {}
    for record in store.find(experiment, profile=profile):
        editions.setdefault(record.config.get("model_args", {}).get("logit", "depthwise-bn"), []).append(record)
    return {edition: _newest_by_budget(records) for edition, records in editions.items()}


def _accuracy_interval(record: RunRecord | None) -> str:
    if record is None:
        return "—"
    correct = record.correct("test")
    return wilson(int(correct.sum()), len(correct)).scaled(100).format()


def _paired(a: RunRecord | None, b: RunRecord | None, unit: str = "", roles: tuple[str, str] = ("test", "test")) -> str:
    """accuracy(a) - accuracy(b) on the test images both scored (`roles`: which of each run's scorings, e.g. its
    ten-crop one), in points with its paired bootstrap interval, and McNemar's exact p; a dash when either run is
    missing."""
    if a is None or b is None:
        return "—"
    x, y = a.correct(roles[0]).align(b.correct(roles[1]), join="inner")
    test = paired_test(x.to_numpy(), y.to_numpy())
    return f"{test.difference.scaled(100).format(signed=True, unit=unit)}, McNemar p = {test.p_value:.2g}"


@made_by
def lip_editions_section(profile: str = "cpu", *, store: RunStore = RunStore()) -> Section:
    """Our LIP before and after the fidelity fix against max pooling, budget by budget: PrivateTest accuracy
    (centre crop) with its Wilson interval, and each LIP edition against max pooling on the same images
    (McNemar's exact test, paired bootstrap interval of the difference)."""
    by_edition = _newest_by_edition(experiments.name("003", "fer2013-lip"), profile, store=store)
    if "authors" not in by_edition:
        return [Note("No run of LIP with its authors' initialisation has finished yet: `fer train 003 fer2013-lip "
                     f"--profile {profile} --epochs 1 2 4` trains it.")]
    vgg = _newest_by_budget(store.find(experiments.name("003", "fer2013-vgg16"), profile=profile))
    rows = []
    for epochs in sorted(set(vgg) | {e for runs in by_edition.values() for e in runs}):
        row = {"epochs": epochs, "max pooling (%) [95 %]": _accuracy_interval(vgg.get(epochs))}
        row.update({f"{label} (%) [95 %]": _accuracy_interval(by_edition.get(key, {}).get(epochs))
                    for key, label in LIP_EDITIONS.items()})
        row.update({f"{label} − max pooling (points) [95 %]": _paired(by_edition.get(key, {}).get(epochs),
                                                                                vgg.get(epochs))
                    for key, label in LIP_EDITIONS.items()})
        rows.append(row)
    return [pd.DataFrame(rows)]


@made_by
def sfew_editions_section(profile: str = "cpu", *, store: RunStore = RunStore()) -> Section:
    """SFEW's two LIP rows (from scratch, from FER2013) before and after the fidelity fix, at this profile's
    budget: Val accuracy with its Wilson interval per edition, the fix's effect (authors' init minus first
    edition) and, from scratch only, LIP against max pooling, each paired on the same Val images. The FER2013-
    initialised row has no max-pooling twin (no VGG16 starts from FER2013 here), so it gets no such pair."""
    vgg = _newest_by_budget(store.find(experiments.name("003", "sfew-vgg16"), profile=profile))
    rows = []
    for variant in ("sfew-lip", "sfew-lip-ferinit"):
        exp = experiments.experiment("003", variant, profile)
        epochs = exp.train.epochs
        runs = {key: by_budget.get(epochs)
                for key, by_budget in _newest_by_edition(exp.name, profile, store=store).items()}
        first, fixed = runs.get("depthwise-bn"), runs.get("authors")
        twin = vgg.get(epochs) if exp.init_from is None else None  # max pooling, initialised as this row is
        rows.append({"model": SFEW_NAMES[variant], "epochs": epochs,
                     "max pooling, same init (%) [95 %]": _accuracy_interval(twin),
                     f"{LIP_EDITIONS['depthwise-bn']} (%) [95 %]": _accuracy_interval(first),
                     f"{LIP_EDITIONS['authors']} (%) [95 %]": _accuracy_interval(fixed),
                     "the fix: authors' init − first edition (points) [95 %]": _paired(fixed, first),
                     "authors' init − max pooling (points) [95 %]": _paired(fixed, twin)})
    if all(row[f"{LIP_EDITIONS['authors']} (%) [95 %]"] == "—" for row in rows):
        return [Note("No SFEW run of LIP with its authors' initialisation has finished yet: `fer train 003 sfew-lip "
                     f"--profile {profile}`, then `fer train 003 sfew-lip-ferinit --profile {profile}`, train them.")]
    return [pd.DataFrame(rows)]
