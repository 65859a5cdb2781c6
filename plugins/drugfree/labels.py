"""What the officer reads for each code the rules give: one map per kind of code, used by the
pages, the dashboard checks and the posted standards alike, so no code reaches a screen raw.

Wording that names a figure an area can set (years clean, days to report, …) carries a
placeholder; ``render(labels, limits)`` fills in the figures in force for the area, so a page never
says "3 years" where the area requires 5.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from plugins.drugfree import rules


def _years(n: int) -> str:
    return ngettext("%(num)s year", "%(num)s years", n)


def _days(n: int) -> str:
    return ngettext("%(num)s day", "%(num)s days", n)


def _months(n: int) -> str:
    # a sentence is set in months; whole years read as years (判处3年以上, not 36个月)
    return _years(n // 12) if n % 12 == 0 else ngettext("%(num)s month", "%(num)s months", n)


def figures(limits: rules.Limits) -> dict[str, str]:
    """The placeholders of the labels, as text in the current language."""
    return {"clean": _years(limits.clean_years), "sentence": _months(limits.sentence_exclude_months),
            "missing": _years(limits.missing_exclude_years), "report": _days(limits.report_days),
            "helper": _days(limits.helper_days),
            "visits": ngettext("%(num)s visit", "%(num)s visits", limits.visits_per_month)}


def render(labels: dict, limits: rules.Limits, **values) -> dict[str, str]:
    """``labels`` as text with the area's figures (and any ``values``) filled in."""
    values = {**figures(limits), **values}
    return {key: str(label) % values for key, label in labels.items()}


# A case's category on a date (rules.category)
CATEGORY_LABELS = {
    rules.CURRENT: _l("Current user"),
    rules.FORMER: _l("Former user, clean under %(clean)s"),
    rules.STABLE: _l("Clean %(clean)s or more"),
    rules.ABROAD: _l("Excluded: abroad"),
    rules.MOVED_OUT: _l("Excluded: registration moved out, no longer living here"),
    rules.DEAD: _l("Excluded: dead"),
    rules.SENTENCED: _l("Excluded: sentenced to %(sentence)s or more"),
    rules.MISSING: _l("Excluded: missing %(missing)s or more"),
}

# The reporting check of a community order (rules.reporting_state)
REPORTING_LABELS = {
    "in_time": _l("Reported within %(report)s"),
    "late": _l("Reported late (after %(report)s)"),
    "overdue": _l("Not reported, past %(report)s"),
    "pending": _l("Not reported yet, %(report)s not over"),
}

# Why a returnee's aftercare falls short (rules.aftercare_problem)
AFTERCARE_LABELS = {
    "no_helper": _l("No helper assigned within %(helper)s of return"),
    "late_helper": _l("Helper assigned later than %(helper)s after return"),
    "missed_visits": _l("A month with fewer than %(visits)s"),
}

# The groups of people behind the counts (the keys of rules.Summary.people)
PEOPLE_LABELS = {
    **{key: CATEGORY_LABELS[key] for key in (rules.CURRENT, rules.FORMER, rules.STABLE)},
    **{f"excluded_{reason}": CATEGORY_LABELS[reason] for reason in rules.EXCLUDED_REASONS},
    "new_this_year": _l("Newly emerging this year"),
    "aftercare_short": _l("Aftercare falls short"),
    "relapsed_this_year": _l("Relapsed this year"),
    "missing_recent": _l("Missing under %(missing)s"),
    "reporting_late": REPORTING_LABELS["late"],
    "reporting_overdue": REPORTING_LABELS["overdue"],
}

# The checks of rules.evaluate(): title, and the reason filled with the check's counts
CHECK_LABELS = {
    "no_current_users": _l("Standard 1: no current drug users"),
    "former_users_stable": _l("Standard 2: former users clean for %(clean)s or more"),
    "no_trafficking": _l("Standard 3: no manufacturing, trafficking or cultivation this year"),
    "no_new_users": _l("Target: no newly emerging users this year"),
    "aftercare": _l("Target: aftercare (接茬帮教) for every returnee"),
    "relapse_falling": _l("Target: relapse rate falling year on year"),
}
CHECK_REASONS = {
    "no_current_users": _l("%(current)s current user(s) counted (%(excluded)s excluded by the rules)."),
    "former_users_stable": _l("%(stable)s of %(former)s former user(s) clean for %(clean)s or more."),
    "no_trafficking": _l("%(incidents)s incident(s) recorded this year."),
    "no_new_users": _l("%(new_this_year)s newly emerging user(s) this year."),
    "aftercare": _l("%(returnees_ok)s of %(returnees)s returnee(s) with a helper within %(helper)s and "
                    "%(visits)s a month."),
    "relapse_falling": _l("This year %(relapses_this_year)s relapse(s) over %(monitored_start_this_year)s "
                          "monitored; same period last year %(relapses_last_year)s over "
                          "%(monitored_start_last_year)s."),
}

# The indicators of rules.evaluate(): name, formula
INDICATOR_LABELS = {
    "execution_rate": (_l("Execution rate (执行率)"),
                       _l("community orders reported within %(report)s ÷ community orders due to report")),
    "control_rate": (_l("Control rate (管控率)"),
                     _l("people under monitoring not missing ÷ people under monitoring")),
    "consolidation_rate": (_l("Consolidation rate (戒断巩固率)"),
                           _l("former users clean %(clean)s or more ÷ former users")),
    "relapse_rate": (_l("Relapse rate (复吸率)"),
                     _l("relapses this year ÷ people under monitoring on 1 January")),
}

STANDARDS_TEXT = _l(
    "无毒社区 standards (posted, no names): (1) no current drug users — not counted are people abroad, "
    "whose household registration moved out and who no longer live here, the dead, those sentenced to "
    "%(sentence)s or more and those missing %(missing)s or more; (2) former users clean for %(clean)s or "
    "more; (3) no manufacturing, trafficking or cultivation. Targets: no newly emerging users, aftercare for "
    "everyone returning from rehabilitation, the relapse rate falling year on year.")


def check_rows(result: dict, limits: rules.Limits) -> list[dict]:
    """The checks of a public result with their titles and reasons in words."""
    titles = render(CHECK_LABELS, limits)
    values = figures(limits)
    return [{"code": c["code"], "title": titles[c["code"]], "passed": c["passed"],
             "detail": str(CHECK_REASONS[c["code"]]) % {**values, **c["counts"]}} for c in result["checks"]]


def indicator_rows(limits: rules.Limits) -> dict[str, tuple[str, str]]:
    values = figures(limits)
    return {key: (str(name), str(formula) % values) for key, (name, formula) in INDICATOR_LABELS.items()}


def standards_text(limits: rules.Limits) -> str:
    return str(STANDARDS_TEXT) % figures(limits)
