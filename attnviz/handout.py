"""A teacher's kit: a printable worksheet for the lesson and a one-page script for a 10-minute class.

Pure: everything is built at run time from attnviz.lesson.STAGES, the message catalogue
(messages/<lang>/handout.toml and lesson.toml) and real traces of the stages' sentences, with the
questions the lesson itself asks (lesson.needs, lesson.question_for). Nothing about a stage is written
here: a stage added to the lesson appears on the sheet, and retrained models give their own answers.

- handout_html(): one self-contained HTML document (inline print stylesheet, no web fonts, no
  scripts, works offline): the worksheet with a blank box for each prediction, then, after a page
  break, the answers with the models' own numbers.
- script_html() / script_markdown(): the teacher's one-page script with suggested timings.
- `python -m attnviz handout --lang ko --out handout-ko.html` (add `--script` for the script; a
  `.md` file gets Markdown).

Text from traces and the catalogue is HTML-escaped; the catalogue's inline Markdown (**bold**,
*italic*, `code`, $math$, :color[…]) is turned into HTML here.
"""
from __future__ import annotations

import argparse
import html
import math
import re
import string
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Mapping, Sequence

from . import lesson
from .i18n import LANGS, Messages, catalogue, messages
from .text import word_count
from .trace import Trace
from .vocab import EOS

CLASS_SECONDS = 600  # the class the script plans for: 10 minutes
OPEN_SECONDS = 60  # welcome and the worksheet
CLOSE_SECONDS = 60  # the tally and the take-away
GRAIN = 15  # suggested times are multiples of 15 s
QUESTION_WEIGHT = 2  # a stage with a prediction gets twice the time of one without

TracesFor = Callable[[lesson.Stage], dict[str, Trace]]


# ---------------------------------------------------------------- values in templates


@dataclass(frozen=True)
class Word:
    """A word or words from a trace, shown as code."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Text from a trace (a translation, a model's name), shown in bold."""

    text: str


@dataclass(frozen=True)
class Words:
    """Several words, shown as code and joined with commas."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Markup:
    """HTML built here (a nested template, a formula): inserted as it is."""

    html: str


@dataclass(frozen=True)
class Blank:
    """A value the worksheet leaves for the student to fill in: it would give away an answer."""

    answer: str


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def shown_word(word: str) -> str:
    return "<eos>" if word == EOS else word


def value_html(v) -> str:
    if isinstance(v, Word):
        return f"<code>{esc(shown_word(v.text))}</code>"
    if isinstance(v, Strong):
        return f"<strong>{esc(v.text)}</strong>"
    if isinstance(v, Words):
        return ", ".join(f"<code>{esc(w)}</code>" for w in v.items)
    if isinstance(v, Markup):
        return v.html
    if isinstance(v, Blank):
        return '<span class="blank" aria-label="____"></span>'
    return esc(str(v))


def value_text(v) -> str:
    """A value as plain text (Markdown output and comparisons)."""
    if isinstance(v, (Word, Strong)):
        return shown_word(v.text)
    if isinstance(v, Words):
        return ", ".join(v.items)
    if isinstance(v, Blank):
        return "____"
    if isinstance(v, Markup):
        return re.sub(r"<[^>]+>", "", v.html)
    return str(v)


_MARK = re.compile("\ue000(\\d+)\ue001")


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def md_inline(text: str) -> str:
    """The catalogue's inline Markdown in already-escaped text, as HTML."""
    text = re.sub(r"\$([^$]+)\$", lambda mt: f'<span class="math">{_math(mt.group(1))}</span>', text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?!\*)", r"<em>\1</em>", text)
    text = re.sub(r":(green|red|blue|orange|violet|gray)\[(.+?)\]", r'<span class="\1">\2</span>', text)
    return text


def _math(tex: str) -> str:
    """The little LaTeX the catalogue holds ($x$, $e^x$) as HTML."""
    tex = re.sub(r"\^\{([^}]*)\}|\^(\w)", lambda mt: f"<sup>{mt.group(1) or mt.group(2)}</sup>", tex)
    return re.sub(r"(?<![<\w/])([A-Za-z])(?![\w>])", r"<var>\1</var>", tex)


