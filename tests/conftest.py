"""Keras reads its backend when first imported: the Keras tests run on PyTorch's CPU build."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")
