"""Figures of the decoding lab (attnviz/views/lab.py): what-if marks, gold alignments, beam tree, hide test."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..i18n import Messages
from ..trace import Trace
from ._base import BIG, FONT, HIGHLIGHT, INK, _en, _safe, _title, text_px

# ---------------------------------------------------------------- the decoding lab (attnviz/views/lab.py)
# What-if edits, the beam as a tree, gold alignments over attention, attention against the effect of hiding.

FORCED_MARK = "✎ "  # prefix on a French word the reader chose (a what-if edit), not the model
GOLD_SURE, GOLD_POSSIBLE = "#e6550d", "#e6550d"  # outlines of the human aligner's sure / possible links
TREE_KEPT, TREE_DONE, TREE_FORCED, TREE_PRUNED = "#3182bd", "#31a354", "#756bb1", "#bbbbbb"
TREE_SELECTED = "#ff7f0e"
TREE_PRUNED_SHOWN = 2  # per step, the nearest misses drawn faded; the rest are counted ("+N")


def mark_forced_rows(spec: dict, trace: Trace) -> dict:
    """A heatmap spec whose French labels say which words the reader chose (`✎ la`): what-if edits.

    A fully forced translation (mode "forced") is said above the heatmap instead. A new spec.
    """
    forced = tuple(getattr(trace, "forced", ()) or ())
    if trace.mode == "forced" or not any(forced):
        return spec
    yaxis = dict(spec["layout"]["yaxis"])
    yaxis["ticktext"] = [(FORCED_MARK + w) if w and t < len(forced) and forced[t] else w
                         for t, w in enumerate(yaxis["ticktext"])]
    margin = dict(spec["layout"]["margin"])
    margin["l"] = int(margin.get("l", 0) + text_px(FORCED_MARK, FONT["size"]))
    return dict(spec, layout=dict(spec["layout"], yaxis=yaxis, margin=margin))


def gold_overlay(spec: dict, pair, weights: np.ndarray, m: Messages | None = None) -> dict:
    """A heatmap spec (rows French, columns English) with the human aligner's links outlined: sure
    links solid, possible-only links dashed, and a dot on each French word's most-attended English word.

    Args:
        spec: attention_heatmap of the forced gold French (rows beyond the gold words, <eos>, get no link).
        pair: an attnviz.alignment.AlignedPair whose tokens are the heatmap's.
        weights: (T, S) the attention drawn.
    """
    m = _en(m)
    layout = dict(spec["layout"])
    shapes = list(layout.get("shapes") or [])
    for (i, j), dash in [(link, "solid") for link in sorted(pair.sure)] + \
            [(link, "dot") for link in sorted(pair.possible - pair.sure)]:
        shapes.append(dict(type="rect", x0=i - 0.46, x1=i + 0.46, y0=j - 0.46, y1=j + 0.46,
                           line=dict(color=GOLD_SURE if dash == "solid" else GOLD_POSSIBLE,
                                     width=3.5 if dash == "solid" else 2.5, dash=dash)))
    layout["shapes"] = shapes
    n = len(pair.tgt_tokens)
    best = np.asarray(weights)[:n].argmax(axis=1)  # (n,) attention's pick for each gold French word
    dots = dict(type="scatter", mode="markers", x=(best + 0.33).tolist(), y=[j - 0.27 for j in range(n)],
                name=m("lab.gold_argmax"),  # in the cell's corner: the weight written in it stays readable
                marker=dict(symbol="circle", size=9, color=HIGHLIGHT, line=dict(color="#ffffff", width=1.5)),
                hoverinfo="skip", showlegend=True)
    keys = [dict(type="scatter", mode="lines", x=[None], y=[None], name=name,
                 line=dict(color=GOLD_SURE, width=3, dash=dash), showlegend=True)
            for name, dash in ((m("lab.gold_sure"), "solid"), (m("lab.gold_possible"), "dot"))]
    margin = dict(layout.get("margin") or {})
    margin["b"] = int(margin.get("b", 10)) + 44
    layout.update(margin=margin, showlegend=True,
                  legend=dict(orientation="h", x=0, y=0, yanchor="bottom", yref="container", xanchor="left",
                              font=dict(size=13, color=INK)))
    return dict(data=[*spec["data"], dots, *keys], layout=layout)


def _tree_positions(tree) -> tuple[dict[int, tuple[float, int]], dict[int, int]]:
    """Where each drawn node goes: (x slot, step); and per step how many pruned nodes are not drawn.

    Per step, the hypotheses that live on (kept, finished, forced) fill slots 0.. by total log-prob;
    the best few pruned ones follow after a gap, faded.
    """
    by_step: dict[int, list] = {}
    for node in tree.nodes:
        by_step.setdefault(node.step, []).append(node)
    pos, hidden = {}, {}
    for step, nodes in by_step.items():
        alive = sorted((n for n in nodes if n.status != "pruned"), key=lambda n: -n.cum_logp)
        pruned = sorted((n for n in nodes if n.status == "pruned"), key=lambda n: -n.cum_logp)
        for slot, n in enumerate(alive):
            pos[n.id] = (float(slot), step)
        shown = pruned[:TREE_PRUNED_SHOWN]
        for k, n in enumerate(shown):
            pos[n.id] = (tree.beam + 0.4 + k, step)
        hidden[step] = len(pruned) - len(shown)
    return pos, hidden


def beam_tree_figure(tree, *, selected: int = 0, m: Messages | None = None, big: bool = False) -> dict:
    """Beam search as a tree: one row per output step (first on top), each node a word with its log-prob.

    The hypotheses the beam kept sit left, best first; the nearest pruned ones follow, faded (the rest
    are counted). Finished hypotheses (<eos>) are squares labelled with their rank and length-normalised
    score; the winner's path is red, the `selected` rank's path (if another) orange; forced words are
    diamonds.

    Args:
        tree: trace.beam_tree (attnviz.trace.BeamTree).
        selected: rank (0 = best) of the hypothesis to highlight besides the winner.
    """
    m = _en(m)
    pos, hidden = _tree_positions(tree)
    size = 13 * (BIG if big else 1)
    winner = set(tree.path(tree.ranked[0]))
    chosen = set(tree.path(tree.ranked[selected])) if 0 < selected < len(tree.ranked) else set()
    rank_of = {node: r for r, node in enumerate(tree.ranked)}
    steps = max(p[1] for p in pos.values()) + 1
    first = [n for n in tree.nodes if n.parent < 0 and n.id in pos]
    root = (float(np.mean([pos[n.id][0] for n in first if tree.nodes[n.id].status != "pruned"] or [0.0])), -1)

    def where(node_id: int) -> tuple[float, int]:
        return root if node_id < 0 else pos[node_id]

    edges = {"pruned": ([], []), "alive": ([], []), "chosen": ([], []), "winner": ([], [])}
    for n in tree.nodes:
        if n.id not in pos:
            continue
        kind = ("winner" if n.id in winner else "chosen" if n.id in chosen
                else "pruned" if n.status == "pruned" else "alive")
        (x0, y0), (x1, y1) = where(n.parent), pos[n.id]
        edges[kind][0].extend([x0, x1, None])
        edges[kind][1].extend([y0, y1, None])
    style = {"pruned": dict(color="rgba(170,170,170,0.45)", width=1, dash="dot"),
             "alive": dict(color="rgba(49,130,189,0.35)", width=1.5),
             "chosen": dict(color=TREE_SELECTED, width=3.5), "winner": dict(color=HIGHLIGHT, width=4)}
    data = [dict(type="scatter", mode="lines", x=xs, y=ys, line=style[k], hoverinfo="skip", showlegend=False)
            for k, (xs, ys) in edges.items() if xs]
    status_name = {"kept": m("lab.tree_kept"), "finished": m("lab.tree_finished"),
                   "forced": m("lab.tree_forced"), "pruned": m("lab.tree_pruned")}
    symbols = {"kept": "circle", "finished": "square", "forced": "diamond", "pruned": "circle"}
    colors = {"kept": TREE_KEPT, "finished": TREE_DONE, "forced": TREE_FORCED, "pruned": TREE_PRUNED}
    for status in ("pruned", "kept", "forced", "finished"):
        nodes = [n for n in tree.nodes if n.id in pos and n.status == status]
        if not nodes:
            continue
        words = [html.escape(m("lab.tree_end") if n.token == "<eos>" else n.token, quote=False) for n in nodes]
        text = []
        for n, w in zip(nodes, words):
            line = f"{w}<br>{n.logp:+.2f}".replace("+-", "−").replace("-", "−")
            if n.id in rank_of:
                line += f"<br><b>#{rank_of[n.id] + 1} {tree.ranked_scores[rank_of[n.id]]:.2f}</b>"
            text.append(line)
        outline = [HIGHLIGHT if n.id in winner else TREE_SELECTED if n.id in chosen else "#ffffff" for n in nodes]
        data.append(dict(
            type="scatter", mode="markers+text", name=status_name[status],
            x=[pos[n.id][0] for n in nodes], y=[pos[n.id][1] for n in nodes], text=text,
            textposition="middle right", cliponaxis=False,  # beside the node: edges run above and below it
            textfont=dict(size=size * (0.8 if status == "pruned" else 1),  # the winner's words in red: read it down
                          color=["#999999" if status == "pruned" else HIGHLIGHT if n.id in winner else INK
                                 for n in nodes]),
            marker=dict(symbol=symbols[status], size=(8 if status == "pruned" else 12), color=colors[status],
                        opacity=0.6 if status == "pruned" else 1, line=dict(color=outline, width=2.5)),
            customdata=[[w, n.logp, n.cum_logp, status_name[status], n.step + 1] for n, w in zip(nodes, words)],
            hovertemplate=(m("lab.tree_hover") + "<extra></extra>"),
        ))
    data.append(dict(type="scatter", mode="markers+text", x=[root[0]], y=[-1], text=[m("lab.tree_start")],
                     textposition="top center", marker=dict(size=10, color=INK), hoverinfo="skip", showlegend=False,
                     textfont=dict(size=size, color=INK), cliponaxis=False))
    notes = [dict(x=tree.beam + 0.4 + TREE_PRUNED_SHOWN - 0.3, y=step, xanchor="left", showarrow=False,
                  text=f"+{k}", font=dict(size=size * 0.8, color="#999999"))
             for step, k in hidden.items() if k > 0]
    row = (64 if big else 56)
    layout = dict(
        height=int(120 + row * (steps + 1)), font=dict(size=size, color=INK), paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff", margin=dict(l=70, r=20, t=70, b=20, autoexpand=False),
        xaxis=dict(visible=False, range=[-0.6, tree.beam + TREE_PRUNED_SHOWN + 0.6], fixedrange=False),
        yaxis=dict(autorange="reversed", tickmode="array", tickvals=list(range(steps)),
                   ticktext=[str(t + 1) for t in range(steps)], title=dict(text=m("lab.tree_y")),
                   showgrid=True, gridcolor="#f0f0f0", zeroline=False, range=[steps + 0.1, -1.6]),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom", yref="paper", font=dict(size=size)),
        annotations=notes, showlegend=True,
    )
    layout["yaxis"].pop("autorange")  # an explicit reversed range: room for the start node and the labels
    return dict(data=data, layout=layout)


def beam_ranking_frame(tree, alternatives, m: Messages | None = None) -> pd.DataFrame:
    """The finished hypotheses, best first: rank, translation, the score they were ranked by, the copyable
    English words each left out, sum of log-probs, words (with <eos>). The ranking first: a narrow
    window's table scrolls sideways, and the last columns are the ones it hides."""
    m = _en(m)
    rows = []
    for r, (node, score, out) in enumerate(zip(tree.ranked, tree.ranked_scores, tree.left_out)):
        text = alternatives[r][0] if r < len(alternatives) else ""
        rows.append({m("lab.col_rank"): r + 1, m("lab.col_translation"): text, m("lab.col_score"): round(score, 3),
                     m("lab.col_left_out"): out, m("lab.col_sum"): round(tree.nodes[node].cum_logp, 3),
                     m("lab.col_words"): len(tree.path(node))})
    return pd.DataFrame(rows)