def fill(m: Messages, key: str, values: Mapping[str, object], lang: str) -> str | None:
    """The template `key` in `lang` with `values`, as HTML paragraphs; None when a field has no value
    (a stage this module does not know asks for something it cannot compute: it is left out, never
    shown as a raw {placeholder})."""
    template = catalogue(lang).get(key, catalogue(LANGS[0]).get(key))
    if template is None:
        return None
    needed = fields_of(template)
    if not needed <= set(values):
        return None
    parts: list[object] = []
    formatted = {}
    for name in needed:
        v = values[name]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            formatted[name] = v
        else:
            formatted[name] = f"\ue000{len(parts)}\ue001"
            parts.append(v)
    try:
        text = m(key, **formatted) if formatted else m(key)
    except (ValueError, KeyError, IndexError):
        return None
    out = md_inline(esc(text))
    out = _MARK.sub(lambda mt: value_html(parts[int(mt.group(1))]), out)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", out) if p.strip()]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)


def fill_text(m: Messages, key: str, values: Mapping[str, object], lang: str) -> str | None:
    """The same as fill(), as plain text with the catalogue's Markdown kept (for the Markdown script)."""
    template = catalogue(lang).get(key, catalogue(LANGS[0]).get(key))
    if template is None or not fields_of(template) <= set(values):
        return None
    formatted = {}
    for name in fields_of(template):
        v = values[name]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            formatted[name] = v
        elif isinstance(v, Markup):  # Markdown built here, as it is
            formatted[name] = v.html
        elif isinstance(v, (Word, Words)):
            formatted[name] = ", ".join(f"`{w.replace('`', chr(39))}`" for w in
                                        (v.items if isinstance(v, Words) else (shown_word(v.text),)))
        else:
            formatted[name] = _md_escape(value_text(v))
    try:
        return m(key, **formatted) if formatted else m(key)
    except (ValueError, KeyError, IndexError):
        return None


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>$|])", r"\\\1", text)


# ---------------------------------------------------------------- the lesson, traced


@dataclass
class Sheet:
    """One stage as the kit shows it: its traces, question, and the values its templates take."""

    n: int
    stage: lesson.Stage
    traces: dict[str, Trace] = field(default_factory=dict)
    question: lesson.Question | None = None
    problem: str = ""  # why the stage could not be traced (its words are still shown)
    values: dict[str, object] = field(default_factory=dict)  # body fields
    prompt_values: dict[str, object] = field(default_factory=dict)
    shows: list[tuple[str, dict]] = field(default_factory=list)  # extra (key, values) lines under the body
    formula: dict | None = None  # the weigh stage's worked softmax
    after: list[tuple[str, dict]] = field(default_factory=list)  # explanations for the answers page
    blanks: list[str] = field(default_factory=list)  # answers left blank on the worksheet

    @property
    def main(self) -> Trace:
        return lesson.main_trace(self.stage, self.traces)


def bundle_traces(bundles: Mapping) -> TracesFor:
    """Traces of a stage's sentence straight from loaded bundles (greedy, the stage's hidden words)."""
    from .trace import trace_translation

    def traces_for(stage: lesson.Stage) -> dict[str, Trace]:
        return {role: trace_translation(bundles[need.scorer], stage.sentence, blocked=need.blocked)
                for role, need in lesson.needs(stage, list(bundles)).items()}

    return traces_for


def written(trace: Trace, t: int) -> object:
    return Word(" ".join(trace.tgt_tokens[:t])) if t else "—"


def _generic_values(tr: Trace, stage: lesson.Stage) -> dict[str, object]:
    """Fields any stage may name, from its main trace (what the stage texts usually take)."""
    out: dict[str, object] = {"sentence": Word(tr.source), "words": len(tr.src_tokens),
                              "hidden": int(tr.enc_out.shape[1]), "translation": Strong(tr.translation),
                              "last": Word(tr.src_tokens[-1]) if tr.src_tokens else "—",
                              "unknown": Words(tuple(w for w, known in zip(tr.src_tokens, tr.src_known)
                                                     if not known) or tr.src_tokens[:1])}
    if tr.weights is not None and lesson.written_steps(tr):
        t = lesson.focus_step(stage, tr)
        top = lesson.looked_at(tr, t)
        out.update(written=written(tr, t), focus=Word(tr.tgt_tokens[t]), top=Word(tr.src_tokens[top]),
                   top_weight=float(tr.weights[t][top]))
    return out


