"""Training: the Trainer and its config (`engine`, with `mixing` and `distributed`), what a run measures
(`metrics`), one experiment trained into the store (`runner`), many at once (`jobs`), what is left to train
(`plan`), and the speed and cost measurements (`bench`, `cost`). Nothing here judges a claim."""
