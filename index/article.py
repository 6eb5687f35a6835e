"""The one record type that flows from ingest through embedding into the store."""

from __future__ import annotations

import hashlib
from dataclasses import KW_ONLY, dataclass, field


@dataclass
class Article:
    """A news article as ingested; `origin` is 'file:line' for messages."""

    id: str
    body: str
    title: str = ""
    lang: str = ""
    date: str = ""  # ISO 8601, 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS'
    _: KW_ONLY  # the fields below are named at every call
    source: str = ""
    url: str = ""
    keywords: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)  # the page's own "similar articles" titles
    extra: dict[str, object] = field(default_factory=dict)  # unknown input fields, kept verbatim
    origin: str = ""

    @property
    def text(self) -> str:
        """What gets embedded: the title leads, as on the page."""
        return f"{self.title}\n{self.body}" if self.title else self.body

    def record(self) -> dict[str, str]:
        """The article as a JSON Lines record that index/ingest/readers.py reads back (keywords, related, extra aside)."""
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "lang": self.lang,
            "date": self.date,
            "source": self.source,
            "url": self.url,
        }

    @property
    def day(self) -> str:
        return self.date[:10]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:32]