def _values(sh: Sheet, m: Messages, cards: Mapping[str, dict], lang: str) -> None:
    """The values of each stage's templates: what attnviz/views/lesson.py passes, from the same traces."""
    st, tr, key = sh.stage, sh.main, sh.stage.key
    sh.values = _generic_values(tr, st)
    if key == "plain" and "attention" in sh.traces:
        att = sh.traces["attention"]
        name = Strong(m(f"scorers.{att.scorer}"))
        sh.values.update(words=word_count(tr.source), att=name)
        bucket = lesson.length_bucket(tr.source)
        by_none, by_att = lesson.bleu_by_length(cards, tr.scorer), lesson.bleu_by_length(cards, att.scorer)
        test = lesson.metric(cards, att.scorer, "test_sentences")
        sh.shows.append(("lesson.plain.none_line", {"translation": tr.translation}))
        sh.shows.append(("lesson.plain.att_line", {"model": m(f"scorers.{att.scorer}"),
                                                   "translation": att.translation}))
        if bucket in by_none and bucket in by_att and "1-4" in by_none and "1-4" in by_att and test:
            sh.shows.append(("lesson.plain.measured", dict(
                test=f"{int(test):,}", bucket=bucket, none_bleu=by_none[bucket], att_bleu=by_att[bucket],
                att=name, none_short=by_none["1-4"], att_short=by_att["1-4"])))
    elif key == "score" and tr.scores is not None:
        t = lesson.focus_step(st, tr)
        allowed = [j for j in range(len(tr.src_tokens)) if j not in tr.blocked]
        top = max(allowed, key=lambda j: tr.scores[t][j])
        low = min(allowed, key=lambda j: tr.scores[t][j])
        formula = fill(m, f"lesson.score.formula_{tr.scorer}", {"hidden": int(tr.enc_out.shape[1])}, lang)
        sh.values.update(top=Word(tr.src_tokens[top]), top_score=float(tr.scores[t][top]),
                         low=Word(tr.src_tokens[low]), low_score=float(tr.scores[t][low]))
        if formula:
            sh.values["formula"] = Markup(_unwrap(formula))
    elif key == "weigh" and tr.weights is not None:
        t = lesson.focus_step(st, tr)
        top = lesson.looked_at(tr, t)
        sh.formula = {"t": t, "word": top}
        sh.shows.append(("lesson.weigh.after", {}))
    elif key == "reorder" and tr.weights is not None:
        t = lesson.focus_step(st, tr)
        sh.prompt_values["focus"] = Word(tr.tgt_tokens[t])
        cross = lesson.crossing(tr, st)
        if cross:
            sh.after.append(("lesson.reorder.crossed" if cross["crossed"] else "lesson.reorder.straight", dict(
                noun=Word(tr.src_tokens[cross["noun"]]), adj=Word(tr.src_tokens[cross["adj"]]),
                noun_fr=Word(tr.tgt_tokens[cross["noun_step"]]), adj_fr=Word(tr.tgt_tokens[cross["adj_step"]]),
                noun_weight=cross["noun_weight"], adj_weight=cross["adj_weight"],
                noun_pos=cross["noun"] + 1, adj_pos=cross["adj"] + 1)))
    elif key == "copy" and "none" in sh.traces:  # the model without attention cannot copy
        sh.after.append(("lesson.copy.none_line", {"translation": Strong(sh.traces["none"].translation)}))
    elif key == "hide":
        plain = sh.traces.get("alt0", tr)
        words = Words(tuple(tr.src_tokens[i] for i in tr.blocked))
        sh.values.update(sentence=Word(plain.source), plain=Strong(plain.translation), hidden=words)
        sh.prompt_values["hidden"] = words
        sh.after.append(("lesson.hide.after", {"hidden": words, "translation": Strong(tr.translation)}))
    elif key == "scorers":
        reference = m("lesson.scorers.reference")
        sh.shows.append(("lesson.scorers.reference_line", {"reference": reference}))
        for name, trace in sh.traces.items():
            verdict = Markup(md_inline(esc(m("lesson.scorers.matches" if lesson.same_translation(
                trace.translation, reference) else "lesson.scorers.differs"))))
            sh.shows.append(("handout.model_line", {"model": m(f"scorers.{name}"),
                                                    "translation": trace.translation, "verdict": verdict}))
        test = lesson.metric(cards, tr.scorer, "test_sentences")
        sh.prompt_values["test"] = f"{int(test or 0):,}"
        sh.after.append(("lesson.scorers.after", {"test": f"{int(test or 0):,}"}))
    # Fields a stage's prompt may name that the main trace gives (a stage added to the lesson).
    for name, v in sh.values.items():
        sh.prompt_values.setdefault(name, v)


