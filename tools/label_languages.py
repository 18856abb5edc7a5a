"""Adds `metadata: {language: <folder>}` to every intent block under data/nlu/<language>/.

The language identifier learns from these labels; run this after adding a training file.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"^(- intent: [^\n]+\n)(?!  metadata:)", re.MULTILINE)


def main() -> None:
    for path in sorted((ROOT / "data" / "nlu").glob("*/*.yml")):
        language = path.parent.name
        text = path.read_text(encoding="utf-8")
        labelled = _BLOCK.sub(rf"\1  metadata:\n    language: {language}\n", text)
        if labelled != text:
            path.write_text(labelled, encoding="utf-8")
            print(f"labelled {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
