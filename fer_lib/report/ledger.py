"""The claims ledger as a reader sees it: verdict tables with their budgets, counts, sentences and curves."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import experiments
from ..judge import assessment, claims
from ..judge.claims import Claim
from ..data.base import FaceData
from ..judge.scoring import claim_twins
from . import Section, count, made_by, plots
from ..store.results import RunStore

PROFILES = assessment.VERDICT_PROFILES


@made_by
def verdict_table(claim_list: list[Claim], *, store: RunStore = RunStore(), profiles=PROFILES, data: FaceData | None = None
                  ) -> pd.DataFrame:
    """One row per claim and profile: claimed, measured, profile, epochs (ours / paper), the last doubling's
    gain, the projected ceiling and the verdict with what it rests on. Empty cells are blank, never NaN.
    With `data` (FER2013), a claim whose test set has twins in its training images also shows its measurement
    and verdict without them."""
    table = assessment.assess(claim_list, profiles=profiles, store=store,
                              twins=claim_twins(claim_list, data, profiles))
    epochs = [f"{int(e)} / {int(p)}" if pd.notna(e) and pd.notna(p) else (f"– / {int(p)}" if pd.notna(p) else "")
              for e, p in zip(table["epochs"], table["paper_epochs"])]
    # the verdict right after the claim, so it is in sight before any scrolling, on a phone too; what it rests
    # on (a sentence) last, so it never widens the numbers
    out = pd.DataFrame({
        "paper": table["paper"], "claim": table["claim"], "verdict": _verdict_words(table),
        "claimed": table["claimed"].map(lambda v: f"{v:.2f}"),
        "ours [95 % interval]": [_with_interval(m, lo, hi) for m, lo, hi in
                                 zip(table["measured"], table["low"], table["high"])],
        "profile": table["profile"], "epochs (ours / paper)": epochs,
        "last-doubling gain": table["gain"].map(lambda v: "" if v is None or pd.isna(v) else f"{v:+.2f}"),
        "projected ceiling": table["ceiling"].map(lambda v: "" if v is None or pd.isna(v) else f"{v:.1f}"),
        "interval": table["interval"].fillna(""),
        "source": table["source"],
    })
    if table["caveat"].astype(bool).any():  # a record behind the number not trained from a clean tree
        out["record caveat"] = table["caveat"]
    out["why"] = table["basis"]  # last: a sentence, so it never widens the numbers
    return _with_dedup(out, table, before="profile")


DEDUP = "without training twins"


def _with_dedup(out: pd.DataFrame, table: pd.DataFrame, before: str) -> pd.DataFrame:
    """`out` with the de-duplicated measurement and what it does to the verdict, placed before the column
    `before`; unchanged when no row has one."""
    if table["dedup"].isna().all():
        return out
    cells = []
    for row in table.itertuples():
        if row.dedup is None or pd.isna(row.dedup):
            cells.append("")
            continue
        change = ("verdict unchanged" if row.dedup_verdict == row.verdict
                  else f"verdict would be {row.dedup_verdict}")
        cells.append(f"{_with_interval(row.dedup, row.dedup_low, row.dedup_high)} "
                     f"({int(row.dedup_removed):,} twins left out): {change}")
    return out.assign(**{DEDUP: cells})[[*out.columns[:list(out.columns).index(before)], DEDUP,
                                          *out.columns[list(out.columns).index(before):]]]


def _verdict_words(table: pd.DataFrame) -> list[str]:
    """The verdict as the reader sees it: with the reading it holds under when that is not the paper's own
    (004's 85.71 % reproduces as element-wise accuracy, not as 7-class accuracy)."""
    return [f"{v} ({r})" if r else v for v, r in zip(table["verdict"], table["reading"])]


def _with_interval(measured, low, high) -> str:
    if measured is None or pd.isna(measured):
        return ""
    if low is None or pd.isna(low):
        return f"{measured:.2f}"
    return f"{measured:.2f} [{low:.2f}, {high:.2f}]"


@made_by
def headline_table(paper: str | None = None, *, store: RunStore = RunStore(), data: FaceData | None = None) -> pd.DataFrame:
    """One row per headline claim (of `paper`, or of every paper): claimed, our best-informed measurement, the
    budget it rests on and the verdict word. The ledger at a glance, and each chapter's summary box. With
    `data`, see `verdict_table`."""
    claim_list = [c for c in claims.CLAIMS if not c.cited and not c.detail and (paper is None or c.paper == paper)]
    best = assessment.decisive_rows(assessment.assess(claim_list, profiles=PROFILES, store=store,
                                                      twins=claim_twins(claim_list, data, PROFILES)))
    budget = [f"{int(e)} of {int(p)} epochs ({profile})" if pd.notna(e) and pd.notna(p) else "—"
              for e, p, profile in zip(best["epochs"], best["paper_epochs"], best["profile"])]
    # the verdict right after the claim, so a narrow screen shows it before it has to scroll
    out = pd.DataFrame({"paper": best["paper"], "claim": best["claim"], "verdict": _verdict_words(best),
                        "claimed (%)": best["claimed"].map(lambda v: f"{v:.2f}"),
                        "ours (%) [95 % interval]": [_with_interval(m, lo, hi) or "—" for m, lo, hi in
                                                     zip(best["measured"], best["low"], best["high"])],
                        "budget": budget})
    out = _with_dedup(out, best.reset_index(drop=True), before="budget")
    return out if paper is None else out.drop(columns=["paper"])


@made_by
def claimed_vs_measured_figures(*, store: RunStore = RunStore()) -> Section:
    """One figure per paper: each headline claim's value beside our best-informed measurement."""
    claim_list = [c for c in claims.CLAIMS if not c.cited and not c.detail]
    best = assessment.decisive_rows(assessment.assess(claim_list, profiles=PROFILES, store=store))
    figures = []
    for paper, rows in best.groupby("paper", sort=True):
        fig = plots.claimed_vs_measured(rows)
        fig.suptitle(f"Paper {paper}: each headline claim beside our best-informed measurement, with its 95 % interval")
        figures.append(fig)
    return figures


@made_by
def cited_table(paper: str | None = None) -> pd.DataFrame:
    """Numbers a paper quotes from other work (and the literature marks), with their protocol where known."""
    rows = [dict(paper=c.paper, work=c.description, source=c.source, dataset=c.dataset, accuracy=f"{c.value:.2f}",
                 protocol=c.protocol.label() if c.protocol else "as quoted by the paper")
            for c in claims.CLAIMS if c.cited and (paper is None or c.paper == paper)]
    return pd.DataFrame(rows)


@made_by
def counts(*, store: RunStore = RunStore()) -> pd.DataFrame:
    """Per paper: claims reproduced / not reproduced / open / not run (the paper profile decides where it ran)."""
    table = assessment.assess([c for c in claims.CLAIMS if not c.cited and not c.detail], profiles=PROFILES,
                          store=store)
    return assessment.verdict_counts(table)


def verdicts(claim_list: list[Claim], profile: str, *, store: RunStore = RunStore()) -> dict[str, assessment.Verdict]:
    """claim description -> its budget-aware Verdict under `profile`."""
    return {c.description: assessment.judge(c, profile, store=store) for c in claim_list}


@made_by
def budget_figure(claim_list: list[Claim], profile: str, *, store: RunStore = RunStore(), title: str = ""):
    """The budget curve of each claim (see plots.budget_curve), each point with its 95 % interval; None when
    no claim has a run."""
    found = {k: v for k, v in verdicts(claim_list, profile, store=store).items() if v.curve}
    by_label = {c.description: c for c in claim_list}
    intervals = {label: {b: (ci.low, ci.high) for b, (_, ci) in
                         assessment.budget_measurements(by_label[label], profile, store=store).items() if ci is not None}
                 for label in found}
    return plots.budget_curve_figure(found, title, intervals) if found else None


def train_command(experiment: str, profile: str, epochs: int) -> str:
    """The CLI line that trains `experiment` (as stored under runs/) at `epochs`, in backticks."""
    paper, variant = experiment.split("-", 1)
    return f"`fer train {paper} {variant} --profile {profile} --epochs {epochs}`"


def verdict_sentences(claim_list: list[Claim], profile: str, *, store: RunStore = RunStore()) -> str:
    """One sentence per claim, computed from the records: its budget, curve, projection and verdict."""
    lines = []
    for c in claim_list:
        v = assessment.judge(c, profile, store=store)
        if not v.curve:
            lines.append(f"- {c.description} ({c.value:.2f}, {c.source}): not run — {v.reason}.")
            continue
        points = ", ".join(f"{v.curve[e]:.2f} after {e}" for e in sorted(v.curve))
        projection = ""
        if v.gain_on_proxy:
            start, end = v.gain_span
            projection = (f" On {c.proxy} (the cheaper protocol) the doubling from {start} to {end} epochs added "
                          f"{v.gain:+.2f} points; at most that much per further doubling gives {v.ceiling:.1f} at the "
                          f"paper's {v.paper_epochs} epochs.")
        elif v.gain is not None:
            projection = (f" The last doubling added {v.gain:+.2f} points; at most that much per further doubling "
                          f"gives {v.ceiling:.1f} at the paper's {v.paper_epochs} epochs.")
        command = ""
        if v.next_proxy_epochs:
            runs = ", ".join(train_command(c.proxy, profile, e) for e in v.next_proxy_epochs)
            command = (f" The next {'runs' if len(v.next_proxy_epochs) > 1 else 'run'}: {runs}, before "
                       f"{train_command(c.experiment, profile, v.next_epochs)}.")
        elif v.next_epochs and c.experiment:
            command = f" The next run: {train_command(c.experiment, profile, v.next_epochs)}."
        lines.append(f"- {c.description} (claimed {c.value:.2f}, {c.source}): ours {points} epochs "
                     f"({profile} profile).{projection} **{v.verdict}**: {v.reason}.{command}")
    return "\n".join(lines)


def rule_text() -> str:
    """The verdict rule in one paragraph, with the tolerance rendered from the library."""
    from ..judge.verdicts import TOLERANCE_PP
    return (f"A claim is *reproduced* when a run trained for at most the paper's epochs reaches it within "
            f"{TOLERANCE_PP} percentage points (or beats it). It is *not reproduced* when the paper's own budget was "
            f"trained and even the upper end of the measurement's 95 % interval falls short, or when even a generous "
            f"projection from that upper end falls short: from the largest budget we trained, each further doubling "
            f"of the epochs is assumed to add at most what the last doubling added, plus the most any measurement "
            f"beat such a projection in the backtest below (the *projected ceiling*). "
            f"Anything else is *open*, a shortfall that the measurement's own noise could close included, and the "
            f"verdict names what would decide it (the next budget, more seeds or folds) and its estimated CPU time. "
            f"Intervals: Wilson's for a proportion on one test set (an accuracy; a precision or recall on the images "
            f"that define it), Student's t over the folds of a k-fold mean or over seeds (never narrower than one "
            f"run's Wilson interval, since seeds share one test set). A claim measured on five folds may have a cheaper *proxy*, one run of the same "
            f"model on the standard split: its measured gain over the next doubling replaces the last doubling's in "
            f"the projection, and it never decides a claim by itself. Every verdict says which budget it rests on. "
            f"Where a test set was drawn at random from all of FER2013 (chapters 000 and 002), some of its images "
            f"have a pixel-identical twin among the training images; the tables then also show the measurement "
            f"without them, judged by the same rule, and whether the verdict changes.")


def protocol_lines() -> str:
    """Where each published mark's protocol was read from, one bullet per mark."""
    return "\n".join(f"- {c.description} ({c.value:.2f}): protocol read from {c.protocol.read_from}."
                     for c in claims.claims_for("lit", include_cited=True))


@made_by
def backtest_section(*, store: RunStore = RunStore()) -> Section:
    """The projection rule checked against the store: every doubling projected to each later budget trained."""
    from ..judge import backtest
    table = backtest.cases(backtest.curves(store=store))
    if table.empty:
        return ["No budget curve in the store has a later budget to check a projection against yet."]
    margin = backtest.margin_per_doubling(table)
    beaten = int((table["excess"] > 0).sum())
    worst = table.loc[table["excess"].idxmax()]
    lead = (f"{len(table)} projections from {table['experiment'].nunique()} budget curves could be checked against a "
            f"budget trained later; the measurement beat its projection in {beaten} of them, at most by "
            f"{worst['excess']:.2f} points ({worst['experiment']}, {worst['doubling']} epochs projected to "
            f"{int(worst['to'])}). Every projected ceiling in the verdicts therefore carries a margin of "
            f"{margin:.2f} points per doubling projected, on top of the upper end of the measurement's interval, "
            f"so that none of these cases would have been closed wrongly. The backtest grows with every curve the "
            f"campaigns add, and with it the margin may grow.")
    cases = table.rename(columns={"doubling": "doubling (epochs)", "to": "projected to (epochs)",
                                  "doublings": "doublings ahead", "gain": "gain", "projected": "projected (%)",
                                  "measured": "measured (%)", "excess": "measured − projected"})
    return [lead, backtest.summary(table), cases]


@made_by
def comparative_section(*, store: RunStore = RunStore(), papers=None, profile: str = "cpu") -> Section:
    """The papers' comparative claims, each judged on paired evidence (see `fer_lib.judge.comparative`)."""
    from ..judge import comparative
    table = comparative.comparative_table(profile, store=store, papers=papers)
    if table.empty:
        return []
    return [table if papers is None else table.drop(columns=["paper"])]


def _fold_mean(experiment: str, *, store: RunStore = RunStore()) -> float | None:

    for profile in PROFILES:
        runs = store.runs_for(experiment, profile)
        if runs:
            return 100 * sum(r.metrics["test"]["accuracy"] for r in runs) / len(runs)
    return None


@made_by
def findings_section(*, store: RunStore = RunStore()) -> Section:
    """The intro's opening: the tally of verdicts, then what the book found, each sentence computed from the
    records, then how far to trust it. A finding whose records are missing is left out, never guessed."""
    from ..judge import backtest, comparative
    from ..judge.assessment import judge
    from ..models import published
    from ..store.results import RunRecord
    headline = [c for c in claims.CLAIMS if not c.cited and not c.detail]
    best = assessment.decisive_rows(assessment.assess(headline, profiles=PROFILES, store=store))
    words = best["verdict"].value_counts()
    tally = ", ".join(f"**{n} {word}**" for word, n in words.items())
    on_gpu = int((best["profile"] == "paper").sum())
    lines = [f"Of the five papers' {len(best)} headline claims: {tally}."]
    found = []
    resnet = next(c for c in claims.CLAIMS if c.key == "resnet50-all-private_test-accuracy")
    v = judge(resnet, "cpu", store=store)
    if v.verdict == "reproduced":
        found.append(f"Chapter 004's {resnet.value:.2f} % test accuracy is element-wise (binary) accuracy over the "
                     f"seven one-hot outputs, on which a model unsure of every face scores 6 of 7: the paper's own "
                     f"frozen configuration gives {v.measured:.2f} % at the paper's loss.")
    random_ts = _fold_mean(experiments.name("000", "presnetvgg-jaffe-random-testsel"), store=store)
    subject_vs = _fold_mean(experiments.name("000", "presnetvgg-jaffe-subject-valsel"), store=store)
    if random_ts is not None and subject_vs is not None:
        found.append(f"On JAFFE, P-ResNet-VGG scores {random_ts:.1f} % under random folds with the epoch chosen on "
                     f"the test fold, and {subject_vs:.1f} % with subject-independent folds and the epoch chosen on "
                     "validation: most of the paper's number is seeing the same ten people in training.")
    pushed = published.manifest(published.DEFAULT)
    record = RunRecord(store.root / pushed.run)
    if record.finished:
        hours = record.provenance["wall_seconds"] / 3600
        found.append(f"An honest FER2013 model (epoch chosen on PublicTest, reported on PrivateTest) reaches "
                     f"{100 * pushed.accuracy.get('test_tencrop', pushed.accuracy['test']):.1f} % in "
                     f"{hours:.1f} CPU hours on two cores; `fer predict` serves it.")
    comp = comparative.comparative_table("cpu", store=store)
    own = comp[~comp["verdict"].str.startswith("evidence") & (comp["verdict"] != "not run")]
    if len(own):
        counted = own["verdict"].value_counts()
        found.append(f"Of the papers' comparisons that could be run here ({len(own)}), judged on paired evidence: "
                     + ", ".join(f"{n} {word}" for word, n in counted.items()) + ".")
    cases = backtest.cases(backtest.curves(store=store))
    trust = (f"How far to trust this: every measurement carries a 95 % interval, and a verdict is never decided "
             f"where that interval could flip it. {count(on_gpu, 'headline claim')} "
             f"ran at the paper's own budget on a GPU; the others rest on the `cpu` profile's shorter budgets, "
             f"each named beside its verdict, with a projection checked against {len(cases)} later measurements "
             f"(the ledger's backtest).")
    return ["\n".join([lines[0], ""] + [f"- {f}" for f in found] + ["", trust])]


def takeaways(paper: str, *, store: RunStore = RunStore()) -> str:
    """A chapter's closing summary in a few sentences computed from the ledger (the claim-by-claim table is the
    "In short" box at the top): the tally of its headline verdicts, which claims each verdict covers, the
    largest miss with its numbers, and the budget the measurements rest on."""
    claim_list = [c for c in claims.CLAIMS if c.paper == paper and not c.cited and not c.detail]
    best = assessment.decisive_rows(assessment.assess(claim_list, profiles=PROFILES, store=store))
    if best.empty:
        return "**Takeaways.** No headline claim of this paper has a verdict yet."
    order = {"reproduced": 0, "not reproduced": 1, "open": 2}
    best = best.assign(_order=best["verdict"].map(order).fillna(3)).sort_values("_order", kind="stable")
    words = best["verdict"].value_counts(sort=False)
    sentences = [f"**Takeaways.** {count(len(best), 'headline claim')}: "
                 + ", ".join(f"{n} {word}" for word, n in words.items()) + "."]
    for verdict, rows in best.groupby("_order", sort=True):
        word = rows["verdict"].iloc[0]
        sentences.append(f"*{word[0].upper() + word[1:]}*: " + "; ".join(rows["claim"]) + ".")
    missed = best[(best["verdict"] == "not reproduced") & best["measured"].notna()]
    if not missed.empty:
        row = missed.loc[(missed["claimed"] - missed["measured"]).abs().idxmax()]
        sentences.append(f"The largest miss: {row['claim']}, claimed {row['claimed']:.2f}, ours "
                         f"{_with_interval(row['measured'], row['low'], row['high'])}.")
    short = best[best["epochs"].notna() & best["paper_epochs"].notna() & (best["epochs"] < best["paper_epochs"])]
    if not short.empty:
        least = short.loc[(short["epochs"] / short["paper_epochs"]).idxmin()]
        sentences.append(f"{count(len(short), 'measurement')} of {len(best)} rest on fewer epochs than the paper's "
                         f"(the fewest: {int(least['epochs'])} of {int(least['paper_epochs'])}); the verdicts above "
                         "say whether a longer run could change them.")
    elif best["epochs"].notna().any():
        sentences.append("Every measurement ran the paper's full budget.")
    return "\n\n".join(sentences)
