"""Evaluates the NLU model on the held-out sets (never trained on).

Two kinds of sets, per language: the project's own (`tests/nlu/heldout/`, written apart from
the training data by its authors) and the blind ones (`tests/nlu/independent/`, written by
authors who saw only `docs/intents.md`, never `data/`), which measure generalisation.

Reports per language: intent accuracy and macro-F1 (a message the model declines with
``nlu_fallback`` counts as wrong), the same without the fallback, language identification
accuracy, the top confusions and the in-process parse latency.  Language identification is
scored on the messages that hold any writing in the set's script; the others (a bare
"NT$2,500" or "Starbucks" in the Traditional Chinese set) are counted as unscored.
Vietnamese is reported three ways: as written with diacritics, the natively undiacritised
set, and the diacritised set with its diacritics stripped mechanically (same messages, so the
gap isolates diacritics)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cardcare.conversation import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
# The product's targets (issue "Multilingual Rasa foundation"): macro-F1 per language,
# undiacritised Vietnamese within 3 points, language identification per language.
TARGET_MACRO_F1 = 0.93
TARGET_DIACRITICS_GAP = 0.03
TARGET_LANGUAGE_ACCURACY = 0.98
# Issue "Understanding that generalises", on the blind sets: macro-F1 per language as above,
# undiacritised Vietnamese within 2 points, out-of-scope recall with in-scope accuracy.
TARGET_BLIND_DIACRITICS_GAP = 0.02
TARGET_OOS_RECALL = 0.85
TARGET_IN_SCOPE_ACCURACY = 0.92
HELDOUT_DIR = ROOT / "tests" / "nlu" / "heldout"
BLIND_DIR = ROOT / "tests" / "nlu" / "independent"
BLIND_PREFIX = "blind/"
FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
# Fallback thresholds for the trade-off table: what a threshold would give on each set.
TRADEOFF_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
# The confusable pairs the issue "Understanding that generalises" found on independent sets;
# each is counted in both directions on every set so the report shows whether it is gone.
WATCHED_PAIRS = (
    ("card_application", OUT_OF_SCOPE),
    ("report_fraud", "lost_card"),
    ("report_fraud", "fraud_advice"),
    ("lost_card", "fraud_advice"),
    ("fees_interest", "dispute_charge"),
    ("fees_interest", "payment_info"),
    ("repayment_plan", "payment_info"),
    ("complaint", "dispute_charge"),
    ("installment", "list_transactions"),
    ("installment", "repayment_plan"),
)


@dataclass(frozen=True)
class HeldOutSet:
    """Labelled messages of one language."""

    name: str
    language: str
    examples: tuple[tuple[str, str], ...]  # (text, intent)


@dataclass
class SetReport:
    """Figures for one held-out set."""

    name: str
    examples: int
    accuracy: float
    macro_f1: float
    macro_f1_without_fallback: float
    fallback_rate: float
    language_accuracy: float
    language_unscored: int
    # Out-of-scope messages declined (out_of_scope or the fallback), and the others' accuracy.
    oos_recall: float | None = None
    in_scope_accuracy: float | None = None
    # threshold -> (oos_recall, in_scope_accuracy) had the fallback used that threshold.
    tradeoff: dict[float, tuple[float | None, float | None]] = field(default_factory=dict)
    top_confusions: list[tuple[str, str, int]] = field(default_factory=list)
    # "a↔b" -> messages of either intent taken for the other (WATCHED_PAIRS).
    watched_confusions: dict[str, int] = field(default_factory=dict)
    per_intent_f1: dict[str, float] = field(default_factory=dict)
    wrong_language: list[tuple[str, str]] = field(default_factory=list)


def load_heldout(directory: Path = HELDOUT_DIR, prefix: str = "") -> list[HeldOutSet]:
    """Loads every held-out file of a folder, plus the mechanically undiacritised Vietnamese
    set; each set is named by its file, after ``prefix``."""
    from rasa.shared.nlu.training_data.loading import load_data

    from nlu.normalize import fold_diacritics

    sets = []
    for path in sorted(directory.glob("*.yml")):
        data = load_data(str(path))
        examples = tuple(
            (m.get("text"), m.get("intent")) for m in data.intent_examples if m.get("text")
        )
        language = path.stem.split("-nodiacritics")[0]
        sets.append(HeldOutSet(prefix + path.stem, language, examples))
        if path.stem == "vi":
            folded = tuple((fold_diacritics(text), intent) for text, intent in examples)
            sets.append(HeldOutSet(f"{prefix}vi-folded", "vi", folded))
    return sets


def load_all() -> list[HeldOutSet]:
    """The project's own held-out sets, then the blind ones."""
    return load_heldout() + load_heldout(BLIND_DIR, BLIND_PREFIX)


