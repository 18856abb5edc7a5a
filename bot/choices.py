"""Which of the choices the bot just offered a typed answer means, if any.

WeChat has no buttons (the choices go out as numbered lines, see ``numbered_lines``), and on
every channel people type "permanent", "12", "the Visa" or "dong y" instead of tapping.  The
NLU model reads such answers as new requests ("did you mean …?") or re-asks the question, so
the gateway asks ``match_choice`` first and hands the text to the model only when it is not an
answer.  The matcher is conservative on purpose: it picks a choice only when the text names
exactly one, says AMBIGUOUS when it fits several, and NOT_AN_ANSWER otherwise, so a new
question typed in the middle of a flow still reaches the model.

Standard library only: the gateway loads no Chinese converter, so Traditional characters are
folded to Simplified with a small table covering CardCare's titles and common answer words.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Choice", "Match", "Outcome", "match_choice", "numbered_lines"]


@dataclass(frozen=True)
class Choice:
    """One offered answer: the title the user sees and the payload sent to Rasa for it."""

    title: str
    payload: str


class Outcome(enum.Enum):
    """What a typed text is, relative to the choices offered."""

    CHOSEN = "chosen"  # it names exactly one choice: ``Match.choice``
    AMBIGUOUS = "ambiguous"  # it fits several: ``Match.candidates``, in display order
    NOT_AN_ANSWER = "not_an_answer"  # something else: give the text to the NLU model


@dataclass(frozen=True)
class Match:
    """The verdict on one typed text."""

    outcome: Outcome
    choice: Choice | None = None
    candidates: tuple[Choice, ...] = ()


_NOT_AN_ANSWER = Match(Outcome.NOT_AN_ANSWER)

# Traditional → Simplified for the characters in CardCare's zh-Hant titles and answer words;
# 帳 and 賬 both become 账 because that is how the zh-Hans titles write "bill".
_T2S = str.maketrans(
    "來個兌兩動務問啟單嗎報對幫張後應掛換數時條樣機沒無爭盜確碼種積細絕繳續臨與號複見訂設訴詐試該詳"
    "認語誤調請謝議變費資轉辦這選遺還長開閱關項題額騙體暫麼筆閉帳賬",
    "来个兑两动务问启单吗报对帮张后应挂换数时条样机没无争盗确码种积细绝缴续临与号复见订设诉诈试该详"
    "认语误调请谢议变费资转办这选遗还长开阅关项题额骗体暂么笔闭账账",
)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Amounts stay one token ("1,812.50", "9.9"), so "12" never matches inside them.
_TOKEN = re.compile(rf"\d+(?:[.,]\d+)*|[a-z]+(?:'[a-z]+)*|[{_HAN}]+")
# Words for a limit kind that some titles do not contain ("長期" for 固定额度, "vinh vien" for
# "cố định"), folded to one spelling in titles and text alike.
_SYNONYMS = {
    "permanent": ("permanently", "vinh vien", "co dinh", "永久", "长期", "固定"),
    "temporary": ("temporarily", "tam thoi", "临时", "短期", "暂时"),
}
_SYNONYM_PATTERNS = [
    (re.compile(rf"(?<![a-z']){v}(?![a-z'])" if v.isascii() else v), f" {canonical} ")
    for canonical, variants in _SYNONYMS.items() for v in variants]
# "12 期", "12 个月", "12 tháng" and "12 months" are one quantity in four languages.  Bare 月
# is left alone: "11月3日" is a date.
_MONTHS = re.compile(r"(?<![\d.,])(\d+)\s*(?:months?|thang|个月|期)(?![a-z])")

_STOP = frozenset({
    "a", "an", "one", "please", "pls", "plz", "i", "i'd", "i'll", "i'm", "want", "wanna", "would",
    "like", "take", "pick", "choose", "go", "with", "my", "me", "it", "this", "that", "thanks",
    "thx", "cai", "cho", "toi", "minh", "em", "nhe", "nhen", "di", "nha", "chon", "lay", "muon",
    "voi"})
# Dropped only when another word remains: "the visa card" is the Visa, "card" alone is not.
_CARD_WORDS = frozenset({"card", "cards", "the", "卡", "卡片", "信用卡"})  # "the" is also thẻ
# Words that point at a card number; content, not index ("ending 2" is not the second card).
_REFERENCE = frozenset({"ending", "ends", "in", "duoi"})
_REFERENCE_HAN = re.compile("尾号|尾数")
_HAN_FILLERS = "我要的那这个张笔吧啦呀吗请用选係咗啊就想了哦喔嘅嗰揀"

_ORDINALS = {w: i for i, w in enumerate(("first", "second", "third", "fourth", "fifth", "sixth",
                                         "seventh", "eighth", "ninth", "tenth"), start=1)}
_VI_NUMBERS = {"nhat": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6,
               "bay": 7, "tam": 8, "chin": 9, "muoi": 10}
_MARKERS = frozenset({"option", "number", "choice", "so", "thu"})  # "số 2", "thứ 2"
_LAST = frozenset({"last", "cuoi", "cuoi cung"})
_HAN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)} | {"两": 2}
_HAN_INDEX = re.compile(
    r"第(\d+|[一二两三四五六七八九十]+)[个张号项条种款位]?|(\d+)号|(最后)一?[个张项条]?")
# A line the user copied back from ``numbered_lines``: "1. Visa Platinum •••• 2468".
_COPIED_LINE = re.compile(r"\s*(\d+)\s*[.)、:]\s*(\S.*)", re.DOTALL)

_YES = (
    "yes", "y", "yeah", "yep", "yup", "ya", "sure", "ok", "okay", "confirm", "go ahead",
    "please do", "correct", "right",
    "是", "是的", "对", "对的", "好", "好的", "好啊", "可以", "确认", "嗯", "行", "没问题",
    "係", "係呀", "係啊", "好呀", "得", "冇問題",
    "có", "ừ", "u", "uh", "uhm", "ừm", "uk", "ừa", "vâng", "đồng ý", "đúng", "oke", "okie", "oki",
    "dc", "được")
_NO = (
    "no", "n", "nope", "nah", "cancel", "don't", "do not", "not now", "stop",
    "不", "不是", "不用", "不要", "不对", "不好", "不行", "不可以", "没有", "算了", "取消", "否",
    "唔係", "唔使", "唔要", "唔好", "唔得", "冇", "算啦",
    "không", "ko", "k", "kh", "hông", "hok", "thôi", "hủy", "không cần", "ko cần", "không có",
    "ko có")
# "dạ" alone is a yes, but before another word only politeness: "dạ không" is a no.
_SOFT_YES = ("dạ",)
# Politeness and particles that do not change a yes or a no ("dạ có ạ", "好的，谢谢", "ok nha").
_POLITE = (
    "please", "pls", "plz", "thanks", "thank you", "thx", "ty",
    "谢谢", "唔该", "了", "啦", "呀", "啊", "吧", "喇", "哦", "喔",
    "ạ", "nhé", "nha", "nhen", "đi", "rồi", "em", "tôi", "mình", "cảm ơn", "cám ơn", "đâu")

def numbered_lines(choices: Sequence[Choice]) -> str:
    """The choices as ``"1. title\\n2. title"``, for channels without buttons (WeChat)."""
    return "\n".join(f"{number}. {choice.title}" for number, choice in enumerate(choices, start=1))


def match_choice(text: str, choices: Sequence[Choice]) -> Match:
    """Decide which of ``choices`` (as offered, numbered from 1) the typed ``text`` means.

    Args:
        text: what the user typed, in any of CardCare's languages and scripts.
        choices: the choices the bot offered last, in display order.

    Returns:
        CHOSEN with ``choice`` when the text names exactly one choice (its number, its title or
        a distinctive part of it, or yes/no on a yes/no question); AMBIGUOUS with ``candidates``
        when it fits several; NOT_AN_ANSWER otherwise (a question, another request, chit-chat).
    """
    choices = tuple(choices)
    query = _normalise(text)
    if not choices or not _TOKEN.search(query):
        return _NOT_AN_ANSWER
    titles = [_Title.of(choice.title) for choice in choices]
    exact = _exact(text, query, titles)
    if exact is not None:
        return _pick(choices, exact)
    said = _yes_no_words(query)
    if said is not None:
        pair = _yes_no_pair(choices)
        if pair and said == {"yes"}:
            return Match(Outcome.CHOSEN, pair[0])
        if pair and said == {"no"}:
            return Match(Outcome.CHOSEN, pair[1])
        # Both, only "thanks", or a yes/no to another kind of question, where "取消" may cancel
        # the flow and folded Vietnamese would read "no" and "dung" in "dư nợ", "tín dụng".
        return _NOT_AN_ANSWER
    index = _index(query, len(choices))
    if index is not None:
        number, bare = index
        if 1 <= number <= len(choices):
            return _pick(choices, _by_number(number, bare, titles))
        if not bare:
            return _NOT_AN_ANSWER
        # Out of range, a number is not an index but may be part of a title: "12", "2468".
        return _pick(choices, _by_content([str(number)], [], titles))
    words, pieces = _content(query)
    if not (words or pieces) or len(words) > 6 or sum(map(len, pieces)) > 12:
        return _NOT_AN_ANSWER  # long messages are new requests, not answers
    return _pick(choices, _by_content(words, pieces, titles))


@dataclass(frozen=True)
class _Title:
    """A title as compared: its tokens, and its Han runs joined (for substrings)."""

    tokens: tuple[str, ...]
    words: frozenset[str]
    han: str

    @classmethod
    def of(cls, title: str) -> _Title:
        tokens = tuple(_TOKEN.findall(_normalise(title)))
        return cls(tokens, frozenset(t for t in tokens if not _is_han(t)),
                   "".join(t for t in tokens if _is_han(t)))


def _normalise(text: str) -> str:
    """Casefolded, half-width, without Vietnamese diacritics, Simplified, synonyms folded."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("đ", "d").replace("’", "'")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.translate(_T2S)
    for pattern, canonical in _SYNONYM_PATTERNS:
        text = pattern.sub(canonical, text)
    return _MONTHS.sub(r"\1 months", text)


