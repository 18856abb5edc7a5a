"""Text normalisation shared by the tokenizer, language identification and entity rules.

Everything here is a pure function of the text so the same message always yields the same
features, in training and at inference.  Normalisation keeps a map back to the original
character offsets: Rasa's entities and the extractor's token spans must point into the text the user
actually wrote.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import opencc

# OpenCC's phrase-level conversion changes the length of some words; CardCare only needs the
# character tables so offsets stay valid, so we read the tables the package ships instead of
# calling its converter.
_OPENCC_DICTIONARY = Path(opencc.__file__).parent / "dictionary"


def _read_table(name: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in (_OPENCC_DICTIONARY / name).read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and targets:
            table[source] = targets.split(" ")
    return table


@dataclass(frozen=True)
class ScriptTables:
    """Character tables for Traditional ↔ Simplified Chinese."""

    to_simplified: dict[str, str]
    traditional_only: frozenset[str]
    simplified_only: frozenset[str]


@functools.lru_cache(maxsize=1)
def script_tables() -> ScriptTables:
    """Loads OpenCC's character tables once per process."""
    t2s = _read_table("TSCharacters.txt")
    s2t = _read_table("STCharacters.txt")
    to_simplified = {trad: simp[0] for trad, simp in t2s.items() if len(trad) == 1}
    traditional_only = frozenset(
        trad for trad, simp in to_simplified.items() if simp != trad and trad not in s2t
    )
    simplified_only = frozenset(
        simp
        for simp, trads in s2t.items()
        if len(simp) == 1 and simp not in trads and simp not in t2s
    )
    return ScriptTables(to_simplified, traditional_only, simplified_only)


_VIETNAMESE_D = str.maketrans({"đ": "d", "Đ": "D"})


def fold_diacritics(text: str) -> str:
    """Removes Vietnamese (and other Latin) diacritics: ``"thẻ bị khóa"`` → ``"the bi khoa"``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_VIETNAMESE_D))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Vietnamese chat shorthand ("teen-code") mapped to the folded word it stands for.  Only
# shorthands with one dominant reading in a card-service chat are listed: "ck" is
# "chuyển khoản" here, "bn" is "bao nhiêu".
TEEN_CODE: dict[str, str] = {
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "hong": "khong",
    "hem": "khong", "kg": "khong", "khg": "khong",
    "dc": "duoc", "dk": "duoc", "đc": "duoc", "đk": "duoc", "duoc": "duoc",
    "j": "gi", "z": "vay", "dzay": "vay", "r": "roi", "ròi": "roi",
    "mk": "minh", "mik": "minh", "mjk": "minh", "ck": "chuyen", "bn": "bao",
    "ns": "noi", "vs": "voi", "mún": "muon", "mun": "muon", "wa": "qua", "ak": "a",
    "oke": "ok", "okie": "ok", "nka": "nha", "bik": "biet",
    "bít": "biet", "ntn": "nhu", "cj": "chi", "sdt": "so", "tk": "tai",
}


@dataclass(frozen=True)
class NormalizedText:
    """A normalised copy of a text with, for each character, its span in the original."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Maps a ``[start, end)`` span of the normalised text back to the original."""
        return self.starts[start], self.ends[end - 1]


def normalize(text: str) -> NormalizedText:
    """Case-folds, unifies full/half width (NFKC) and maps Traditional to Simplified characters.

    A base character and the combining marks that follow it are normalised together, so
    Vietnamese typed with decomposed accents (``e`` + U+0301) is composed as well.
    """
    to_simplified = script_tables().to_simplified
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j]).lower()
        for ch in piece:
            chars.append(to_simplified.get(ch, ch))
            starts.append(i)
            ends.append(j)
        i = j
    return NormalizedText("".join(chars), tuple(starts), tuple(ends))


def to_simplified(text: str) -> str:
    """Maps Traditional characters to Simplified, character by character."""
    table = script_tables().to_simplified
    return "".join(table.get(ch, ch) for ch in text)


def lemma(token: str) -> str:
    """The folded form of a normalised token, used as a second set of features.

    Vietnamese written with and without diacritics, and common shorthand, share a lemma, so
    what the model learns from ``"khóa thẻ"`` also serves ``"khoa the"``.
    """
    folded = fold_diacritics(token)
    return TEEN_CODE.get(token, TEEN_CODE.get(folded, folded))