def hide_effect_figure(effect, *, weights: np.ndarray | None = None, m: Messages | None = None,
                       big: bool = False, title: bool = True) -> dict:
    """Attention weight against the effect of hiding.

    Per English word (weights None): x its mean attention weight over the output steps, y how much the
    log-probability of all the chosen French words dropped when it was hidden (nats; above 0 = less likely).
    Per cell (weights = the trace's (T, S) weights): one point per (French word, English word), x the
    weight at that step, y the drop of that French word's log-probability alone.

    Args:
        effect: attnviz.causal.HideEffect.
    """
    m = _en(m)
    size = 13 * (BIG if big else 1)
    if weights is None:
        drop = -np.asarray(effect.effect, dtype=float)  # (S,)
        words = _safe(list(effect.src_tokens))
        x = np.asarray(effect.attention, dtype=float)
        x_title, y_title = m("lab.effect_x"), m("lab.effect_y")
    else:
        w = np.asarray(weights, dtype=float)  # (T, S)
        drop = -np.asarray(effect.per_step, dtype=float).T.ravel()  # (T * S,) row-major like w
        x = w.ravel()
        words = [f"{html.escape(fr, quote=False)} ← {html.escape(en, quote=False)}"
                 for fr in effect.tgt_tokens for en in effect.src_tokens]
        x_title, y_title = m("lab.effect_x_cell"), m("lab.effect_y_cell")
    ok = np.isfinite(drop)
    span = max(float(np.nanmax(np.abs(drop))) if ok.any() else 1.0, 0.1)
    cells = weights is not None  # many points: label only those that stand out
    labels = [w if k and (not cells or xi >= 0.3 or di >= 0.3 * span) else ""
              for w, k, xi, di in zip(words, ok, x, np.nan_to_num(drop))]
    data = [dict(type="scatter", mode="markers+text", x=x[ok], y=drop[ok], text=[w for w, k in zip(labels, ok) if k],
                 textposition="top center", cliponaxis=False,
                 marker=dict(size=8 if cells else 11, color=HIGHLIGHT, opacity=0.7 if cells else 1),
                 textfont=dict(size=size, color=INK), showlegend=False,
                 customdata=[w for w, k in zip(words, ok) if k],
                 hovertemplate=m("lab.effect_hover") + "<extra></extra>")]
    layout = dict(
        title=_title(html.escape(m("lab.effect_title")), size * 1.1) if title else None,
        font=dict(size=size, color=INK), paper_bgcolor="#ffffff", plot_bgcolor="#f7f7f7",
        height=int(380 * (BIG if big else 1)), margin=dict(l=70, r=30, t=60 if title else 24, b=60, autoexpand=False),
        xaxis=dict(title=dict(text=x_title), range=[-0.03, max(float(x.max()) * 1.15, 0.2)],
                   zeroline=True, zerolinecolor="#888888"),
        yaxis=dict(title=dict(text=y_title), range=[min(-0.1 * span, float(np.nanmin(drop[ok])) * 1.2
                                                                  if ok.any() else 0), span * 1.25],
                   zeroline=True, zerolinecolor="#888888"),
    )
    return dict(data=data, layout=layout)