def out_of_scope_figures(gold: list[str], predicted: list[str]
                         ) -> tuple[float | None, float | None]:
    """Share of out-of-scope messages declined (as out_of_scope or by the fallback), and
    accuracy on the in-scope ones (the fallback counts as wrong there)."""
    declined = [p in (OUT_OF_SCOPE, FALLBACK_INTENT) for g, p in zip(gold, predicted, strict=True)
                if g == OUT_OF_SCOPE]
    right = [g == p for g, p in zip(gold, predicted, strict=True) if g != OUT_OF_SCOPE]
    return (sum(declined) / len(declined) if declined else None,
            sum(right) / len(right) if right else None)


def _top(parse: dict[str, Any]) -> tuple[str, float]:
    """The classifier's best intent and confidence, whatever the fallback decided."""
    for entry in parse.get("intent_ranking", []):
        if entry["name"] != FALLBACK_INTENT:
            return entry["name"], float(entry.get("confidence", 0.0))
    return FALLBACK_INTENT, 0.0


def _macro_f1(gold: list[str], predicted: list[str]) -> tuple[float, dict[str, float]]:
    from sklearn.metrics import f1_score

    labels = sorted(set(gold))
    scores = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    per_intent = {label: float(score) for label, score in zip(labels, scores, strict=True)}
    return float(statistics.fmean(scores)), per_intent


def report(heldout: HeldOutSet, parses: list[dict[str, Any]]) -> SetReport:
    """Computes the figures of one set from its parse results (same order as examples)."""
    from nlu.language import writes_in_script_of

    gold = [intent for _, intent in heldout.examples]
    predicted = [p["intent"]["name"] for p in parses]
    without_fallback = []
    for parse in parses:
        ranking = [r["name"] for r in parse.get("intent_ranking", [])
                   if r["name"] != FALLBACK_INTENT]
        without_fallback.append(ranking[0] if ranking else FALLBACK_INTENT)
    macro, per_intent = _macro_f1(gold, predicted)
    macro_raw, _ = _macro_f1(gold, without_fallback)
    languages = [
        ((p.get("language") or {}).get("code"), text)
        for p, (text, _) in zip(parses, heldout.examples, strict=True)
        if writes_in_script_of(text, heldout.language)
    ]
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    oos_recall, in_scope = out_of_scope_figures(gold, predicted)
    tops = [_top(p) for p in parses]
    tradeoff = {
        threshold: out_of_scope_figures(
            gold, [name if confidence >= threshold else FALLBACK_INTENT
                   for name, confidence in tops])
        for threshold in TRADEOFF_THRESHOLDS
    }
    return SetReport(
        name=heldout.name,
        examples=len(gold),
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        macro_f1=macro,
        macro_f1_without_fallback=macro_raw,
        fallback_rate=predicted.count(FALLBACK_INTENT) / len(gold),
        language_accuracy=sum(lang == heldout.language for lang, _ in languages) / len(languages),
        language_unscored=len(gold) - len(languages),
        oos_recall=oos_recall,
        in_scope_accuracy=in_scope,
        tradeoff=tradeoff,
        top_confusions=[(g, p, n) for (g, p), n in confusions.most_common(8)],
        watched_confusions={f"{a}↔{b}": confusions[(a, b)] + confusions[(b, a)]
                            for a, b in WATCHED_PAIRS},
        per_intent_f1=per_intent,
        wrong_language=[(text, str(lang)) for lang, text in languages if lang != heldout.language],
    )


