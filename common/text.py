"""User text that cannot disguise itself: invisible control characters are refused at input,
and user text shown on a page or a PDF is isolated from the text around it.

A right-to-left override (U+202E) stored in a name reverses what follows it on the page
("Pérez<RLO>gnp.exe" reads "Pérezexe.png"), and the other bidirectional controls and C0/C1
control characters (but tab and line breaks, which are whitespace) do similar things, invisibly. No one types them in a name, a code or a
remark: every form of the project refuses them (PlainTextFormMixin, also given to every admin
form by common.admin and to the import's row form; the results grid, which is not a Django form,
through refuse_control_characters), with a message naming the character.
Right-to-left *letters* (Arabic, Hebrew names) are welcome: the `isolate` filter shows each
piece of user text in a <bdi> of its own, with any stored control character dropped, so that
neither can turn the text around it.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

# Bidirectional formatting characters: embeddings and overrides (U+202A–U+202E), isolates
# (U+2066–U+2069), the implicit marks (LRM, RLM, ALM).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# C0 and C1 control characters and DEL (category Cc) but the tab and line breaks, and the bidi
# controls. Tabs and line breaks are whitespace on every page and PDF, so they cannot disguise
# text, and a quoted CSV cell may hold them (the import's contract: an export imports back).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")


def _describe(character):
    name = unicodedata.name(character, "") or "CONTROL CHARACTER"
    return f"U+{ord(character):04X} ({name})"


@deconstructible
class PlainTextValidator:
    """Refuses control characters (but tab and line breaks) and bidirectional formatting
    characters."""

    message = _("Remove the invisible control character %(character)s: it can disguise the text.")
    code = "control_character"

    def __call__(self, value):
        match = _CONTROL.search(str(value))
        if match:
            raise ValidationError(self.message, code=self.code, params={"character": _describe(match.group())})

    def __eq__(self, other):
        return isinstance(other, PlainTextValidator)


def refuse_control_characters(fields):
    """Every text field among `fields` refuses control characters (PlainTextValidator).
    Passwords are left alone: they are never shown. For classes that validate with fields of
    their own without being a Django form (the results grid, courses.forms.ResultsGrid)."""
    for field in fields:
        if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
            field.validators.append(PlainTextValidator())


class PlainTextFormMixin:
    """Every text field of the form refuses control characters (refuse_control_characters)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_control_characters(self.fields.values())


def without_controls(text):
    """`text` without control or bidi formatting characters (for display of stored text)."""
    return _CONTROL.sub("", str(text))


def isolate(text):
    """User text for a page or a PDF: escaped, control characters dropped, in its own <bdi>."""
    if text is None or text == "":
        return ""
    return format_html("<bdi>{}</bdi>", without_controls(text))
