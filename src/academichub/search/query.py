"""The keyword query syntax shared by keyword subscriptions and search.

    unlearning                     a word (whole word; a plural ending also matches)
    "machine unlearning"           a phrase
    diffusion AND video            both (AND is implied between terms: `diffusion video`)
    llm OR "language model"        either
    NOT survey, -survey            exclude
    (a OR b) c                     grouping
    title:x  abstract:x  author:"Jianxiang He"  cat:cs.CL  cat:astro-ph (an archive: all its subjects)
    ti:x  abs:x  au:x  category:x  Title:x  (arXiv's prefixes and any case name the same fields)

The same parsed query matches a paper in memory (for a subscription's reason) and compiles to
tantivy's query language (for search), so both behave the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from academichub.errors import InputError
from academichub.keys import match_form, name_key

FIELDS = ("title", "abstract", "author", "cat")
# arXiv's search prefixes and spelled-out names, as readers coming from arXiv type them.
FIELD_ALIASES = {"ti": "title", "abs": "abstract", "au": "author", "authors": "author", "category": "cat",
                 "categories": "cat"}
_TOKEN = re.compile(r'\s*(?:(\()|(\))|("(?:[^"\\]|\\.)*")|([^\s()"]+))')
# Brackets and exclusions nest at most this deep: the parser and every walk of the tree recurse,
# and a 500-character query of brackets alone exceeded Python's recursion limit (a 500 answer).
MAX_DEPTH = 32


@dataclass(frozen=True)
class Term:
    """A word or phrase, optionally restricted to a field."""

    text: str
    field: str | None = None
    phrase: bool = False


@dataclass(frozen=True)
class Not:
    """Exclusion."""

    node: Node


@dataclass(frozen=True)
class All:
    """Conjunction."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    """Disjunction."""

    nodes: tuple[Node, ...]


Node = Term | Not | All | Any_


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip():
                raise InputError(f"query: unbalanced quote in {text!r}", problem="query")
            break
        tokens.append(next(g for g in match.groups() if g is not None))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.depth = 0

    @contextmanager
    def _nested(self) -> Iterator[None]:
        """One level deeper (a bracket or an exclusion), refused past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InputError(f"query: brackets and exclusions nested deeper than {MAX_DEPTH} levels", problem="query")
        try:
            yield
        finally:
            self.depth -= 1

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise InputError(f"query: unexpected {self.peek()!r} in {self.text!r}", problem="query")
        return node

    def disjunction(self) -> Node:
        nodes = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            nodes.append(self.conjunction())
        return nodes[0] if len(nodes) == 1 else Any_(tuple(nodes))

    def conjunction(self) -> Node:
        nodes = [self.negation()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
            nodes.append(self.negation())
        return nodes[0] if len(nodes) == 1 else All(tuple(nodes))

    def negation(self) -> Node:
        token = self.peek()
        if token == "NOT":
            self.take()
        elif token is not None and token.startswith("-") and len(token) > 1:
            self.tokens[self.position] = token[1:]
        else:
            return self.atom()
        with self._nested():
            return Not(self.negation())

    def atom(self) -> Node:
        token = self.peek()
        if token is None or token in (")", "AND", "OR"):
            raise InputError(f"query: expected a term in {self.text!r}", problem="query")
        self.take()
        if token == "(":
            with self._nested():
                node = self.disjunction()
            if self.peek() != ")":
                raise InputError(f"query: missing ')' in {self.text!r}", problem="query")
            self.take()
            return node
        field, _, rest = token.partition(":")
        field = FIELD_ALIASES.get(field.lower(), field.lower())
        if field in FIELDS and (rest or token.endswith(":")):  # "arXiv:2301.1" is a word, not a field
            if not rest:  # field:"a phrase"
                if self.peek() is None or not self.peek().startswith('"'):
                    raise InputError(f"query: {field}: needs a value", problem="query")
                rest = self.take()
            return _term(rest, field)
        return _term(token, None)


def _term(text: str, field: str | None) -> Term:
    phrase = text.startswith('"') and text.endswith('"') and len(text) >= 2
    value = match_form(text[1:-1].replace('\\"', '"') if phrase else text)  # "co₂" finds CO2
    if not value.strip():
        raise InputError("query: empty term", problem="query")
    return Term(value.strip(), field, phrase)


@lru_cache(maxsize=2048)
def parse(text: str) -> Node:
    """Parse a query (raises InputError with what is wrong)."""
    if not text or not text.strip():
        raise InputError("query: empty query", problem="query")
    return _Parser(text).parse()


@lru_cache(maxsize=4096)
def _word(text: str) -> re.Pattern[str]:
    words = text.split()
    last = words[-1] if words else ""
    if len(last) > 3 and last[-1] in "sS" and last[-2] not in "sS":  # "models" also finds "model"
        words[-1] = last[:-1]
    words = [re.escape(w) for w in words]
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?:s|es)?(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    """What a query is matched against (`document` makes one)."""

    title: str
    abstract: str
    author_keys: frozenset[str]
    categories: tuple[str, ...]


def document(title: str, abstract: str, author_keys: frozenset[str], categories: tuple[str, ...]) -> Document:
    """A paper as a query is matched against it: its text in match form (a keyword "CO2" matches "CO₂")."""
    return Document(match_form(title), match_form(abstract), author_keys, categories)


def _term_matches(term: Term, doc: Document) -> bool:
    if term.field == "author":
        key = name_key(term.text)
        return key in doc.author_keys or any(key in k.split() or k.endswith(" " + key) for k in doc.author_keys)
    if term.field == "cat":
        wanted = term.text.casefold()
        return any(c.casefold() == wanted or c.casefold().startswith(wanted + ".") for c in doc.categories)
    pattern = _word(term.text)
    if term.field == "title":
        return bool(pattern.search(doc.title))
    if term.field == "abstract":
        return bool(pattern.search(doc.abstract))
    return bool(pattern.search(doc.title) or pattern.search(doc.abstract))


def matches(node: Node, doc: Document) -> bool:
    """Whether a paper satisfies the query."""
    if isinstance(node, Term):
        return _term_matches(node, doc)
    if isinstance(node, Not):
        return not matches(node.node, doc)
    if isinstance(node, All):
        return all(matches(n, doc) for n in node.nodes)
    return any(matches(n, doc) for n in node.nodes)


_TANTIVY_FIELD = {"title": "title", "abstract": "abstract", "author": "authors"}
_SPECIAL = re.compile(r'[+\-!(){}\[\]^"~*?:\\/]')


def _tantivy_term(term: Term) -> str:
    if term.field == "cat":
        field = "categories" if "." in term.text else "archives"
        return f'{field}:"{term.text.casefold()}"'  # indexed casefolded, as the feed's matching compares them
    text = f'"{term.text}"' if term.phrase or " " in term.text else _SPECIAL.sub(" ", term.text).strip() or '""'
    if " " in text and not text.startswith('"'):
        text = f'"{text}"'
    field = _TANTIVY_FIELD.get(term.field or "")
    return f"{field}:{text}" if field else text


def to_tantivy(node: Node) -> str:
    """The query in tantivy's query language."""
    if isinstance(node, Term):
        return _tantivy_term(node)
    if isinstance(node, Not):
        return f"-({to_tantivy(node.node)})"
    if isinstance(node, All):
        positive = [n for n in node.nodes if not isinstance(n, Not)]
        parts = [f"+({to_tantivy(n)})" for n in positive] + [to_tantivy(n) for n in node.nodes if isinstance(n, Not)]
        return " ".join(parts)
    return " OR ".join(f"({to_tantivy(n)})" for n in node.nodes)


def positive_text(query: str) -> str:
    """The words a query asks for (fields and exclusions dropped): what a keyword is about."""
    try:
        node = parse(query)
    except InputError:
        return query

    def words(n: Node) -> list[str]:
        if isinstance(n, Term):
            return [] if n.field in ("author", "cat") else [n.text]
        if isinstance(n, Not):
            return []
        return [w for child in n.nodes for w in words(child)]

    return " ".join(words(node))
