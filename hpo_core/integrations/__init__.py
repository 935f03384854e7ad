"""Adapters that let other optimization frameworks use hpo_core as their engine."""
