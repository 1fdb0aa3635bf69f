"""attnviz: an English→French encoder-decoder with attention whose every number can be shown.

The small public API: load a bundle, trace a translation, read the Trace.
"""
from .attention import SCORERS
from .checkpoint import Bundle, BundleError, load_all, load_bundle
from .trace import MAX_SOURCE_TOKENS, Trace, trace_translation

__all__ = ["SCORERS", "Bundle", "BundleError", "load_all", "load_bundle", "MAX_SOURCE_TOKENS", "Trace",
           "trace_translation"]