def _is_han(token: str) -> bool:
    return token[0] >= "\u3400"  # tokens are digits, a-z or Han


def _pick(choices: tuple[Choice, ...], indices: Iterable[int]) -> Match:
    found = sorted(set(indices))
    if not found:
        return _NOT_AN_ANSWER
    if len(found) == 1:
        return Match(Outcome.CHOSEN, choices[found[0]])
    return Match(Outcome.AMBIGUOUS, candidates=tuple(choices[i] for i in found))


def _exact(text: str, query: str, titles: list[_Title]) -> list[int] | None:
    """The titles the whole text is, typed or copied back with its line number."""
    tokens = tuple(_TOKEN.findall(query))
    same = [i for i, title in enumerate(titles) if title.tokens == tokens]
    if same:
        return same
    line = _COPIED_LINE.fullmatch(unicodedata.normalize("NFKC", text))
    if not line or not 1 <= int(line[1]) <= len(titles):
        return None
    position = int(line[1]) - 1
    copied = tuple(_TOKEN.findall(_normalise(line[2])))
    return [position] if titles[position].tokens == copied else None


def _yes_no_pair(choices: tuple[Choice, ...]) -> tuple[Choice, Choice] | None:
    """(yes, no) when the question is yes/no: two choices, exactly one of them ``/deny``."""
    deny = [c for c in choices if c.payload.partition("{")[0].strip() == "/deny"]
    if len(choices) != 2 or len(deny) != 1:
        return None
    return next(c for c in choices if c is not deny[0]), deny[0]