def prepare(lang: str, traces_for: TracesFor, cards: Mapping[str, dict],
            stages: Sequence[lesson.Stage] | None = None) -> list[Sheet]:
    """Trace every stage and build its question, its values and the worksheet's blanks."""
    m = messages(lang)
    stages = lesson.STAGES if stages is None else stages
    sheets = []
    for n, stage in enumerate(stages, 1):
        sh = Sheet(n, stage)
        try:
            sh.traces = traces_for(stage)
            sh.question = lesson.question_for(stage, sh.traces, cards)
            _values(sh, m, cards, lang)
        except (ValueError, KeyError) as e:  # a model missing, a sentence refused: the words stay
            sh.problem = str(e) or type(e).__name__
        sheets.append(sh)
    _blank_answers(sheets)
    return sheets


def _blank_answers(sheets: list[Sheet]) -> None:
    """Leave blank, on the worksheet, any word that is the answer to a question at this stage or before
    (stage 4 names the English word stage 3 asks about): the answers are on their own page."""
    answers: set[str] = set()
    for sh in sheets:
        q = sh.question
        if q is not None:
            answers.add(q.options[q.answer])
        reference = catalogue(LANGS[0])  # every language's template takes the same fields
        shown = [(sh.values, fields_of(reference.get(f"lesson.{sh.stage.key}.body", "")))]
        shown += [(sh.values, fields_of(reference.get(k, "")) - set(v)) for k, v in sh.shows]  # body values
        shown += [(v, fields_of(reference.get(k, ""))) for k, v in sh.shows]
        for values, names in shown:
            for name in sorted(names & set(values)):
                v = values[name]
                if isinstance(v, (Word, Strong)) and v.text in answers and name != "sentence":
                    values[name] = Blank(v.text)
                    sh.blanks.append(v.text)
        if sh.formula is not None and sh.main.src_tokens[sh.formula["word"]] in answers:
            sh.formula["blank"] = True
            sh.blanks.append(sh.main.src_tokens[sh.formula["word"]])


# ---------------------------------------------------------------- pieces of the page


def option_label(m: Messages, q: lesson.Question, option: str) -> str:
    return m(f"scorers.{option}") if q.kind == "scorer" else shown_word(option)


def _number(q: lesson.Question, v: float | None, m: Messages) -> str:
    if v is None:
        return m("handout.unranked") if q.kind == "next_word" else "—"
    return f"{v:.1f}" if q.kind == "scorer" else f"{v:.2f}"


def _kind_key(lang: str, prefix: str, kind: str) -> str:
    key = f"handout.{prefix}.{kind}"
    return key if key in catalogue(lang) else f"handout.{prefix}.other"


def answer_values(m: Messages, q: lesson.Question) -> dict[str, object]:
    best = q.options[q.answer]
    shown = Strong(m(f"scorers.{best}")) if q.kind == "scorer" else (
        best if q.kind == "translation" else Word(best))
    out: dict[str, object] = {"best": shown}
    if q.values[q.answer] is not None:
        out["best_value"] = float(q.values[q.answer])
    return out


def softmax_html(tr: Trace, t: int, word: int, blank: bool) -> str:
    """The worked softmax of step t for English position `word`, with the real scores, as HTML."""
    s = tr.scores[t]
    terms = lesson.softmax_terms(tr, t, word)
    allowed = [j for j in range(len(tr.src_tokens)) if j not in tr.blocked]
    total = sum(math.exp(s[j]) for j in allowed)
    exp = lambda x: f"e<sup>{x:.2f}</sup>"  # noqa: E731
    denom = " + ".join(exp(s[j]) for j in terms) + (" + …" if len(terms) < len(allowed) else "")
    name = value_html(Blank("") if blank else Word(tr.src_tokens[word]))
    frac = lambda a, b: f'<span class="frac"><span>{a}</span><span>{b}</span></span>'  # noqa: E731
    return (f'<div class="formula">α<sub>{name}</sub> = {frac(exp(s[word]), denom)} = '
            f'{frac(f"{math.exp(s[word]):.2f}", f"{total:.2f}")} = {tr.weights[t][word]:.2f}</div>')


def _unwrap(paragraph: str) -> str:
    """One paragraph's HTML without its <p>: to sit inside another element."""
    return paragraph.removeprefix("<p>").removesuffix("</p>")


def _prompt(m: Messages, sh: Sheet, lang: str) -> str | None:
    return fill(m, f"lesson.{sh.stage.key}.prompt", sh.prompt_values, lang)


