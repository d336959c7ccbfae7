"""Judging the papers' claims from the run store, in the order a verdict is reached: the claims ledger
(`claims`), scores recomputed from stored predictions (`scoring`), how sure a number is (`uncertainty`), the
verdict rule (`verdicts`), the backtest of its projection (`backtest`), claims measured against the store
(`assessment`), the papers' comparative claims (`comparative`) and the comparison chapter's ranking policy
(`comparison`)."""