@functools.cache
def _lexicon() -> list[tuple[str, str]]:
    entries = {_normalise(w).strip(): label
               for label, words in (("", _POLITE), ("soft", _SOFT_YES), ("yes", _YES), ("no", _NO))
               for w in words}
    return sorted(entries.items(), key=lambda entry: -len(entry[0]))  # longest first: 不是 over 不


def _yes_no_words(query: str) -> set[str] | None:
    """{"yes"}, {"no"}, both, or none (only politeness) if the text is nothing but such words."""
    text = re.sub(r"[^\w']+|_", " ", query)
    said: set[str] = set()
    at = 0
    while at < len(text):
        if text[at] == " ":
            at += 1
            continue
        for word, label in _lexicon():
            end = at + len(word)
            follows = text[end:end + 1]  # a Latin word must end there: "ok", not "okay"'s start
            if text.startswith(word, at) and not (word.isascii() and follows.isascii()
                                                  and follows.isalnum()):
                said.update([label] if label else [])
                at = end
                break
        else:
            return None
    return {"yes"} if said == {"soft"} else said - {"soft"}


def _index(query: str, count: int) -> tuple[int, bool] | None:
    """The position the text picks, and whether it was a bare number ("3", not "option 3")."""
    compact = "".join(_TOKEN.findall(query)).strip(_HAN_FILLERS)
    han = _HAN_INDEX.fullmatch(compact)
    if han:
        if han[3]:
            return count, False
        numeral = han[1] or han[2]
        return (int(numeral) if numeral.isdigit() else _han_number(numeral)), False
    words = [w for w in _TOKEN.findall(re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", query))
             if w not in _STOP and w not in _CARD_WORDS and w.strip(_HAN_FILLERS)]
    if " ".join(words) in _LAST:
        return count, False
    if words == ["dau", "tien"]:  # đầu tiên, "the first"
        return 1, False
    if len(words) == 1 and words[0].isdigit():
        return int(words[0]), True
    if len(words) == 1 and words[0] in _ORDINALS:
        return _ORDINALS[words[0]], False
    if len(words) == 2 and words[0] in _MARKERS:
        marker, value = words
        if value.isdigit():
            return int(value), False
        if marker in {"so", "thu"} and value in _VI_NUMBERS:  # "thứ hai", "số một"
            return _VI_NUMBERS[value], False
    return None


def _han_number(numeral: str) -> int:
    """一 … 九十九, with 两 for 2; 0 (no position) for anything else."""
    tens, ten, ones = numeral.partition("十")
    if not ten:
        return _HAN_DIGITS[numeral] if len(numeral) == 1 else 0
    if len(tens) > 1 or len(ones) > 1:
        return 0
    return _HAN_DIGITS.get(tens, 1) * 10 + _HAN_DIGITS.get(ones, 0)


def _by_number(number: int, bare: bool, titles: list[_Title]) -> list[int]:
    """The choice at ``number``, or it and the choices whose title starts with that quantity."""
    if not bare:
        return [number - 1]
    # "3" among "3 months", "6 months", "12 months": the third line, or three months?  Only a
    # leading quantity competes: the days and amounts in dates and prices ("3 thg 11") are not.
    quantity = [i for i, title in enumerate(titles) if title.tokens[:2] == (str(number), "months")]
    return [number - 1, *quantity]


def _content(query: str) -> tuple[list[str], list[str]]:
    """The text's content words (Latin, digits) and Han pieces, fillers and stop words dropped."""
    words: list[str] = []
    pieces: list[str] = []
    for token in _TOKEN.findall(query):
        if _is_han(token):
            parts = (part.strip(_HAN_FILLERS) for part in _REFERENCE_HAN.split(token))
            pieces += [part for part in parts if part]
        elif token not in _STOP and token not in _REFERENCE:
            words.append(token)
    if any(w not in _CARD_WORDS for w in words + pieces):
        words = [w for w in words if w not in _CARD_WORDS]
        pieces = [p for p in pieces if p not in _CARD_WORDS]
    return words, pieces


def _by_content(words: list[str], pieces: list[str], titles: list[_Title]) -> list[int]:
    """The titles that contain every word (as a whole word) and every Han piece."""
    return [i for i, title in enumerate(titles)
            if all(w in title.words for w in words) and all(p in title.han for p in pieces)]
