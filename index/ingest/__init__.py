"""Articles in: readers for every input format, the saved-page format, language guess, text normalisation, lexical terms."""
