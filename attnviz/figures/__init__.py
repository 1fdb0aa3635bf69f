"""Pure figure builders: Trace (or model cards) ─► plain Plotly figure spec (a dict) / altair Chart.

Nothing here displays anything or runs a model; every number drawn is read from a Trace or a card.
Specs are plain dicts (no plotly validation: ~0.3 ms instead of ~13 ms a heatmap) with fixed margins
computed from the labels (no plotly automargin: it re-lays out the chart in the browser). Titles and
axis names come from the message catalogues: each builder takes `m` (English when left out).
Letters: T output steps, S source words, H hidden size, K top next words.

_base.py    colours, fonts, labels, titles, spec -> plotly / standalone HTML
heatmap.py  the attention heatmap and one decoder step (states, scores, weights, context, next word)
bars.py     one step's scores, weights and next words as HTML bar lists (drawn at once, not by Plotly)
cards.py    measured quality, BLEU by length, training curves (from the model cards)
lesson.py   the guided lesson's figures
lab.py      what-if marks, gold alignments, the beam tree, the hide test
learn.py    attention while it was learned (training snapshots)
heads.py    a Transformer's every head: all layers × heads at once, encoder and decoder self-attention
"""

from ._base import *  # noqa: F401,F403
from .heatmap import *  # noqa: F401,F403
from .bars import *  # noqa: F401,F403
from .cards import *  # noqa: F401,F403
from .lesson import *  # noqa: F401,F403
from .lab import *  # noqa: F401,F403
from .learn import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
