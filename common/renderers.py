"""The form renderer: Django's own, with the commonest widgets written in Python.

Django renders every widget through a template, an included attrs template and, for a
<select>, one more included template per <option>: about 0.25 ms an input and 60 µs an option.
Pages that repeat inputs (the results grid: 200 trainees x 5 inputs) or carry long selects (the
trainee list's filters: 250 countries, every organization) spent most of their time there.
This renderer writes the markup of Django's default input, select and textarea templates
(django/forms/widgets/*.html) in Python, byte for byte, from the same widget context (so
attrs, ids, ARIA and error classes are computed exactly as before); any other template, or one
overridden by the project or an app, is rendered by the template engine as usual.
tests/test_renderers.py compares both renderings.

    FORM_RENDERER = "common.renderers.FormRenderer"
"""

import html
from pathlib import Path

import django
from django.forms.renderers import DjangoTemplates

WIDGETS = "django/forms/widgets/"
# Django's input templates that are nothing but {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = {
    WIDGETS + name
    for name in (
        "input.html",
        "checkbox.html",
        "color.html",
        "date.html",
        "datetime.html",
        "email.html",
        "file.html",
        "hidden.html",
        "number.html",
        "password.html",
        "search.html",
        "tel.html",
        "text.html",
        "time.html",
        "url.html",
    )
}
SELECT = WIDGETS + "select.html"
OPTION = WIDGETS + "select_option.html"
TEXTAREA = WIDGETS + "textarea.html"
DJANGO_TEMPLATES = Path(django.__file__).resolve().parent / "forms" / "templates"


def escape_html(value):
    """conditional_escape() without its lazy-argument wrapper (called thousands of times a page;
    also by common/fields.py and the results grid, courses/forms.py)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def attrs_html(attrs):
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {escape_html(name)}" if value is True else f' {escape_html(name)}="{escape_html(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget):
    value = "" if widget["value"] is None else f' value="{escape_html(widget["value"])}"'
    return f'<input type="{escape_html(widget["type"])}" name="{escape_html(widget["name"])}"{value}{attrs_html(widget["attrs"])}>'


def _textarea(widget):
    value = escape_html(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{escape_html(widget["name"])}"{attrs_html(widget["attrs"])}>\n{value}</textarea>'


def _select(widget):
    parts = [f'<select name="{escape_html(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape_html(group_name)}">')
        for option in group_choices:
            # The included option template keeps its trailing newline (only the whole is stripped).
            parts.append(
                f'\n  <option value="{escape_html(option["value"])}"{attrs_html(option["attrs"])}>{escape_html(option["label"])}</option>\n'
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def __init__(self):
        super().__init__()
        self._default = {}

    def _is_django_default(self, template_name):
        """Whether `template_name` resolves to Django's own file (not an override)."""
        if template_name not in self._default:
            origin = self.get_template(template_name).origin.name
            self._default[template_name] = Path(origin).resolve().is_relative_to(DJANGO_TEMPLATES)
        return self._default[template_name]

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None and self._is_django_default(template_name):
            if template_name in INPUT_TEMPLATES:
                return _input(widget)
            if template_name == TEXTAREA:
                return _textarea(widget)
            if (
                template_name == SELECT
                and self._is_django_default(OPTION)
                and all(
                    option["template_name"] == OPTION for _name, group, _i in widget["optgroups"] for option in group
                )
            ):
                return _select(widget)
        # Django's renderers strip the rendered template, as the functions above do.
        return super().render(template_name, context, request=request)
