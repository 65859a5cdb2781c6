"""Workflows as data: states, and transitions between them, each naming who may take it.

A ``Workflow`` is plain data so plugins can add their own through the ``ticket_workflows`` hook.
The engine (``services.transition``) reads it; nothing here touches the database.

A transition says:

- ``sources``: the states it may start from; ``target``: where it leads;
- ``by``: ``"staff"`` (holders of ``tickets.handle``), ``"owner"`` (the reporter or a person of the
  unit), ``"any"`` (either) or ``"system"`` (jobs only);
- ``stamps``: ticket time fields set to now (``responded_at``, ``arrived_at``, ``resolved_at``,
  ``closed_at``, ``cancelled_at``) when the transition is taken;
- ``effects``: named side effects the engine knows (``hold``, ``resume``, ``reopen``,
  ``request_deposit``, ``release_deposit``, ``callback_required``), so workflows stay data;
- ``needs_note``: a reason must be given (rejection, hold, violation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Transition:
    code: str
    label: object
    sources: tuple[str, ...]
    target: str
    by: str = "staff"
    stamps: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    needs_note: bool = False


@dataclass(frozen=True)
class Workflow:
    code: str
    name: object
    initial: str
    states: dict[str, object]  # code → label
    transitions: tuple[Transition, ...]
    rateable: tuple[str, ...] = ()  # states in which the owner may rate
    final: tuple[str, ...] = ()  # no clock runs in these states
    resolved: tuple[str, ...] = ()  # counted as resolved (auto-close, reopen window)
    on_hold: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def transition(self, code: str) -> Transition | None:
        return next((t for t in self.transitions if t.code == code), None)

    def allowed(self, status: str, by: str | None = None) -> list[Transition]:
        """Transitions open from ``status`` (to an actor of kind ``by`` when given)."""
        out = []
        for t in self.transitions:
            if status not in t.sources:
                continue
            if by is None or t.by == by or (t.by == "any" and by in ("staff", "owner")) or by == "system":
                out.append(t)
        return out


T = Transition

REPAIR = Workflow(
    code="repair",
    name=_l("Repair"),
    initial="submitted",
    states={
        "submitted": _l("Submitted"), "accepted": _l("Accepted"), "assigned": _l("Dispatched"),
        "on_site": _l("On site"), "in_progress": _l("In progress"), "on_hold": _l("On hold"),
        "resolved": _l("Resolved"), "closed": _l("Closed"), "reopened": _l("Reopened"),
        "cancelled": _l("Cancelled"),
    },
    transitions=(
        T("accept", _l("Accept"), ("submitted",), "accepted", stamps=("responded_at",)),
        T("dispatch", _l("Dispatch"), ("submitted", "accepted", "reopened"), "assigned", stamps=("responded_at",)),
        T("arrive", _l("Mark arrival on site"), ("assigned",), "on_site", stamps=("arrived_at",)),
        T("start", _l("Start work"), ("on_site", "reopened"), "in_progress"),
        T("hold", _l("Put on hold"), ("on_site", "in_progress"), "on_hold", effects=("hold",), needs_note=True),
        T("resume", _l("Resume"), ("on_hold",), "in_progress", effects=("resume",)),
        T("resolve", _l("Resolve"), ("on_site", "in_progress"), "resolved", stamps=("resolved_at",)),
        T("close", _l("Close"), ("resolved",), "closed", by="any", stamps=("closed_at",),
          effects=("callback_required",)),
        T("reopen", _l("Reopen"), ("resolved", "closed"), "reopened", by="any", effects=("reopen",),
          needs_note=True),
        T("cancel", _l("Cancel"), ("submitted", "accepted", "assigned"), "cancelled", by="any",
          stamps=("cancelled_at",)),
        T("auto_close", _l("Closed automatically"), ("resolved",), "closed", by="system", stamps=("closed_at",),
          effects=("callback_required",)),
    ),
    rateable=("resolved",),
    final=("closed", "cancelled"),
    resolved=("resolved", "closed"),
    on_hold=("on_hold",),
)

ENQUIRY = Workflow(
    code="enquiry",
    name=_l("Enquiry"),
    initial="submitted",
    states={"submitted": _l("Submitted"), "answered": _l("Answered"), "closed": _l("Closed"),
            "cancelled": _l("Cancelled")},
    transitions=(
        T("answer", _l("Answer"), ("submitted",), "answered", stamps=("responded_at", "resolved_at"),
          needs_note=True),
        T("close", _l("Close"), ("answered",), "closed", by="any", stamps=("closed_at",),
          effects=("callback_required",)),
        T("reopen", _l("Reopen"), ("answered", "closed"), "submitted", by="any", effects=("reopen",),
          needs_note=True),
        T("cancel", _l("Cancel"), ("submitted",), "cancelled", by="any", stamps=("cancelled_at",)),
        T("auto_close", _l("Closed automatically"), ("answered",), "closed", by="system", stamps=("closed_at",),
          effects=("callback_required",)),
    ),
    rateable=("answered",),
    final=("closed", "cancelled"),
    resolved=("answered", "closed"),
)

RENOVATION = Workflow(
    code="renovation",
    name=_l("Renovation approval"),
    initial="submitted",
    states={
        "submitted": _l("Application received"), "under_review": _l("Under review"),
        "approved": _l("Approved with conditions"), "rejected": _l("Rejected"), "works": _l("Works under way"),
        "inspection": _l("Awaiting inspection"), "violations": _l("Violations recorded"),
        "closed": _l("Closed"), "cancelled": _l("Withdrawn"),
    },
    transitions=(
        T("review", _l("Start review"), ("submitted",), "under_review", stamps=("responded_at",)),
        T("approve", _l("Approve with conditions"), ("under_review",), "approved", stamps=("resolved_at",),
          needs_note=True),
        T("reject", _l("Reject"), ("under_review",), "rejected", stamps=("resolved_at", "closed_at"),
          needs_note=True),
        T("start_works", _l("Start works (issue worker passes)"), ("approved",), "works",
          effects=("request_deposit",)),
        T("request_inspection", _l("Request inspection"), ("works",), "inspection", by="any"),
        T("pass_inspection", _l("Pass inspection and release the deposit"), ("inspection",), "closed",
          stamps=("closed_at",), effects=("release_deposit",)),
        T("record_violations", _l("Record violations"), ("works", "inspection"), "violations", needs_note=True),
        T("rectified", _l("Violations rectified"), ("violations",), "inspection"),
        T("cancel", _l("Withdraw"), ("submitted", "under_review", "approved"), "cancelled", by="any",
          stamps=("cancelled_at",)),
    ),
    final=("closed", "rejected", "cancelled"),
    resolved=("approved", "works", "inspection", "violations", "closed", "rejected"),
)

BUILTIN: dict[str, Workflow] = {w.code: w for w in (REPAIR, ENQUIRY, RENOVATION)}


def all_workflows() -> dict[str, Workflow]:
    """The built-in workflows plus those plugins add (``ticket_workflows`` hook)."""
    from core.plugins import hook

    out = dict(BUILTIN)
    for mapping in hook().ticket_workflows():
        for code, wf in (mapping or {}).items():
            out.setdefault(code, wf)
    return out


def get(code: str) -> Workflow:
    workflows = all_workflows()
    return workflows.get(code) or workflows["repair"]
