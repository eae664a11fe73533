"""The admin's date drill-down (`date_hierarchy`) read from the date's index a step at a
time. Django's asks the database for the first and last dates and every distinct year (or
month, or day) of the list shown: on a list of a million releases, or a search matching
most of them, that reads every row, seconds a page. Here each year (month, day) holding a
record is found by one indexed look-up of the first date on or after the last one found,
whatever the size of the table: the choices are the dates of the whole list, before its
search and filters, which every link keeps."""

import datetime

from django import template
from django.conf import settings
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()

UNITS = ("year", "month", "day")


def first_of(day: datetime.date, unit: str) -> datetime.date:
    return day.replace(month=1, day=1) if unit == "year" else (
        day.replace(day=1) if unit == "month" else day)


def after(day: datetime.date, unit: str) -> datetime.date | None:
    """The first day of the next year, month or day; None past the last date there is."""
    try:
        if unit == "year":
            return day.replace(year=day.year + 1, month=1, day=1)
        if unit == "month":
            return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        return day + datetime.timedelta(days=1)
    except (ValueError, OverflowError):
        return None


def distinct_dates(queryset, field: str, unit: str, start=None, end=None) -> list[datetime.date]:
    """The first days of the years (months, days) in which `field` has a value in
    [start, end), one indexed query each; datetimes are taken in the current time zone."""
    model_field = get_fields_from_path(queryset.model, field)[-1]
    with_time = isinstance(model_field, models.DateTimeField)
    # A nullable date is indexed newest first with its NULLs last (as Release's NEWEST_FIRST):
    # PostgreSQL reads that index backwards only for an order that puts NULLs first.
    oldest_first = models.F(field).asc(nulls_first=True) if model_field.null else field

    def bound(day):
        if not with_time:
            return day
        moment = datetime.datetime.combine(day, datetime.time.min)
        return timezone.make_aware(moment) if settings.USE_TZ else moment

    found, last = [], None
    while True:
        limits = {f"{field}__isnull": False}
        if end:
            limits[f"{field}__lt"] = bound(end)
        lower = bound(start) if start else None
        if last is not None and (lower is None or lower <= last):
            # Where a midnight comes twice (clocks set back), the next day's first moment
            # may come before the value found: past that value instead. One lower bound
            # only, or SQLite may walk the index from the looser one.
            limits[f"{field}__gt"] = last
        elif lower is not None:
            limits[f"{field}__gte"] = lower
        last = queryset.filter(**limits).order_by(oldest_first).values_list(
            field, flat=True).first()
        if last is None:
            return found
        day = last
        if with_time:
            day = (timezone.localtime(last) if timezone.is_aware(last) else last).date()
        found.append(first_of(day, unit))
        start = after(day, unit)
        if start is None:
            return found


def date_drilldown(cl):
    """What Django's `date_hierarchy` tag gives its template, for the whole list's dates."""
    field = cl.date_hierarchy
    queryset = cl.root_queryset
    names = {unit: f"{field}__{unit}" for unit in UNITS}
    # As Django reads them: a month counts only with its year, a day with its month.
    chosen = []
    for unit in UNITS:
        if not cl.params.get(names[unit]):
            break
        chosen.append(cl.params[names[unit]])
    try:
        chosen = [int(part) for part in chosen]
        day = datetime.date(*chosen, *[1] * (3 - len(chosen))) if chosen else None
    except (TypeError, ValueError, OverflowError):
        return {"show": False}  # the list itself reports the bad date

    def link(filters):
        return cl.get_query_string(filters, [f"{field}__"])

    def chosen_link(depth, of):
        return link({names[unit]: getattr(of, unit) for unit in UNITS[:depth]})

    if day is None:
        years = distinct_dates(queryset, field, "year")
        # Start lower when the whole list lies in one year (or one month), as Django does
        # when no part of a date is asked for.
        if len(years) != 1 or any(names[unit] in cl.params for unit in UNITS):
            return {"show": True, "back": None, "field_name": _field_name(cl), "choices": [
                {"link": chosen_link(1, year), "title": str(year.year)} for year in years]}
        day, chosen = years[0], [years[0].year]
        months = distinct_dates(queryset, field, "month", day, after(day, "year"))
        if len(months) == 1:
            day, chosen = months[0], [day.year, months[0].month]
    if len(chosen) == 3:
        return {"show": True, "field_name": _field_name(cl),
                "back": {"link": chosen_link(2, day),
                         "title": capfirst(formats.date_format(day, "YEAR_MONTH_FORMAT"))},
                "choices": [{"title": capfirst(formats.date_format(day, "MONTH_DAY_FORMAT"))}]}
    if len(chosen) == 2:
        days = distinct_dates(queryset, field, "day", day, after(day, "month"))
        return {"show": True, "field_name": _field_name(cl),
                "back": {"link": chosen_link(1, day), "title": str(day.year)},
                "choices": [{"link": chosen_link(3, each),
                             "title": capfirst(formats.date_format(each, "MONTH_DAY_FORMAT"))}
                            for each in days]}
    months = distinct_dates(queryset, field, "month", day, after(day, "year"))
    return {"show": True, "field_name": _field_name(cl),
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [{"link": chosen_link(2, each),
                         "title": capfirst(formats.date_format(each, "YEAR_MONTH_FORMAT"))}
                        for each in months]}


def _field_name(cl):
    return get_fields_from_path(cl.model, cl.date_hierarchy)[-1].verbose_name


@register.tag(name="date_drilldown")
def date_drilldown_tag(parser, token):
    return InclusionAdminNode("date_drilldown", parser, token, func=date_drilldown,
                              template_name="date_hierarchy.html", takes_context=False)
