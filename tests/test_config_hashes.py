"""A run's identity is the hash of its config: moving or renaming code must never change it, or every committed
record would stop being found. tests/data/config_hashes.json holds the hash of every experiment the library
defines (every variant of every paper under every profile, at another budget, with a second seed, and each fold
of a k-fold one), written before the package was reshaped; regenerate it only for a deliberate config change:
`python tests/test_config_hashes.py tests/data/config_hashes.json`."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from fer_lib import experiments
from fer_lib.store.results import config_hash

SNAPSHOT = Path(__file__).parent / "data" / "config_hashes.json"


def every_config_hash() -> dict[str, str]:
    out = {}
    for paper, (build, variants) in experiments.EXPERIMENTS.items():
        for variant in variants:
            for profile in experiments.PROFILES:
                exp = build(variant, profile)
                kinds = {"": exp, "e8": experiments.with_budget(exp, 8), "s1": experiments.with_seed(exp, 1)}
                if exp.data.protocol == "kfold":
                    kinds.update({f"f{k}": replace(exp, data=replace(exp.data, fold=k)) for k in range(exp.data.k)})
                for kind, e in kinds.items():
                    out[f"{paper}/{variant}/{profile}/{kind}".rstrip("/")] = config_hash(e.to_dict())
    return out


def test_every_experiments_config_hash_is_unchanged():
    expected = json.loads(SNAPSHOT.read_text())
    found = every_config_hash()
    changed = sorted(k for k in expected.keys() & found.keys() if expected[k] != found[k])
    assert changed == [], f"{len(changed)} configs hash differently now, e.g. {changed[:5]}"
    assert sorted(expected.keys() - found.keys()) == []  # an experiment that disappeared
    assert len(found) >= 600


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(every_config_hash(), indent=1, sort_keys=True))
