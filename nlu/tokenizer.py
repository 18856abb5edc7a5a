"""A tokenizer for messages that mix Chinese, Vietnamese and English.

Rasa's ``JiebaTokenizer`` is Chinese-only and shreds Vietnamese at every accented letter, and
``WhitespaceTokenizer`` refuses Chinese.  This tokenizer segments Han runs with a private jieba
instance (plus a banking dictionary) and everything else by Unicode word boundaries.  Tokens
carry the normalised text (lower case, half width, Simplified) and, as lemma, the folded form
(no diacritics, teen-code expanded); offsets point into the original message.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import jieba
import regex
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalize import lemma, normalize, to_simplified

logger = logging.getLogger(__name__)

DEFAULT_DICTIONARY = Path(__file__).parent / "resources" / "banking_dict.txt"
_DICTIONARY_FILE = "banking_dict.txt"
# High enough that jieba keeps an annotated merchant name in one piece.
_ENTITY_WORD_FREQUENCY = 20000
_HAN_RUN = regex.compile(r"\p{Han}+")

# Han runs, numbers with thousands/decimal separators, other letter/digit runs, and the
# symbols that carry meaning in a card chat (currency signs, emoji).
_TOKEN = regex.compile(
    r"(?P<han>\p{Han}+)"
    r"|(?P<num>\d+(?:[.,]\d+)+)"
    # A trailing "+" belongs to the word: merchant names such as "Disney+" or "Apple TV+".
    r"|(?P<word>(?:(?!\p{Han})[\p{L}\p{M}\p{N}])+\+?)"
    r"|(?P<sym>[$¥€£₫%]|\p{So})"
)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class MultilingualTokenizer(Tokenizer):
    """Tokenizes English, Vietnamese and Chinese (both scripts) in one pass."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config; ``dictionary_path`` adds words to jieba."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # A jieba user dictionary ("word freq tag" per line) in Simplified Chinese, since
            # the tokenizer segments the Simplified form of every message.
            "dictionary_path": str(DEFAULT_DICTIONARY),
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        """All languages: this component exists to handle several in one model."""
        return None

    @staticmethod
    def required_packages() -> list[str]:
        """Third-party packages the component imports."""
        return ["jieba"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        dictionary: Path | None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._dictionary = dictionary
        # A private jieba instance: jieba's module-level tokenizer is global state that other
        # code in the process could change.
        self._jieba = jieba.Tokenizer()
        if dictionary is not None:
            self._jieba.load_userdict(str(dictionary))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        """Creates the tokenizer for training, using the configured dictionary."""
        path = config.get("dictionary_path")
        return cls(config, model_storage, resource, Path(path) if path else None)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MultilingualTokenizer:
        """Loads the tokenizer with the dictionary persisted in the model."""
        try:
            with model_storage.read_from(resource) as directory:
                dictionary = directory / _DICTIONARY_FILE
                # jieba reads the file lazily; copy it out of the temporary model folder.
                text = dictionary.read_text(encoding="utf-8") if dictionary.exists() else None
        except ValueError:
            text = None
        tokenizer = cls(config, model_storage, resource, None)
        if text:
            tokenizer._load_words(text)
        return tokenizer

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrains when the dictionary file changes, not only when the config does."""
        path = config.get("dictionary_path")
        if not path or not Path(path).exists():
            return None
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    def _load_words(self, text: str) -> None:
        for line in text.splitlines():
            parts = line.split()
            if parts:
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                self._jieba.add_word(parts[0], freq)

    def train(self, training_data: TrainingData) -> Resource:
        """Persists the dictionary, plus the Chinese entity values annotated in training data.

        Annotated values ("[盒马](merchant)") become jieba words, so entity boundaries match
        token boundaries and the entity extractor can learn them.  Only the Han runs of a value
        are segmented by jieba, so "759阿信屋" adds "阿信屋".
        """
        lines = []
        if self._dictionary is not None:
            lines = self._dictionary.read_text(encoding="utf-8").splitlines()
        known = {line.split()[0] for line in lines if line.strip()}
        for example in training_data.entity_examples:
            for entity in example.get(ENTITIES, []):
                value = to_simplified(example.get(TEXT)[entity["start"]:entity["end"]].lower())
                for word in _HAN_RUN.findall(value):
                    if word not in known:
                        known.add(word)
                        lines.append(f"{word} {_ENTITY_WORD_FREQUENCY} nz")
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _DICTIONARY_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self._resource

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Splits the attribute's text into tokens with normalised text and folded lemma."""
        original = message.get(attribute) or ""
        norm = normalize(original)
        tokens: list[Token] = []
        for match in _TOKEN.finditer(norm.text):
            if match.lastgroup == "han":
                offset = match.start()
                for piece in self._jieba.cut(match.group(), HMM=True):
                    start, end = offset, offset + len(piece)
                    offset = end
                    tokens.append(self._token(piece, norm.span(start, end)))
            else:
                tokens.append(self._token(match.group(), norm.span(*match.span())))
        return self._apply_token_pattern(tokens)

    @staticmethod
    def _token(text: str, span: tuple[int, int]) -> Token:
        return Token(text, span[0], span[1], lemma=lemma(text))