CSS = """
@page { size: auto; margin: 14mm 15mm; }
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { font-family: "Noto Sans", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", "DejaVu Sans",
       Arial, sans-serif; font-size: 10.5pt; line-height: 1.45; color: #111; background: #fff; }
html:lang(ko) { word-break: keep-all; overflow-wrap: anywhere; }
body { margin: 0 auto; max-width: 180mm; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 1mm; line-height: 1.2; }
h2 { font-size: 12.5pt; margin: 0 0 1.5mm; line-height: 1.25; }
.sub { color: #444; margin: 0 0 3mm; }
.who { display: flex; gap: 8mm; margin: 2mm 0 4mm; }
.who span { flex: 1; border-bottom: 0.3mm solid #333; padding-bottom: 1mm; color: #444; }
p { margin: 0 0 1.6mm; }
code { font-family: "DejaVu Sans Mono", "Noto Sans Mono", "Noto Sans Mono CJK KR", Consolas, monospace;
       font-size: 0.92em; background: #f1f1f1; border: 0.2mm solid #d8d8d8; border-radius: 1mm;
       padding: 0 0.8mm; }
.stage { border: 0.35mm solid #999; border-radius: 2mm; padding: 3mm 4mm; margin: 0 0 4mm;
         break-inside: avoid; page-break-inside: avoid; }
.num { display: inline-block; min-width: 6mm; text-align: center; background: #111; color: #fff;
       border-radius: 1mm; margin-right: 1.5mm; padding: 0 1mm; }
.shows p { margin-left: 3mm; }
.predict { margin-top: 2mm; font-weight: 600; }
.predict p { margin: 0 0 1.5mm; }
ul.options { list-style: none; padding: 0; margin: 0 0 2mm; display: flex; flex-wrap: wrap; gap: 1.5mm 6mm; }
ul.options.long { display: block; }
ul.options li { display: flex; align-items: baseline; gap: 2mm; margin-bottom: 1mm; }
.tick { display: inline-block; width: 3.6mm; height: 3.6mm; border: 0.35mm solid #222; flex: none;
        position: relative; top: 0.5mm; }
.box { border: 0.4mm solid #222; border-radius: 1.5mm; min-height: 24mm; padding: 1.5mm 2.5mm; color: #555;
       font-size: 9pt; }
.blank { display: inline-block; min-width: 16mm; border-bottom: 0.3mm solid #222; height: 1.1em;
         vertical-align: -0.2em; }
.formula { margin: 1mm 0 2mm 3mm; font-size: 10.5pt; }
.formula sub .blank { min-width: 9mm; height: 0.9em; }
.frac { display: inline-flex; flex-direction: column; text-align: center; vertical-align: middle; }
.frac > span:first-child { border-bottom: 0.3mm solid #111; padding: 0 1mm; }
.frac > span:last-child { padding: 0 1mm; }
.math { font-family: "DejaVu Serif", "Noto Serif", serif; }
.green { color: #1a7f37; font-weight: 600; } .red { color: #b42318; font-weight: 600; }
.problem { color: #b42318; }
.answers { break-before: page; page-break-before: always; }
.answer { break-inside: avoid; page-break-inside: avoid; border-top: 0.3mm solid #999; padding: 2.5mm 0 1mm; }
.answer .key { font-size: 11pt; margin: 1mm 0 1.5mm; }
table { border-collapse: collapse; margin: 0 0 2mm; font-size: 9.5pt; }
th, td { border: 0.25mm solid #bbb; padding: 0.6mm 2.5mm; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.right td { font-weight: 700; background: #eef6ee; }
.foot { color: #555; font-size: 8.5pt; margin-top: 4mm; }
table.script { width: 100%; }
table.script td, table.script th { font-size: 8.5pt; line-height: 1.28; padding: 0.6mm 1.8mm; }
table.script td > p:last-child { margin-bottom: 0; }
table.script p { margin: 0 0 0.6mm; }
table.script p + p + p { color: #333; font-style: italic; }
.script-page { font-size: 9pt; line-height: 1.38; }
.script-page h1 { font-size: 13.5pt; }
.script-page h2 { font-size: 11pt; margin-top: 1.5mm; }
.script-page > p { margin-bottom: 1.2mm; }
.script-page ul { margin: 0 0 2mm; }
table.script td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
.script-page ul { padding-left: 5mm; }
@media screen { body { padding: 10mm 4mm; } .answers { margin-top: 12mm; border-top: 1mm dashed #bbb;
                padding-top: 6mm; } }
@media print { body { padding: 0; } a { color: inherit; text-decoration: none; } }
"""


