"""Counting people, each once per group, in the database.

COUNT(DISTINCT trainee) makes PostgreSQL sort every row of every group (on disk, at national
scale). Selecting the distinct (group, trainee, gender) rows first lets it hash them instead,
and the outer query then counts plain rows: the same figures, in about half the time.
"""

from django.db import connection
from django.db.models import F

from trainees.models import Trainee


def count_people(queryset, keys, *, trainee="trainee"):
    """[{key: value, ..., "total": n, "women": n}] for each group of `keys` (name -> field path
    or expression) over `queryset`, counting each trainee (through the `trainee` relation) once
    per group."""
    annotations = {name: F(value) if isinstance(value, str) else value for name, value in keys.items()}
    annotations["people_trainee"] = F(f"{trainee}_id")
    annotations["people_gender"] = F(f"{trainee}__gender")
    inner = queryset.annotate(**annotations).values(*annotations).distinct().order_by()
    sql, params = inner.query.sql_with_params()
    quote = connection.ops.quote_name
    groups = ", ".join(quote(name) for name in keys)
    select = f"{groups}, " if groups else ""
    statement = (
        f"SELECT {select}COUNT(*), COUNT(*) FILTER (WHERE {quote('people_gender')} = %s) "  # noqa: S608
        f"FROM ({sql}) AS people" + (f" GROUP BY {groups}" if groups else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [Trainee.Gender.FEMALE, *params])
        rows = cursor.fetchall()
    names = [*keys, "total", "women"]
    return [dict(zip(names, row, strict=True)) for row in rows]
