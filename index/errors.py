"""Domain errors: the CLI turns each into one line on stderr and a non-zero exit."""

from __future__ import annotations


class AkhbarError(Exception):
    """Base of every error a user can act on."""


class BadInput(AkhbarError):
    """A record that cannot be indexed, located by file, line and field."""

    def __init__(self, file: str, line: int, field: str, reason: str) -> None:
        self.file, self.line, self.field, self.reason = file, line, field, reason
        super().__init__(f"{file}:{line}: field '{field}': {reason}")


class IndexNotFound(AkhbarError):
    """No complete index at the given directory."""


class DamagedIndex(IndexNotFound):
    """A file of an index version differs from what its manifest recorded, or cannot be read."""

    def __init__(self, root: object, path: object, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(
            f"{path} is damaged: {reason}; 'akhbar check --index {root}' tells what else is, "
            f"'akhbar rollback --index {root}' returns to the previous intact version"
        )


class ModelError(AkhbarError):
    """A model cannot be found, loaded or verified."""


class ModelMismatch(AkhbarError):
    """The query model differs from the one the index was built with."""


class IndexLocked(AkhbarError):
    """Another writer holds the index's lock."""


class ArticleNotFound(AkhbarError):
    """An id that is not in the index; `where` names the index (its folder, or "the index" for a server's
    client, who has no business with the server's paths). search/snapshot.Snapshot.require raises it."""

    def __init__(self, article_id: str, where: str) -> None:
        super().__init__(f"no article with id '{article_id}' in {where}")
        self.article_id = article_id
