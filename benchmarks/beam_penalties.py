"""Would GNMT's length and coverage penalties (Wu et al. 2016) rank beam search better than the page's
mean log-probability? Beam search through the model's torch modules (as torchdecode.beam_ids) that
also sums each hypothesis's attention over the English words, then ranks finished hypotheses by

    log P(Y) / ((5 + |Y|) / 6)^alpha  +  beta * sum_i log min(sum_t attention(t, i), 1)

(alpha `mean`: the page's rule, log P(Y) / |Y|). With `prune`, the coverage term also ranks the beam's
candidates at every step. Greedy BLEU / chrF on the first validation sentences, all references.

    python benchmarks/beam_penalties.py --model dot --limit 1000 mean,0 0.6,0 1,0 0.6,0.2 1,0.2 0.6,0.2,prune 1,0.5,prune
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_bundle  # noqa: E402
from attnviz.config import TrainConfig  # noqa: E402
from attnviz.data import read_pairs, references_by_source, split_pairs  # noqa: E402
from attnviz.evaluate import bleu_chrf  # noqa: E402
from attnviz.model import Encoded  # noqa: E402
from attnviz.text import detokenize_fr  # noqa: E402
from attnviz.torchdecode import _copy_positions, encoded_source  # noqa: E402
from attnviz.trace import _NEVER_WRITTEN, default_max_len  # noqa: E402
from attnviz.vocab import BOS_ID, EOS_ID, UNK_ID  # noqa: E402

WIDTH = 5


def coverage_penalty(coverage: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * sum over English words of log min(attention received, 1): (..., S) -> (...)."""
    return beta * torch.log(coverage.clamp(min=1e-9, max=1.0)).sum(-1)


@torch.inference_mode()
def beam(bundle, src, alpha: float | None, beta: float, prune: bool) -> list[str]:
    """The best finished hypothesis's words. Each live hypothesis: (ids, log-prob, coverage (S,), copies)."""
    enc, hyps, finished = src.enc, [([], 0.0, torch.zeros(len(src.ids)), [])], []
    h = enc.dec_h0  # (1, N, H)
    for _ in range(default_max_len(len(src.ids))):
        n = len(hyps)
        y = torch.tensor([[ids[-1] if ids else BOS_ID] for ids, *_ in hyps])  # (N, 1)
        dec = bundle.model.decoder(y, h, Encoded(enc.enc_out.expand(n, -1, -1), enc.dec_h0, enc.src_mask.expand(n, -1)))
        logp, weights = bundle.model.decoder.log_probs(dec.att_h)[:, -1], dec.weights[:, -1]  # (N, V), (N, S)
        logp[:, list(_NEVER_WRITTEN)] = float("-inf")
        logp[_copy_positions(weights, [src.tokens] * n, [src.ids] * n) < 0, UNK_ID] = float("-inf")
        total = torch.tensor([lp for _, lp, *_ in hyps]).unsqueeze(1) + logp  # (N, V)
        coverage = torch.stack([cov for *_, cov, _ in hyps]) + weights  # (N, S) after this step
        rank = total + coverage_penalty(coverage, beta).unsqueeze(1) if prune else total
        live, rows = [], []
        for flat in torch.topk(rank.flatten(), WIDTH).indices.tolist():
            row, tok = divmod(flat, logp.size(1))
            ids, _, _, copies = hyps[row]
            item = (ids + [tok], float(total[row, tok]), coverage[row], copies + [int(weights[row].argmax())])
            (finished if tok == EOS_ID else live).append(item)
            rows += [] if tok == EOS_ID else [row]
        if len(finished) >= WIDTH or not live:
            break
        hyps, h = live, dec.last_h[:, rows]

    def score(hyp) -> float:
        ids, lp, cov, _ = hyp
        length = len(ids) if alpha is None else ((5 + len(ids)) / 6) ** alpha
        return lp / length + float(coverage_penalty(cov, beta))

    ids, _, _, copies = max(finished or hyps, key=score)
    words = [src.tokens[pos] if tok == UNK_ID else bundle.tgt_vocab.decode([tok])[0]
             for tok, pos in zip(ids, copies) if tok != EOS_ID]
    return detokenize_fr(words)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("settings", nargs="+", help="alpha,beta[,prune]; alpha `mean` for the page's rule")
    p.add_argument("--model", default="dot")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--data", default=TrainConfig.data)
    p.add_argument("--limit", type=int, default=1000)
    args = p.parse_args()
    torch.set_num_threads(1)
    bundle = load_bundle(Path(args.models_dir) / f"{args.model}.json")
    refs = references_by_source(split_pairs(read_pairs(args.data, TrainConfig.max_len)).valid)
    sources = sorted(refs)[:args.limit]
    encoded = [encoded_source(bundle, s) for s in sources]
    print(f"{args.model}, beam {WIDTH}, first {len(sources)} validation sentences: BLEU / chrF")
    for setting in args.settings:
        alpha, beta, *flag = setting.split(",")
        hyps = [beam(bundle, src, None if alpha == "mean" else float(alpha), float(beta), flag == ["prune"])
                for src in encoded]
        bleu, chrf = bleu_chrf(hyps, [refs[s] for s in sources])
        print(f"{setting:<16} {bleu:6.2f} {chrf:6.2f}", flush=True)


if __name__ == "__main__":
    main()
