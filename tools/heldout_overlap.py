"""Lists held-out NLU examples that also occur in the training data (they must not).

Usage: python tools/heldout_overlap.py [--drop | --drop-training]
A held-out set is only honest when none of its messages was trained on.  With --drop, the
overlapping examples are removed from the held-out files (while a set is being written);
with --drop-training, from the training files (once the held-out set is fixed).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The project's own held-out sets and the blind ones (cardcare/dev/evaluation.py).
HELDOUT_DIRS = (ROOT / "tests" / "nlu" / "heldout", ROOT / "tests" / "nlu" / "independent")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def key(text: str) -> str:
    """Comparison key: annotations removed, case and punctuation ignored."""
    return re.sub(r"[\W_]+", "", _ANNOTATION.sub(r"\1", text).lower())


def examples(path: Path) -> list[tuple[str, list[str]]]:
    """(intent, examples) blocks of a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        (block["intent"], [line.strip()[2:] for line in block["examples"].splitlines()
                           if line.strip().startswith("- ")])
        for block in data.get("nlu", []) if "intent" in block
    ]


def training_keys() -> set[str]:
    """Comparison keys of every training example."""
    return {key(e) for p in (ROOT / "data" / "nlu").rglob("*.yml")
            for _, es in examples(p) for e in es}


def main(drop: bool) -> int:
    trained = training_keys()
    total = 0
    for path in sorted(p for d in HELDOUT_DIRS for p in d.glob("*.yml")):
        blocks = examples(path)
        kept_blocks = []
        counts: Counter[str] = Counter()
        for intent, items in blocks:
            kept = [e for e in items if key(e) not in trained]
            total += len(items) - len(kept)
            counts[intent] = len(kept)
            kept_blocks.append((intent, kept))
        short = {i: n for i, n in counts.items() if n < 20}
        overlapping = sum(len(i) for _, i in blocks) - sum(counts.values())
        print(f"{path.relative_to(ROOT)}: {overlapping} overlapping;"
              f" under 20 after removal: {short or 'none'}")
        if drop:
            lines = ['version: "3.1"', "nlu:"]
            for intent, items in kept_blocks:
                lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {e}" for e in items]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if total and not drop else 0


def drop_from_training() -> int:
    """Removes training examples that a held-out set contains; returns how many."""
    heldout = {key(e) for d in HELDOUT_DIRS for p in d.glob("*.yml")
               for _, es in examples(p) for e in es}
    removed = 0
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines
                if not (line.strip().startswith("- ") and line.startswith("    ")
                        and key(line.strip()[2:]) in heldout)]
        if len(kept) != len(lines):
            removed += len(lines) - len(kept)
            path.write_text("".join(kept), encoding="utf-8")
            print(f"{path.relative_to(ROOT)}: removed {len(lines) - len(kept)}")
    return removed


if __name__ == "__main__":
    if "--drop-training" in sys.argv:
        drop_from_training()
        sys.exit(0)
    sys.exit(main("--drop" in sys.argv))
