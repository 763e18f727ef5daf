"""makemessages without fuzzy matching: a new string gets an empty translation to fill, never a
guess copied from a similar string (which tests/test_translations.py would reject anyway)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
