"""What a store kept, as the strings a secret could hide in."""

from __future__ import annotations

from typing import Any


def strings(node: Any) -> list[str]:
    """Every string in a JSON document.  Timestamps are numbers, so a code's digits found
    by chance inside one ("1796526679.8741982" holds "741") are not taken for a leak."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []
