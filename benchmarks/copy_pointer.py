"""Which attention, read how, points at the word to copy? Where the French must copy an English word
it has no word for (a number, a name it never saw), force the human translation and ask, at that
step, whether each candidate pointer's heaviest English word is the one to copy, and whether its
heaviest among the words the decoder may copy is (text.copyable; trace.copy_position's rule). The
candidates: a Transformer's every head, each layer's mean of heads, the mean of all heads; a GRU's
one attention. Also printed: how often `<unk>` is the model's most likely word at those steps (where
it is not, the model writes some other word and nothing is copied).

Copy events come from the validation split (never the test): pairs with a number word on both sides
become digits on both (data.numbers_as_digits), and a name written the same on both sides ("Tom")
becomes a name no vocabulary has (one of UNSEEN_NAMES, on both sides), as on the page.

    python benchmarks/copy_pointer.py --models transformer,dot --limit 600
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_bundle  # noqa: E402
from attnviz.config import TrainConfig  # noqa: E402
from attnviz.data import Pair, numbers_as_digits, read_pairs, shared_names, split_pairs  # noqa: E402
from attnviz.text import copyable, detokenize_fr, is_number  # noqa: E402
from attnviz.trace import trace_translation  # noqa: E402
from attnviz.vocab import UNK_ID  # noqa: E402

UNSEEN_NAMES = ("Camille", "Lucas", "Ines", "Hugo", "Zoe", "Nathan", "Jade", "Malik", "Chloe", "Yanis")


def with_unseen_names(pair: Pair, k: int) -> Pair | None:
    """The pair with every capitalised shared name replaced by an unseen one, or None if it has none."""
    names = {n for n in shared_names(pair) if not is_number(n)}
    if not names:
        return None
    swap = {n: UNSEEN_NAMES[(k + i) % len(UNSEEN_NAMES)] for i, n in enumerate(sorted(names))}
    sub = lambda toks: tuple(swap.get(t.lower(), t) for t in toks)  # noqa: E731
    src, tgt = sub(pair.src_tokens), sub(pair.tgt_tokens)
    return Pair(" ".join(src), detokenize_fr(list(tgt)), src, tgt)


def copy_pairs(pairs: list[Pair], limit: int) -> list[Pair]:
    out = []
    for k, p in enumerate(pairs):
        q = numbers_as_digits(p) or with_unseen_names(p, k)
        if q is not None:
            out.append(q)
        if len(out) >= limit:
            break
    return out


def pointers(tr) -> dict[str, np.ndarray]:
    """Candidate (T, S) attentions of a trace, by name."""
    if tr.heads is None:
        return {"the attention": tr.weights}
    w = tr.heads.cross_weights  # (T, L, A, S)
    out = {f"layer {l + 1} head {a + 1}": w[:, l, a] for l in range(w.shape[1]) for a in range(w.shape[2])}
    out |= {f"layer {l + 1} mean": w[:, l].mean(1) for l in range(w.shape[1])}
    out["all heads mean"] = w.mean((1, 2))
    return out


def score(bundle, pairs: list[Pair]) -> tuple[dict[str, float], int]:
    hits: dict[str, int] = {}
    events = 0
    for p in pairs:
        tr = trace_translation(bundle, p.en, target=p.fr)
        src = list(zip(tr.src_tokens, tr.src_known))
        can = np.array([copyable(s, known) for s, known in src])
        for t, tok in enumerate(tr.tgt_tokens[:-1]):
            wanted = [i for i, (s, known) in enumerate(src) if not known and s == tok]
            if not wanted:
                continue
            events += 1
            hits["<unk> its most likely word"] = hits.get("<unk> its most likely word", 0) + (tr.topk_tokens[t][0] == "<unk>")
            for name, w in pointers(tr).items():
                hits[name] = hits.get(name, 0) + (int(np.argmax(w[t])) in wanted)
                among = f"{name}, among copyable"
                hits[among] = hits.get(among, 0) + (int(np.argmax(np.where(can, w[t], -1))) in wanted)
    return {k: v / max(events, 1) for k, v in hits.items()}, events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="transformer,dot")
    ap.add_argument("--limit", type=int, default=600)
    ap.add_argument("--data", default=TrainConfig().data)
    args = ap.parse_args()
    pairs = copy_pairs(split_pairs(read_pairs(args.data)).valid, args.limit)
    for name in args.models.split(","):
        shares, events = score(load_bundle(Path(DEFAULT_MODELS_DIR) / f"{name}.json"), pairs)
        print(f"{name}: {events} copy steps in {len(pairs)} validation pairs; share where the pointer's "
              "heaviest English word is the one to copy")
        for k, v in sorted(shares.items(), key=lambda kv: -kv[1]):
            print(f"  {k:16s} {v:.3f}")


if __name__ == "__main__":
    main()
