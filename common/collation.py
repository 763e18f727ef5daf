"""Spanish alphabetical order in Python, agreeing with the database's "es-x-icu" collation.

PyICU is not installed and the C library's locales vary by machine, so the order is built from
Unicode data alone: letters compare without their accents and case first (Ávila next to Avila,
before Zúñiga), "ñ" is its own letter between "n" and "o" (Nava, Núñez, Ñúñez, Ortiz), and
accents, then case, only break ties — the levels of the Unicode Collation Algorithm that
Spanish names need.
"""

import unicodedata

_TILDE = "\u0303"
# Sorts after every letter: "n" followed by it comes after any "n" + letter, before "o".
_AFTER_N = "\U0010ffff"


def _primary(text):
    decomposed = unicodedata.normalize("NFD", text.casefold())
    letters = []
    for index, character in enumerate(decomposed):
        if unicodedata.combining(character):
            if character == _TILDE and index and decomposed[index - 1] == "n":
                letters.append(_AFTER_N)
            continue
        letters.append(character)
    return "".join(letters)


def spanish_key(text):
    """A sort key for `text` in Spanish order: sorted(names, key=spanish_key)."""
    text = text or ""
    # Ties: unaccented before accented, then lower case before upper case (as ICU orders them).
    return (_primary(text), unicodedata.normalize("NFD", text.casefold()), text.swapcase())
