"""attnviz: an English→French encoder-decoder with attention whose every number can be shown.

The small public API: load a bundle, trace a translation, read the Trace (none of it imports torch).
"""
import os

# NumPy's OpenBLAS: a decoding step multiplies one 256-d state by small matrices, where extra threads
# only spin (a four-model trace: 16 ms with 2 threads, 8.4 ms with 1). Read when NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .checkpoint import Bundle, BundleError, load_all, load_bundle
from .config import SCORER_NAMES
from .trace import MAX_SOURCE_TOKENS, Trace, trace_translation

__all__ = ["SCORER_NAMES", "Bundle", "BundleError", "load_all", "load_bundle", "MAX_SOURCE_TOKENS", "Trace",
           "trace_translation"]
