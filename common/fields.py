"""One form field in Bootstrap 5 markup, as crispy-bootstrap5's `|as_crispy_field` writes it, but in
Python: the list pages' filter forms (`{{ form.field|filter_field }}`, common/templatetags/fields.py).

crispy renders each field through half a dozen nested templates (0.4–2.5 ms a field), and a
select's options go through Django's per-option dictionaries (2.7 ms for 250 countries, plus a
query per model choice list): a list page's filters cost 16 ms, more than its rows. This writes
the same elements and attributes — wrapper, label, the widget with crispy's classes, ARIA, errors
and help text — for the widgets filter forms use (text, search, number, date, email inputs, a
single select, a textarea); anything else (checkboxes, multiple selects, a widget with its own
template) is handed to crispy as before. tests/test_fields.py compares both renderings.
"""

from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from common.renderers import attrs_html, escape_html

INPUTS = (forms.TextInput, forms.NumberInput, forms.DateInput, forms.EmailInput, forms.Textarea, forms.Select)
NOT_HANDLED = (forms.CheckboxInput, forms.SelectMultiple, forms.RadioSelect, forms.MultiWidget, forms.HiddenInput)


def handles(bound_field):
    widget = bound_field.field.widget
    return (
        isinstance(widget, INPUTS)
        and not isinstance(widget, NOT_HANDLED)
        and widget.template_name
        in {
            "django/forms/widgets/text.html",
            "django/forms/widgets/number.html",
            "django/forms/widgets/date.html",
            "django/forms/widgets/email.html",
            "django/forms/widgets/search.html",
            "django/forms/widgets/textarea.html",
            "django/forms/widgets/select.html",
        }
        and (
            not isinstance(widget, forms.Select)
            or widget.option_template_name == "django/forms/widgets/select_option.html"
        )
    )


def _options(bound_field):
    """The <option>s of a single select, straight from the field's choices (the markup of
    Django's select_option.html)."""
    values = bound_field.field.widget.format_value(bound_field.value())
    selected = {values} if isinstance(values, str) else {str(value) for value in values}  # NullBooleanSelect: one
    parts = []

    def option(value, label):
        value = "" if value is None else str(value)
        mark = " selected" if value in selected else ""
        return f'\n  <option value="{escape_html(value)}"{mark}>{escape_html(label)}</option>\n'

    for value, label in bound_field.field.widget.choices:
        if isinstance(label, (list, tuple)):  # an optgroup
            parts.append(f'\n  <optgroup label="{escape_html(value)}">')
            parts.extend(option(v, text) for v, text in label)
            parts.append("\n  </optgroup>")
        else:
            parts.append(option(value, label))
    return "".join(parts)


def _css_class(bound_field):
    """crispy's {% crispy_field %}: the widget's class, its class name unless already in it,
    then Bootstrap's classes (each once)."""
    widget = bound_field.field.widget
    class_name = widget.__class__.__name__.lower()
    class_name = getattr(settings, "CRISPY_CLASS_CONVERTERS", {}).get(class_name, class_name)
    css = widget.attrs.get("class", "")
    css = (css if class_name in css else f"{css} {class_name}") if css else class_name
    kind = "form-select" if isinstance(widget, forms.Select) else "form-control"
    for name in [kind, "is-invalid"] if bound_field.errors else [kind]:
        if name not in css.split():
            css += f" {name}"
    return css


def _widget(bound_field):
    """BoundField.as_widget's attributes (required, disabled, ARIA, id), then the markup of
    Django's input, textarea and select templates."""
    widget = bound_field.field.widget
    attrs = bound_field.build_widget_attrs({}, widget)
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    attrs = widget.build_attrs({**widget.attrs, "class": _css_class(bound_field)}, attrs)
    name = escape_html(bound_field.html_name)
    if isinstance(widget, forms.Select):
        return f'<select name="{name}"{attrs_html(attrs)}>{_options(bound_field)}\n</select>'
    value = widget.format_value(bound_field.value())
    if isinstance(widget, forms.Textarea):
        return f'<textarea name="{name}"{attrs_html(attrs)}>\n{escape_html(value) if value else ""}</textarea>'
    value_attr = "" if value is None else f' value="{escape_html(value)}"'
    return f'<input type="{escape_html(widget.input_type)}" name="{name}"{value_attr}{attrs_html(attrs)}>'


def render_field(bound_field):
    """The field as crispy-bootstrap5's field.html renders it (whitespace aside)."""
    auto_id = bound_field.auto_id
    errors = bound_field.errors
    required = bound_field.field.required
    label = ""
    if bound_field.label:
        label = format_html(
            '<label for="{}" class="form-label{}">{}{}</label>',
            bound_field.id_for_label,
            " requiredField" if required else "",
            bound_field.label,
            mark_safe('<span class="asteriskField">*</span>') if required else "",
        )
    feedback = ""
    if errors:
        feedback = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            auto_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((number, auto_id, error) for number, error in enumerate(errors, start=1)),
            ),
        )
    help_text = ""
    if bound_field.help_text:
        help_text = format_html(
            # Marked safe by Django's and crispy's templates alike: written by developers, never by users.
            '<div id="{}_helptext" class="form-text">{}</div>',
            auto_id,
            mark_safe(bound_field.help_text),  # noqa: S308 - developers' text, as Django's templates treat it
        )
    css_classes = bound_field.css_classes()
    return format_html(
        '<div id="div_{}" class="mb-3{}">{}{}{}{}</div>',
        auto_id,
        f" {css_classes}" if css_classes else "",
        label,
        mark_safe(_widget(bound_field)),  # noqa: S308 - every value in it is escaped (_text, _attrs)
        feedback,
        help_text,
    )
