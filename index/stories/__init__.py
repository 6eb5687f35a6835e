"""Stories, computed when articles are written: the link rule, the links stored with them, when two articles are one row."""
