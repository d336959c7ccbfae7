"""The budget-aware verdict rule: from a claim and the accuracies measured at several training budgets,
say whether the claim is reproduced, not reproduced, or still open (and what would decide it).

A run trained for a fraction of a paper's epochs that falls short of a claim has not refuted it. The rule
assumes diminishing returns per doubling of the budget: no later doubling adds more than the last one did.
From the largest budget trained `b`, its value `a(b)` and the gain of the last doubling `g = a(b) - a(b/2)`,
the most the paper's budget `B` could reach is `ceiling = a(b) + max(g, 0) * log2(B / b)`.

A claim measured on an expensive protocol (five folds) may have a cheaper *proxy*: the same number on one
run of another protocol (FER2013's standard split). The proxy never decides a claim; its doubling past `b`
(b -> 2b, measured) replaces `g` in the projection, and while it lacks that doubling it is the next run to
train, because it costs a fraction of the claim's own next budget.

Comparative claims ("model A beats model B") are judged on paired evidence in `comparative`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

TOLERANCE_PP = 1.5  # percentage points below a claim that still count as reproduced
LOSS_TOLERANCE = 0.1  # cross-entropy difference within which two losses count as the same

REPRODUCED, NOT_REPRODUCED, OPEN, NOT_RUN = "reproduced", "not reproduced", "open", "not run"


@dataclass(frozen=True)
class Verdict:
    """A verdict and the budget it rests on. `curve` maps epochs trained -> measured value (percent)."""

    verdict: str
    claimed: float
    curve: dict[int, float]
    paper_epochs: int | None
    gain: float | None = None          # a(b) - a(b/2), when both budgets were trained
    ceiling: float | None = None       # projected value at the paper's budget
    next_epochs: int | None = None     # the budget that would decide an open verdict
    next_hours: float | None = None    # its estimated CPU time, from the recorded img/s
    reason: str = ""
    gain_span: tuple[int, int] | None = None  # the doubling `gain` was measured over (epochs from, to)
    gain_on_proxy: bool = False        # True: `gain` comes from the proxy protocol's runs
    next_proxy_epochs: tuple[int, ...] = ()  # proxy budgets to train before `next_epochs` (cheaper, may decide)
    next_proxy_hours: float | None = None
    ceiling_high: float | None = None  # the ceiling projected from the upper end of the last point's interval

    @property
    def epochs(self) -> int | None:
        """The largest budget trained."""
        return max(self.curve) if self.curve else None

    @property
    def measured(self) -> float | None:
        """The value at the largest budget trained."""
        return self.curve[max(self.curve)] if self.curve else None

    def text(self) -> str:
        """The verdict in one line, with the budget it rests on."""
        return f"{self.verdict}: {self.reason}" if self.reason else self.verdict


def project(curve: dict[int, float], paper_epochs: int) -> tuple[float | None, float | None]:
    """(last-doubling gain, projected ceiling at `paper_epochs`) from `curve`; (None, None) without a doubling."""
    b = max(curve)
    if b < 2 or b % 2 or b // 2 not in curve:
        return None, None
    gain = curve[b] - curve[b // 2]
    doublings = math.log2(paper_epochs / b) if paper_epochs > b else 0.0
    return gain, curve[b] + max(gain, 0.0) * doublings


def budget_verdict(claimed: float, curve: dict[int, float], paper_epochs: int | None,
                   tolerance: float = TOLERANCE_PP, seconds_per_epoch: float | None = None,
                   not_run_reason: str = "", proxy_curve: dict[int, float] | None = None,
                   proxy_seconds_per_epoch: float | None = None, proxy_name: str = "the proxy",
                   upper: dict[int, float] | None = None, noise_step: str = "",
                   margin_per_doubling: float = 0.0, kept_epochs: dict[int, int] | None = None,
                   assumed_budget: bool = False) -> Verdict:
    """The verdict on `claimed` (percent) from `curve` (epochs trained -> measured percent).

    Parameters
    ----------
    claimed : the paper's number.
    curve : one point per budget trained, from the runs of the claim's experiment.
    paper_epochs : the paper's own budget `B`; None when the paper names none (then only "reproduced" or
        "open" can be said of a shortfall).
    tolerance : points below the claim that still count as reproduced.
    seconds_per_epoch : CPU seconds one epoch costs (all folds), from the recorded img/s: prices the next budget.
    not_run_reason : why there is no curve, when there is none.
    proxy_curve : the same number on a cheaper protocol, by epochs ({} when it has no run yet); None when the
        claim has no proxy. Used only for the doubling past the largest budget of `curve` (see above).
    proxy_seconds_per_epoch : CPU seconds one proxy epoch costs: prices the proxy runs still to train.
    proxy_name : what the reason calls the proxy (its experiment name).
    upper : the upper end of each point's 95 % interval (see `uncertainty`), when known. A shortfall is then
        decided only where even the upper end stays below the bar: at the paper's budget the measurement's,
        otherwise the ceiling projected from it. A point short of the bar whose interval reaches it is open.
    noise_step : what would narrow the interval (more seeds, more folds), with its cost, for an open verdict.
    margin_per_doubling : points added to the upper ceiling per doubling projected: the most a measurement has
        beaten its projection in the store's backtest (see `backtest`), so that no backtested case would have
        been closed wrongly.
    assumed_budget : `paper_epochs` is ours, not the paper's (it names none): every reason says so.
    kept_epochs : the epoch each budget's run kept (its selection rule's choice). Where the last doubling kept the
        same epoch at both budgets, it measured the selection rule rather than the budget: no projection.

    Returns
    -------
    Verdict: reproduced (a budget at or below the paper's reaches claim - tolerance); not reproduced (the
    paper's budget was trained and fell short, or the projected ceiling falls short); open (anything else,
    with the next budget to train); not run (no curve).
    """
    if not curve:
        return Verdict(NOT_RUN, claimed, {}, paper_epochs, reason=not_run_reason)
    curve = dict(sorted(curve.items()))
    bar = claimed - tolerance
    own = "the assumed budget (the paper names none)" if assumed_budget else "the paper's own budget"
    of = f" of an assumed {paper_epochs}" if assumed_budget else f" of {paper_epochs}"
    within = {e: v for e, v in curve.items() if paper_epochs is None or e <= paper_epochs}
    reaching = [e for e, v in within.items() if v >= bar]
    if reaching:
        e = min(reaching)
        return Verdict(REPRODUCED, claimed, curve, paper_epochs,
                       reason=f"{curve[e]:.2f} after {e} epochs" + (of if paper_epochs else ""))
    b = max(curve)
    high = (upper or {}).get
    if paper_epochs is not None and b >= paper_epochs:
        at = max(within) if within else b
        if high(at) is not None and high(at) >= bar:
            step = noise_step or "more seeds or folds at this budget"
            return Verdict(OPEN, claimed, curve, paper_epochs,
                           reason=f"{curve[at]:.2f} at {own} ({at} epochs) falls short, but its 95 % "
                                  f"interval reaches {high(at):.2f}; next: {step}")
        return Verdict(NOT_REPRODUCED, claimed, curve, paper_epochs,
                       reason=f"{curve[at]:.2f} at {own} ({at} epochs)"
                              + (f", 95 % interval up to {high(at):.2f}" if high(at) is not None else ""))
    next_epochs = 2 * b if paper_epochs is None else min(2 * b, paper_epochs)
    gain, ceiling = project(curve, paper_epochs) if paper_epochs else (None, None)
    stuck = (gain is not None and kept_epochs is not None and kept_epochs.get(b) is not None
             and kept_epochs.get(b) == kept_epochs.get(b // 2))
    if stuck:
        gain, ceiling = None, None
    span = (b // 2, b) if gain is not None else None
    on_proxy = bool(paper_epochs and proxy_curve and b in proxy_curve and next_epochs in proxy_curve)
    if on_proxy:
        # The proxy trained one doubling further than the claim's own curve: its gain per doubling over that
        # step is a measurement where the claim's own last doubling is only an upper bound.
        gain = (proxy_curve[next_epochs] - proxy_curve[b]) / math.log2(next_epochs / b)
        ceiling, span = curve[b] + max(gain, 0.0) * math.log2(paper_epochs / b), (b, next_epochs)
    ceiling_high = None
    if ceiling is not None and (high(b) is not None or margin_per_doubling):
        doublings = math.log2(paper_epochs / b) if paper_epochs > b else 0.0
        noise = high(b) - curve[b] if high(b) is not None else 0.0
        ceiling_high = ceiling + noise + margin_per_doubling * doublings
    kept = dict(gain=gain, ceiling=ceiling, gain_span=span, gain_on_proxy=on_proxy, ceiling_high=ceiling_high)
    decisive = ceiling_high if ceiling_high is not None else ceiling
    if decisive is not None and decisive < bar:
        source = f", from {proxy_name}'s {b} -> {next_epochs} epochs" if on_proxy else ""
        bound = (f" (up to {ceiling_high:.1f} from the interval's upper end and the backtest margin)"
                 if ceiling_high is not None else "")
        return Verdict(NOT_REPRODUCED, claimed, curve, paper_epochs, **kept,
                       reason=f"projected ceiling {ceiling:.1f}{bound} at {paper_epochs} epochs{source}")
    hours = None if seconds_per_epoch is None else seconds_per_epoch * next_epochs / 3600
    if ceiling is not None and ceiling < bar:
        why = (f"projected ceiling {ceiling:.1f} at {paper_epochs} epochs falls short, but from its interval's "
               f"upper end, with the backtest margin, it reaches {ceiling_high:.1f}")
    elif ceiling is not None:
        why = f"projected ceiling {ceiling:.1f} at {paper_epochs} epochs reaches the claim"
    elif stuck:
        why = (f"{curve[b]:.2f} after {b} epochs{of}; the run kept epoch {kept_epochs[b]} at both "
               f"{b // 2} and {b} epochs, so the last doubling measured the selection rule, not the budget: "
               "no projection")
    else:
        why = f"{curve[b]:.2f} after {b} epochs" + (of if paper_epochs else "") + \
              ", no doubling to project from"
    proxy_next: tuple[int, ...] = ()
    if proxy_curve is not None and paper_epochs and not on_proxy:
        proxy_next = tuple(e for e in (b, next_epochs) if e not in proxy_curve)
    proxy_hours = (None if not proxy_next or proxy_seconds_per_epoch is None
                   else proxy_seconds_per_epoch * sum(proxy_next) / 3600)
    if stuck:
        step = (f"rerun {b // 2} and {b} epochs keeping the epoch the paper's own selection rule keeps (see the "
                f"chapter's fidelity table), then project")
    elif proxy_next:
        budgets = " and ".join(str(e) for e in proxy_next)
        cost = f" (about {proxy_hours:.1f} CPU hours)" if proxy_hours is not None else ""
        step = f"train {proxy_name} for {budgets} epochs{cost}, whose gain can decide it"
    else:
        cost = f" (about {hours:.1f} CPU hours of training steps)" if hours is not None else ""
        step = f"train {next_epochs} epochs{cost}"
    return Verdict(OPEN, claimed, curve, paper_epochs, next_epochs=None if stuck else next_epochs,
                   next_hours=None if stuck else hours, **kept,
                   next_proxy_epochs=proxy_next, next_proxy_hours=proxy_hours, reason=f"{why}; next: {step}")


def pair_matches(claimed: tuple[float, float], measured: tuple[float, float], tolerance: float = TOLERANCE_PP,
                 loss_tolerance: float = LOSS_TOLERANCE) -> bool:
    """Whether a measured (accuracy %, loss) pair is the claimed one: both within their tolerance either way.

    An accuracy alone cannot test an explanation of a reported number when every model scores near it (every
    softmax model scores at least 5/7 binary accuracy); the loss beside it tells an unsure model from a good one.
    """
    return abs(measured[0] - claimed[0]) <= tolerance and abs(measured[1] - claimed[1]) <= loss_tolerance
