"""The stable public path of ``hpo_core.integrations.sklearn``: ``SearchCV``."""

from hpo_core.integrations.sklearn import SearchCV

__all__ = ["SearchCV"]
