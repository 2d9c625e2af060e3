"""A search query in Chinese over English papers: recognised, and translated by the LLM endpoint when one is set."""

from __future__ import annotations

import re
from typing import Any

from academichub.briefing.llm import LlmAnalyst, LlmFailure
from academichub.errors import SourceError
from academichub.keys import clean_line
from academichub.settings import LlmSettings

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MAX_TRANSLATION = 300
PROMPT = ("Translate the user's search query for scientific papers into the English terms such papers use in their "
          "titles and abstracts. Keep quoted phrases quoted. Reply with the English query only, on one line.")


def is_chinese(query: str) -> bool:
    """Whether a query has Chinese characters (the stored papers are mostly English)."""
    return bool(_CJK.search(query))


def to_english(settings: LlmSettings, query: str, *, http_client: Any = None) -> str:
    """The query in English, written by the configured endpoint; SourceError when it cannot be had."""
    try:
        analyst = LlmAnalyst(settings, http_client=http_client)
        reply = "".join(analyst.complete([{"role": "system", "content": PROMPT}, {"role": "user", "content": query}]))
    except LlmFailure as error:
        raise SourceError(str(error), component="llm") from None
    english = clean_line(reply.splitlines()[0] if reply.strip() else "")[:MAX_TRANSLATION]
    if not english or is_chinese(english):
        raise SourceError("the endpoint gave no English query", component="llm")
    return english