def _document(lang: str, title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def stage_title(m: Messages, stage: lesson.Stage) -> str:
    """The stage's title from lesson.toml (its key while a new stage has no words yet)."""
    try:
        return m(f"lesson.{stage.key}.title")
    except KeyError:
        return stage.key


def _stage_title(m: Messages, sh: Sheet) -> str:
    title = stage_title(m, sh.stage)
    return f'<span class="num">{sh.n}</span>{esc(m("handout.stage", n=sh.n, title=title))}'


def _footer(m: Messages, cards: Mapping[str, dict], lang: str, made: date) -> str:
    text = fill(m, "handout.footer", {"models": _models_line(m, cards), "date": made.isoformat()}, lang) or ""
    return f'<div class="foot">{text}</div>'


def _models_line(m: Messages, cards: Mapping[str, dict]) -> str:
    return ", ".join(m(f"scorers.{name}") for name in cards)


# ---------------------------------------------------------------- the handout


def handout_html(lang: str, traces_for: TracesFor, cards: Mapping[str, dict],
                 stages: Sequence[lesson.Stage] | None = None, made: date | None = None) -> str:
    """The worksheet and, after a page break, the answers: one self-contained printable HTML page."""
    m = messages(lang)
    sheets = prepare(lang, traces_for, cards, stages)
    asked = sum(sh.question is not None for sh in sheets)
    out = [f"<header><h1>{esc(m('handout.title'))}</h1>",
           f'<p class="sub">{esc(m("handout.subtitle", stages=len(sheets), questions=asked))}</p>',
           f'<div class="who"><span>{esc(m("handout.name"))}</span><span>{esc(m("handout.date"))}</span></div>',
           fill(m, "handout.intro", {}, lang) or "", "</header>", "<main>"]
    for sh in sheets:
        out.append(_stage_html(m, sh, lang))
    out.append("</main>")
    out.append(_answers_html(m, sheets, lang, cards, made or date.today()))
    return _document(lang, m("handout.title"), "\n".join(out))


def _stage_html(m: Messages, sh: Sheet, lang: str) -> str:
    key = sh.stage.key
    parts = [f'<section class="stage" id="stage-{esc(key)}">', f"<h2>{_stage_title(m, sh)}</h2>"]
    if sh.problem:
        parts.append(f'<p class="problem">{esc(m("lesson.cannot", reason=sh.problem))}</p>')
        sh.values.setdefault("sentence", Word(sh.stage.sentence))
    body = fill(m, f"lesson.{key}.body", sh.values, lang)
    if body is None:  # a text this module cannot fill: at least the sentence the stage is about
        body = fill(m, "handout.sentence", {"sentence": Word(sh.stage.sentence)}, lang)
    parts.append(body or "")
    if sh.formula is not None:
        parts.append(softmax_html(sh.main, sh.formula["t"], sh.formula["word"], sh.formula.get("blank", False)))
    shows = [fill(m, k, {**sh.values, **v}, lang) for k, v in sh.shows]
    if any(shows):
        parts.append('<div class="shows">' + "".join(s for s in shows if s) + "</div>")
    q = sh.question
    if q is not None:
        prompt = _prompt(m, sh, lang) or ""
        long = q.kind == "translation" or max(len(option_label(m, q, o)) for o in q.options) > 24
        options = "".join(f'<li><span class="tick"></span>{esc(option_label(m, q, o))}</li>' for o in q.options)
        parts.append(f'<div class="predict">{fill(m, "handout.predict", {}, lang)}{prompt}</div>'
                     f'<ul class="options{" long" if long else ""}">{options}</ul>'
                     f'<div class="box">{esc(m("handout.box"))}</div>')
    parts.append("</section>")
    return "\n".join(parts)


def _answers_html(m: Messages, sheets: Sequence[Sheet], lang: str, cards: Mapping[str, dict], made: date) -> str:
    out = ['<section class="answers">', f"<h1>{esc(m('handout.answers_title'))}</h1>",
           fill(m, "handout.answers_intro", {}, lang) or ""]
    for sh in sheets:
        q = sh.question
        if q is None and not sh.blanks and not sh.after:
            continue
        parts = [f'<div class="answer" id="answer-{esc(sh.stage.key)}">', f"<h2>{_stage_title(m, sh)}</h2>"]
        if q is not None:
            parts.append(_prompt(m, sh, lang) or "")
            line = fill(m, _kind_key(lang, "answer", q.kind), answer_values(m, q), lang)
            parts.append(f'<div class="key">{line or ""}</div>')
            parts.append(_options_table(m, q, lang))
        for key, values in sh.after:
            parts.append(fill(m, key, values, lang) or "")
        if sh.blanks:
            parts.append(fill(m, "handout.blanks", {"words": Words(tuple(dict.fromkeys(sh.blanks)))}, lang) or "")
        parts.append("</div>")
        out.append("\n".join(parts))
    out.append(_footer(m, cards, lang, made))
    out.append("</section>")
    return "\n".join(out)


def _options_table(m: Messages, q: lesson.Question, lang: str) -> str:
    numbered = any(v is not None for v in q.values)
    head = f"<tr><th>{esc(m('handout.option'))}</th>"
    if numbered:
        head += f"<th>{esc(m(_kind_key(lang, 'value', q.kind)))}</th>"
    head += "<th></th></tr>"
    rows = []
    for i, (o, v) in enumerate(zip(q.options, q.values)):
        mark = esc(m("handout.answer_mark")) if i == q.answer else ""
        cells = f"<td>{esc(option_label(m, q, o))}</td>"
        if numbered:
            cells += f'<td class="n">{esc(_number(q, v, m))}</td>'
        rows.append(f'<tr{" class=right" if i == q.answer else ""}>{cells}<td>{mark}</td></tr>')
    return f"<table>{head}{''.join(rows)}</table>"


# ---------------------------------------------------------------- the class script


@dataclass(frozen=True)
class Row:
    start: int  # seconds from the start of the class
    end: int
    title: str
    todo: tuple[tuple[str, dict], ...]  # (message key, values)


def timings(sheets: Sequence[Sheet], total: int = CLASS_SECONDS) -> list[int]:
    """Seconds for each stage: what is left of the class after the opening and the close, shared by
    weight (a prediction counts double), in steps of GRAIN seconds, adding up exactly."""
    budget = total - OPEN_SECONDS - CLOSE_SECONDS
    weights = [QUESTION_WEIGHT if sh.question is not None else 1 for sh in sheets]
    unit = budget / max(sum(weights), 1)
    secs = [max(GRAIN, int(w * unit // GRAIN) * GRAIN) for w in weights]
    order = sorted(range(len(secs)), key=lambda i: (-weights[i], i))
    i = 0
    while sum(secs) < budget and order:  # the rest to the predictions first
        secs[order[i % len(order)]] += GRAIN
        i += 1
    while sum(secs) > budget and any(s > GRAIN for s in secs):
        j = max(range(len(secs)), key=lambda k: (secs[k], -k))
        secs[j] -= GRAIN
    return secs


def script_rows(lang: str, sheets: Sequence[Sheet], as_html: bool = True) -> list[Row]:
    m = messages(lang)
    rows = [Row(0, OPEN_SECONDS, m("handout.script.open_title"), (("handout.script.open", {}),))]
    t = OPEN_SECONDS
    cat = catalogue(lang)
    for sh, secs in zip(sheets, timings(sheets)):
        todo: list[tuple[str, dict]] = []
        point = f"handout.point.{sh.stage.key}"
        todo.append((point if point in cat else "handout.script.show", {}))
        q = sh.question
        if q is not None:
            if as_html:
                prompt = Markup(_unwrap(fill(m, f"lesson.{sh.stage.key}.prompt", sh.prompt_values, lang) or ""))
            else:
                prompt = Markup(fill_text(m, f"lesson.{sh.stage.key}.prompt", sh.prompt_values, lang) or "")
            todo.append(("handout.script.ask", {"prompt": prompt}))
            todo.append((_kind_key(lang, "answer", q.kind), answer_values(m, q)))
        title = stage_title(m, sh.stage)
        rows.append(Row(t, t + secs, m("handout.stage", n=sh.n, title=title), tuple(todo)))
        t += secs
    rows.append(Row(t, t + CLOSE_SECONDS, m("handout.script.close_title"), (("handout.script.close", {}),)))
    return rows


def clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _script_before(lang: str) -> list[tuple[str, dict]]:
    return [("handout.script.before_print", {}),
            ("handout.script.before_open", {"link": Word(f"/?view=lesson&present=1&lang={lang}")}),
            ("handout.script.before_keys", {}),
            ("handout.script.before_live", {"link": Word("/?class=new")})]


def script_html(lang: str, traces_for: TracesFor, cards: Mapping[str, dict],
                stages: Sequence[lesson.Stage] | None = None) -> str:
    """The teacher's one-page script for a 10-minute class, as printable HTML."""
    m = messages(lang)
    sheets = prepare(lang, traces_for, cards, stages)
    rows = script_rows(lang, sheets)
    out = [f"<h1>{esc(m('handout.script.title'))}</h1>",
           fill(m, "handout.script.intro", {"stages": len(sheets), "minutes": CLASS_SECONDS // 60}, lang) or "",
           fill(m, "handout.script.routine", {}, lang) or "",
           f"<h2>{esc(m('handout.script.before'))}</h2><ul>"]
    out += [f"<li>{_unwrap(fill(m, k, v, lang) or '')}</li>"
            for k, v in _script_before(lang)]
    out.append(f'</ul><table class="script"><tr><th>{esc(m("handout.script.time"))}</th>'
               f'<th>{esc(m("handout.script.activity"))}</th><th>{esc(m("handout.script.todo"))}</th></tr>')
    for r in rows:
        todo = "".join(fill(m, k, v, lang) or "" for k, v in r.todo)
        out.append(f'<tr><td class="time">{clock(r.start)}–{clock(r.end)}</td><td>{esc(r.title)}</td>'
                   f"<td>{todo}</td></tr>")
    out.append("</table>")
    out.append(_footer(m, cards, lang, date.today()))
    return _document(lang, m("handout.script.title"), '<div class="script-page">' + "\n".join(out) + "</div>")


def script_markdown(lang: str, traces_for: TracesFor, cards: Mapping[str, dict],
                    stages: Sequence[lesson.Stage] | None = None) -> str:
    """The same script as Markdown (docs/class-script-<lang>.md)."""
    m = messages(lang)
    sheets = prepare(lang, traces_for, cards, stages)
    rows = script_rows(lang, sheets, as_html=False)
    out = [f"# {m('handout.script.title')}", "",
           fill_text(m, "handout.script.intro", {"stages": len(sheets), "minutes": CLASS_SECONDS // 60}, lang) or "",
           "", fill_text(m, "handout.script.routine", {}, lang) or "",
           "", f"## {m('handout.script.before')}", ""]
    out += [f"- {fill_text(m, k, v, lang)}" for k, v in _script_before(lang)]
    out += ["", f"| {m('handout.script.time')} | {m('handout.script.activity')} | {m('handout.script.todo')} |",
            "|---|---|---|"]
    for r in rows:
        todo = "<br>".join((fill_text(m, k, v, lang) or "").replace("\n", " ") for k, v in r.todo)
        out.append(f"| {clock(r.start)}–{clock(r.end)} | {_md_escape(r.title)} | {todo.replace('|', chr(92) + '|')} |")
    out += ["", m("handout.footer", models=_models_line(m, cards), date=date.today().isoformat()), ""]
    return "\n".join(out)


# ---------------------------------------------------------------- command line


def add_handout_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=LANGS, default=LANGS[0], help="language of the sheet")
    p.add_argument("--out", required=True, help="file to write (.html; with --script, .md writes Markdown)")
    p.add_argument("--script", action="store_true", help="write the teacher's 10-minute class script instead")
    p.add_argument("--models", default=None, help="folder of model bundles (default: models/)")


def build(lang: str, script: bool, models_dir: str | Path | None = None, markdown: bool = False) -> str:
    from .checkpoint import DEFAULT_MODELS_DIR, load_all

    bundles = load_all(models_dir or DEFAULT_MODELS_DIR)
    cards = {name: b.card for name, b in bundles.items()}
    traces_for = bundle_traces(bundles)
    if not script:
        return handout_html(lang, traces_for, cards)
    return (script_markdown if markdown else script_html)(lang, traces_for, cards)


def main(args: argparse.Namespace) -> int:
    try:
        text = build(args.lang, args.script, args.models, markdown=str(args.out).endswith(".md"))
    except ValueError as e:
        print(f"handout: {e}", file=sys.stderr)
        return 2
    Path(args.out).write_text(text, encoding="utf-8")
    print(args.out)
    return 0


def handout_for(lang: str, bundles: Mapping) -> str:
    """The worksheet from loaded bundles (the lesson page's download button)."""
    return handout_html(lang, bundle_traces(bundles), {name: b.card for name, b in bundles.items()})


def script_for(lang: str, bundles: Mapping) -> str:
    """The class script from loaded bundles, as printable HTML (the lesson page's download button)."""
    return script_html(lang, bundle_traces(bundles), {name: b.card for name, b in bundles.items()})


def file_name(kind: str, lang: str) -> str:
    """attnviz-handout-ko.html, attnviz-class-script-en.html"""
    return f"attnviz-{kind}-{lang}.html"