async def parse_all(agent: Any, texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
    """Parses texts one by one with the loaded agent; returns parses and latencies in ms."""
    parses, latencies = [], []
    for text in texts:
        start = time.perf_counter()
        parses.append(await agent.parse_message(text))
        latencies.append((time.perf_counter() - start) * 1000)
    return parses, latencies


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def evaluate(model: Path) -> dict[str, Any]:
    """Runs the whole evaluation and returns the figures as JSON-ready data."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message("warm up")  # first call builds TensorFlow's graph
    reports, all_latencies = [], []
    for heldout in load_all():
        parses, latencies = await parse_all(agent, [text for text, _ in heldout.examples])
        all_latencies += latencies
        reports.append(report(heldout, parses))
    return {
        "model": model.name,
        "sets": [asdict(r) for r in reports],
        "latency_ms": {
            "messages": len(all_latencies),
            "p50": percentile(all_latencies, 50),
            "p99": percentile(all_latencies, 99),
            "max": max(all_latencies),
        },
    }


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_results(results: dict[str, Any]) -> str:
    """Human-readable tables of the figures."""
    lines = [
        f"{'set':<24}{'n':>5}{'acc':>7}{'macroF1':>9}{'F1 no-fb':>10}{'fallback':>10}"
        f"{'lang-id':>9}{'OOS rec':>9}{'in-scope':>10}"
    ]
    for s in results["sets"]:
        lines.append(
            f"{s['name']:<24}{s['examples']:>5}{s['accuracy']:>7.3f}{s['macro_f1']:>9.3f}"
            f"{s['macro_f1_without_fallback']:>10.3f}{s['fallback_rate']:>10.3f}"
            f"{s['language_accuracy']:>9.3f}{_share(s['oos_recall']):>9}"
            f"{_share(s['in_scope_accuracy']):>10}"
        )
    lines.append("\nout-of-scope recall / in-scope accuracy, had the fallback threshold been:")
    lines.append(f"{'set':<24}" + "".join(f"{t:>14}" for t in TRADEOFF_THRESHOLDS))
    for s in results["sets"]:
        if s["oos_recall"] is None:
            continue
        cells = [f"{_share(r)}/{_share(a)}" for r, a in
                 (s["tradeoff"][t] for t in TRADEOFF_THRESHOLDS)]
        lines.append(f"{s['name']:<24}" + "".join(f"{c:>14}" for c in cells))
    lat = results["latency_ms"]
    lines.append(
        f"\nparse latency over {lat['messages']} messages (in-process): "
        f"p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms"
    )
    for s in results["sets"]:
        confusions = ", ".join(f"{g}→{p} ×{n}" for g, p, n in s["top_confusions"][:5])
        lines.append(f"top confusions {s['name']}: {confusions or 'none'}")
    lines.append("\nconfusable pairs (both directions), per set:")
    names = [s["name"] for s in results["sets"]]
    lines.append(f"{'pair':<38}" + "".join(f"{n.split('/')[-1][:8]:>9}" for n in names))
    lines.append(f"{'':<38}" + "".join(f"{'blind' if '/' in n else 'own':>9}" for n in names))
    for a, b in WATCHED_PAIRS:
        key = f"{a}↔{b}"
        lines.append(f"{key:<38}" + "".join(
            f"{s['watched_confusions'].get(key, 0):>9}" for s in results["sets"]))
    lines.append("")
    lines += [f"target {name}: {'met' if ok else 'NOT met'}" for name, ok in targets(results)]
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each product target with whether this evaluation meets it."""
    sets = {s["name"]: s for s in results["sets"]}
    checks = []
    for prefix, gap_target in (("", TARGET_DIACRITICS_GAP),
                               (BLIND_PREFIX, TARGET_BLIND_DIACRITICS_GAP)):
        checks += [
            (f"macro-F1 >= {TARGET_MACRO_F1} ({name}: {sets[name]['macro_f1']:.3f})",
             sets[name]["macro_f1"] >= TARGET_MACRO_F1)
            for name in (prefix + language for language in LANGUAGES) if name in sets
        ]
        for name in (f"{prefix}vi-nodiacritics", f"{prefix}vi-folded"):
            if name in sets and f"{prefix}vi" in sets:
                gap = sets[f"{prefix}vi"]["macro_f1"] - sets[name]["macro_f1"]
                checks.append((f"{name} within {gap_target:.2f} of {prefix}vi "
                               f"(gap {gap:+.3f})", gap <= gap_target))
    for name, s in sets.items():
        if name.startswith(BLIND_PREFIX) and s["oos_recall"] is not None:
            checks.append((
                f"out-of-scope recall >= {TARGET_OOS_RECALL} with in-scope accuracy >= "
                f"{TARGET_IN_SCOPE_ACCURACY} ({name}: {s['oos_recall']:.3f}, "
                f"{_share(s['in_scope_accuracy'])})",
                s["oos_recall"] >= TARGET_OOS_RECALL
                and (s["in_scope_accuracy"] or 0.0) >= TARGET_IN_SCOPE_ACCURACY))
    checks += [
        (f"language id >= {TARGET_LANGUAGE_ACCURACY} ({name}: {s['language_accuracy']:.3f})",
         s["language_accuracy"] >= TARGET_LANGUAGE_ACCURACY)
        for name, s in sets.items() if not name.endswith("vi-folded")
    ]
    latency = results["latency_ms"]["p99"]
    checks.append((f"parse p99 < 50 ms ({latency:.1f} ms)", latency < 50))
    return checks


def quiet_logs() -> None:
    """Keeps Rasa's per-message debug lines out of an evaluation's output."""
    import logging

    import structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main(model: Path, out: Path) -> int:
    """`make eval`: evaluates, writes `results/nlu_eval.json` and prints the figures."""
    quiet_logs()
    results = asyncio.run(evaluate(model))
    out.mkdir(parents=True, exist_ok=True)
    (out / "nlu_eval.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print(format_results(results))
    print(f"\nwritten to {out / 'nlu_eval.json'}")
    return 0
