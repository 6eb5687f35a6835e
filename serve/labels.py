"""The words on the pages, in Arabic, English and French, and which of them a request gets."""

from __future__ import annotations

UI_LANGUAGES = ("ar", "en", "fr")
RTL = {"ar"}

LABELS: dict[str, dict[str, str]] = {
    "similar": {"ar": "مقالات مشابهة", "en": "Similar articles", "fr": "Articles similaires"},
    "also_in": {"ar": "نُشرت أيضًا في", "en": "Also in", "fr": "Aussi dans"},
    "same_story": {"ar": "القصة نفسها نشرتها أيضًا", "en": "Same story also published by", "fr": "Même article publié aussi par"},
    "more": {"ar": "و{n} غيرها", "en": "and {n} more", "fr": "et {n} autres"},
    "source": {"ar": "المصدر", "en": "Source", "fr": "Source"},
    "undated": {"ar": "بلا تاريخ", "en": "undated", "fr": "sans date"},
    "search": {"ar": "بحث", "en": "Search", "fr": "Rechercher"},
    "search_hint": {
        "ar": "ابحث بالمعنى وبالكلمات، بأي لغة",
        "en": "Search by meaning and words, in any language",
        "fr": "Cherchez par le sens et les mots, dans toutes les langues",
    },
    "results": {"ar": "النتائج", "en": "Results", "fr": "Résultats"},
    "nothing": {"ar": "لا شيء مشابه", "en": "Nothing similar", "fr": "Rien de similaire"},
    "coverage": {"ar": "تغطية القصة", "en": "Coverage of the story", "fr": "Couverture de l'histoire"},
    "coverage_summary": {
        "ar": "{articles} مقالات، {sources} مصادر، اللغات: {langs}",
        "en": "{articles} articles, {sources} sources, languages: {langs}",
        "fr": "{articles} articles, {sources} sources, langues : {langs}",
    },
    "period": {"ar": "من {since} إلى {until}", "en": "Published {since} to {until}", "fr": "Publiés du {since} au {until}"},
    "home": {"ar": "أخبار", "en": "akhbar", "fr": "akhbar"},
    "any_language": {"ar": "كل اللغات", "en": "All languages", "fr": "Toutes les langues"},
    "date_source": {"ar": "التاريخ والمصدر", "en": "Date and source", "fr": "Date et source"},
    "title": {"ar": "العنوان", "en": "Title", "fr": "Titre"},
    "its_story": {
        "ar": "تغطية هذا الخبر: {n} مقالات بـ{langs}",
        "en": "This story: {n} articles in {langs}",
        "fr": "Cette histoire : {n} articles en {langs}",
    },
    "related": {"ar": "أخبار ذات صلة", "en": "Related stories", "fr": "Histoires liées"},
    "story_link": {"ar": "كل التغطية", "en": "All coverage", "fr": "Toute la couverture"},
}

LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "ar": {"ar": "العربية", "en": "Arabic", "fr": "arabe"},
    "en": {"ar": "الإنجليزية", "en": "English", "fr": "anglais"},
    "fr": {"ar": "الفرنسية", "en": "French", "fr": "français"},
}


def accepted(accept_language: str) -> list[str]:
    """Language codes of an Accept-Language header, in its order."""
    return [part.split(";")[0].strip().lower()[:2] for part in accept_language.split(",")]


def choose(*preferred: str | None) -> str:
    """The first of `preferred` the pages have labels for, else English. Callers list ?ui=…, then
    (on an article's page) the article's language, then the browser's Accept-Language."""
    return next((p for p in preferred if p in UI_LANGUAGES), "en")


def words(ui: str) -> dict[str, str]:
    """Every label in one language, for a template."""
    return {key: forms[ui] for key, forms in LABELS.items()}


def language_name(code: str, ui: str) -> str:
    return LANGUAGE_NAMES.get(code, {}).get(ui, code or "?")
