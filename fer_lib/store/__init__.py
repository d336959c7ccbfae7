"""The run store: each finished run's record (config, history, metrics, predictions, provenance) under
`runs/<experiment>/<config hash>/`, the queries over it (`results`), the atomic writes behind it (`atomic`), the one
writer per run (`runlock`) and the tested conversions of older records (`migrations`)."""
