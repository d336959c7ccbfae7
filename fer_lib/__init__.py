"""fer_lib: datasets, models, trainer, metrics and plots behind the fer-book reproducibility book."""

__version__ = "0.1.0"
