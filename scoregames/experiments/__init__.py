"""Experiments at scale: a grid of games x training conditions x seeds, each cell trained and
diagnosed in its own processes, on this machine or on a Ray cluster (``docs/experiments.md``)."""

from scoregames.experiments.config import CellSpec, ConfigError, ExperimentConfig, load_config, parse_config
from scoregames.experiments.store import ResultStore

__all__ = ["CellSpec", "ConfigError", "ExperimentConfig", "ResultStore", "load_config", "parse_config"]
