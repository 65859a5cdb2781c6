"""Excel export of the quality dashboard (openpyxl): one sheet of headline figures, one per breakdown."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font


def _pct(value):
    return None if value is None else float(value)


def dashboard_workbook(data: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")
    bold = Font(bold=True)
    ws.append([_("Community"), data["community"]["name"]])
    ws.append([_("Period"), f'{data["period"]["start"]} – {data["period"]["end"]}'])
    ws.append([])
    ws.append([_("Figure"), _("Value"), _("Out of")])
    for cell in ws[4]:
        cell.font = bold
    ws.append([_("Tickets"), data["tickets"]])
    ws.append([_("Still open"), data["open"]])
    for clock, label in (("response", _("Response on time (%)")), ("arrival", _("Arrival on time (%)")),
                         ("resolution", _("Resolution on time (%)")), ("overall", _("SLA compliance (%)"))):
        ws.append([label, _pct(data["sla"][clock]["percent"]), data["sla"][clock]["decided"]])
    ws.append([_("Satisfied (%)"), _pct(data["satisfaction"]["percent"]), data["satisfaction"]["rated"]])
    ws.append([_("Call-back rate (%)"), _pct(data["callback"]["percent"]), data["callback"]["needed"]])
    ws.append([_("Repeat rate (%)"), _pct(data["repeat"]["percent"]), data["repeat"]["tickets"]])
    ws.append([_("Repeat-complaint rate (%)"), _pct(data["repeat"]["complaint_percent"]),
               data["repeat"]["complaints"]])
    ws.append([])
    ws.append([_("Times (minutes)"), _("Median"), _("90th percentile"), _("Tickets")])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for clock, label in (("response", _("Response")), ("arrival", _("Arrival")), ("resolution", _("Resolution"))):
        t = data["times"][clock]
        ws.append([label, _pct(t["median"]), _pct(t["p90"]), t["n"]])
    ws.column_dimensions["A"].width = 28

    cats = wb.create_sheet(_("By category"))
    statuses = sorted(data["by_status"])
    cats.append([_("Category"), *statuses, _("Total")])
    for c in data["by_category"]:
        cats.append([c["name"], *[c["by_status"].get(s, 0) for s in statuses], c["total"]])

    months = wb.create_sheet(_("Trend"))
    months.append([_("Month"), _("Tickets"), _("SLA compliance (%)"), _("Satisfied (%)"), _("Repeat rate (%)")])
    for t in data["trend"]:
        months.append([t["month"], t["tickets"], _pct(t["sla"]["overall"]["percent"]),
                       _pct(t["satisfaction"]["percent"]), _pct(t["repeat"]["percent"])])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
