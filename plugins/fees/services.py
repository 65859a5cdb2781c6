"""Pure fee arithmetic and checks: plain values in, plain values out (no Flask, no database).

The first half holds the pure rules (plain values in and out, property-tested); the second the
services over the database, which take the acting account, flush but never commit, and call hooks.
Money is ``Decimal`` yuan rounded to the fen with ROUND_HALF_UP; areas are ``Decimal`` m².
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

import core
from core import Conflict, Invalid, NotFound, db, get_setting, utcnow

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


def N_(message: str) -> str:
    """Marks a RuleError message for extraction; ``invalid`` translates it when answering."""
    return message


class RuleError(ValueError):
    """A rule refused an input; ``field`` names the input and ``message`` says why (English msgid)."""

    def __init__(self, field: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params


def fen(value) -> Decimal:
    """Round to the fen, half up (the rounding of Chinese billing)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def parse_amount(raw, field: str = "amount", *, places: int = 2, allow_zero: bool = True,
                 maximum: Decimal = Decimal("100000000")) -> Decimal:
    """Parse user input into a non-negative Decimal with at most ``places`` decimals.

    Refuses negatives, non-numbers, "1,234.5" style strings (a comma is ambiguous: a thousands
    separator or a decimal comma), NaN/Infinity, floats given as text with too many places, and
    values above ``maximum``.
    """
    if isinstance(raw, bool) or raw is None:
        raise RuleError(field, N_("Not a valid amount."))
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = str(raw).strip()
        if not _NUMBER.match(text):
            raise RuleError(field, N_("Not a valid amount: use digits and a decimal point only."))
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise RuleError(field, N_("Not a valid amount.")) from None
    if not value.is_finite():
        raise RuleError(field, N_("Not a valid amount."))
    if value < 0:
        raise RuleError(field, "Must not be negative.")
    if not allow_zero and value == 0:
        raise RuleError(field, N_("Must be more than zero."))
    if value > maximum:
        raise RuleError(field, "Too large.")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise RuleError(field, "At most %(n)s decimal places.", n=places)
    return value


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


@dataclass(frozen=True)
class Period:
    code: str  # "2026-03", "2026-Q1" or "2026"
    start: dt.date
    end: dt.date  # inclusive

    @property
    def months(self) -> list[tuple[int, int]]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def parse_period(code: str) -> Period:
    """``"2026-03"`` (month), ``"2026-Q2"`` (quarter) or ``"2026"`` (year)."""
    m = _PERIOD.match((code or "").strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise RuleError("period", "Use a month (2026-03), a quarter (2026-Q1) or a year (2026).")
    year = int(m.group(1))
    if m.group(2):
        first = last = int(m.group(2))
    elif m.group(3):
        q = int(m.group(3))
        first, last = 3 * q - 2, 3 * q
    else:
        first, last = 1, 12
    end = dt.date(year, last, calendar.monthrange(year, last)[1])
    return Period(m.group(0), dt.date(year, first, 1), end)


def billed_months(period: Period, start: dt.date | None = None, end: dt.date | None = None) -> Fraction:
    """Months of ``period`` covered by [start, end] (inclusive), each month prorated by day."""
    lo = max(period.start, start or period.start)
    hi = min(period.end, end or period.end)
    if hi < lo:
        return Fraction(0)
    total = Fraction(0)
    for y, m in period.months:
        dim = calendar.monthrange(y, m)[1]
        a = max(lo, dt.date(y, m, 1))
        b = min(hi, dt.date(y, m, dim))
        if b >= a:
            total += Fraction((b - a).days + 1, dim)
    return total


def describe_months(months: Fraction) -> str:
    """3 → "3"; 5/2 → "2.5"; 17/31 → "17/31"."""
    if months.denominator == 1:
        return str(months.numerator)
    as_decimal = Decimal(months.numerator) / Decimal(months.denominator)
    if as_decimal == as_decimal.quantize(Decimal("0.0001")):
        return format(as_decimal.normalize(), "f")
    whole, rest = divmod(months.numerator, months.denominator)
    return f"{whole}+{rest}/{months.denominator}" if whole else f"{rest}/{months.denominator}"


# ---------------------------------------------------------------------------------------------
# Line amounts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineCalc:
    quantity: Decimal  # m², units, kWh...
    rate: Decimal
    months: Fraction  # 1 for one-off items
    amount: Decimal
    text: str


def show_rate(rate: Decimal) -> str:
    """A rate with at least two decimals (2.5 → "2.50", 0.568 stays)."""
    rate = Decimal(rate)
    return str(rate.quantize(FEN) if rate == rate.quantize(FEN) else rate.normalize())


def area_line(area: Decimal, rate: Decimal, months: Fraction, rate_text: str | None = None,
              months_text: str | None = None) -> LineCalc:
    """``area`` m² × ``rate`` 元/m²/月 × ``months`` = amount (rounded once, at the end).

    ``rate_text`` and ``months_text`` may be given precomputed (a billing run formats them once)."""
    if months.denominator == 1:  # whole months: plain Decimal arithmetic is exact
        amount = (area * rate * months.numerator).quantize(FEN, rounding=ROUND_HALF_UP)
    else:
        amount = fen(Fraction(area) * Fraction(rate) * months)
    text = (f"{area} m² × {rate_text or show_rate(rate)} 元/m²/月 × "
            f"{months_text or describe_months(months)} 月 = {amount}")
    return LineCalc(area, rate, months, amount, text)


def unit_line(rate: Decimal, months: Fraction, count: int = 1) -> LineCalc:
    amount = fen(Fraction(count) * Fraction(rate) * months)
    text = f"{count} × {show_rate(rate)} 元/月 × {describe_months(months)} 月 = {amount}"
    return LineCalc(Decimal(count), rate, months, amount, text)


def metered_line(quantity: Decimal, rate: Decimal, unit_label: str = "") -> LineCalc:
    amount = fen(Fraction(quantity) * Fraction(rate))
    text = f"{quantity}{unit_label} × {show_rate(rate)} 元 = {amount}"
    return LineCalc(quantity, rate, Fraction(1), amount, text)


def vacancy_discount(amount: Decimal, percent: Decimal) -> Decimal:
    """The (negative) discount on a vacant unit's line; 0 when the setting is off."""
    if not percent:
        return ZERO
    return -fen(amount * percent / 100)


# ---------------------------------------------------------------------------------------------
# Shared costs: largest remainder
# ---------------------------------------------------------------------------------------------


def split_largest_remainder(total: Decimal, weights: dict) -> dict:
    """Split ``total`` yuan across keys in proportion to ``weights`` so the parts sum exactly.

    Every part is first rounded down to the fen; the fen left over go one each to the keys with
    the largest remainders (ties broken by key order, so the result is deterministic).
    """
    total = Decimal(total)
    if total < 0:
        raise RuleError("total", "Must not be negative.")
    if total != total.quantize(FEN):
        raise RuleError("total", "At most %(n)s decimal places.", n=2)
    positive = {k: Fraction(Decimal(w)) for k, w in weights.items() if Decimal(w) > 0}
    if any(Decimal(w) < 0 for w in weights.values()):
        raise RuleError("weights", "Must not be negative.")
    if not positive:
        if total == 0:
            return {k: ZERO for k in weights}
        raise RuleError("weights", "Nothing to split over: every share is zero.")
    cents = int(total * 100)
    wsum = sum(positive.values())
    floors, remainders = {}, []
    for k in sorted(positive, key=_sort_key):
        exact = Fraction(cents) * positive[k] / wsum
        floors[k] = exact.numerator // exact.denominator
        remainders.append((exact - floors[k], k))
    left = cents - sum(floors.values())
    remainders.sort(key=lambda rk: (-rk[0], _sort_key(rk[1])))
    for _rem, k in remainders[:left]:
        floors[k] += 1
    out = {k: ZERO for k in weights}
    out.update({k: (Decimal(c) / 100).quantize(FEN) for k, c in floors.items()})
    return out


def _sort_key(k):
    return (str(type(k)), k)


# ---------------------------------------------------------------------------------------------
# Item and contract checks
# ---------------------------------------------------------------------------------------------


def check_guided_rate(rate: Decimal, minimum: Decimal | None, maximum: Decimal | None) -> None:
    """A government-guided rate must lie within the allowed range (inclusive)."""
    if minimum is None or maximum is None:
        raise RuleError("guided_min", "A government-guided price needs its allowed range.")
    if minimum > maximum:
        raise RuleError("guided_max", "The upper bound is below the lower bound.")
    if not minimum <= rate <= maximum:
        raise RuleError("rate", "The rate %(rate)s is outside the government-guided range %(lo)s–%(hi)s.",
                        rate=rate, lo=minimum, hi=maximum)


def check_handling_fee(kind: str, handling_fee: Decimal) -> None:
    """Utilities collected for others (water, power, gas, heat) carry no handling fee."""
    if kind == "utility" and handling_fee and handling_fee != 0:
        raise RuleError("handling_fee", "No handling fee may be added to utilities collected for others.")


def check_dates(start: dt.date, end: dt.date | None) -> None:
    if end is not None and end < start:
        raise RuleError("effective_to", "The end date is before the start date.")


def overlaps(a_start: dt.date, a_end: dt.date | None, b_start: dt.date, b_end: dt.date | None) -> bool:
    """Do two inclusive date ranges (open-ended when the end is None) share a day?"""
    return a_start <= (b_end or dt.date.max) and b_start <= (a_end or dt.date.max)


def check_no_overlap(start: dt.date, end: dt.date | None, others) -> None:
    """Refuse when [start, end] overlaps any (start, end) of the same item code."""
    for o_start, o_end in others:
        if overlaps(start, end, o_start, o_end):
            raise RuleError("effective_from", "Overlaps the effective dates of the same item (%(s)s–%(e)s).",
                            s=o_start, e=o_end or "…")


def late_fee_annual(daily_rate: Decimal) -> Decimal:
    """The yearly equivalent of a daily late-fee rate (simple, 365 days)."""
    return daily_rate * 365


def check_late_fee(daily_rate: Decimal, reference_annual: Decimal, multiplier: Decimal,
                   reason: str | None) -> None:
    """A late-fee rate above ``multiplier`` × the reference rate (yearly) needs a stated reason.

    Courts may cut a penalty that exceeds the loss by more than 30%; the manager enters the
    reference rate (e.g. the LPR) and confirms with a reason if they still want a higher rate.
    """
    if daily_rate < 0:
        raise RuleError("late_fee_daily_rate", "Must not be negative.")
    if daily_rate == 0:
        return
    if not reference_annual or reference_annual <= 0:
        raise RuleError("late_fee_daily_rate", "Enter the reference rate in the settings before a late fee.")
    limit = reference_annual * multiplier
    if late_fee_annual(daily_rate) > limit and not (reason or "").strip():
        raise RuleError("late_fee_daily_rate",
                        "The yearly equivalent %(y)s exceeds %(l)s; confirm with a reason to keep it.",
                        y=late_fee_annual(daily_rate), l=limit)


def late_fee(principal: Decimal, daily_rate: Decimal, days_late: int) -> Decimal:
    if daily_rate <= 0 or days_late <= 0:
        return ZERO
    return fen(Fraction(principal) * Fraction(daily_rate) * days_late)


# ---------------------------------------------------------------------------------------------
# Payments
# ---------------------------------------------------------------------------------------------


def allocate_oldest_first(amount: Decimal, open_bills: list[tuple[object, Decimal]]) -> tuple[list, Decimal]:
    """Spread ``amount`` over ``(key, due)`` pairs given oldest first.

    :return: ``([(key, paid), ...], left_over)``; ``left_over`` becomes prepayment credit.
    """
    out, left = [], Decimal(amount)
    for key, due in open_bills:
        if left <= 0:
            break
        if due <= 0:
            continue
        take = min(left, due)
        out.append((key, take))
        left -= take
    return out, left


def check_prepayment(credit_after: Decimal, monthly_fee: Decimal, cap_months: int) -> None:
    """Credit beyond the open bills may not exceed ``cap_months`` of the unit's monthly fees (0 = no cap)."""
    if cap_months and credit_after > monthly_fee * cap_months:
        raise RuleError("amount", "Prepayment beyond the cap of %(n)s months (%(limit)s yuan).",
                        n=cap_months, limit=fen(monthly_fee * cap_months))


def unserved_refund(prepaid_months: Fraction, monthly_fee: Decimal, served_months: Fraction) -> Decimal:
    """Refund of prepaid months not yet served."""
    left = max(Fraction(0), prepaid_months - served_months)
    return fen(Fraction(monthly_fee) * left)


def days_between(a: dt.date, b: dt.date) -> int:
    return (b - a).days


# =============================================================================================
# Services over the database: take the acting account explicitly, flush, never commit; call
# hooks after the change. Everything below uses the rules above.
# =============================================================================================


ITEM_KINDS = ("service", "fixed", "parking", "metered", "utility", "shared", "per_job")
BILLED_KINDS = ("service", "fixed", "parking", "metered", "utility", "shared")
PAYEES = ("company", "residents_committee", "owners")
METHODS = ("cash", "bank", "online")
LEDGER_KINDS = ("expense", "common_income", "common_cost", "budget", "fund_movement", "fund_balance")


def _(message: str, **params) -> str:
    try:
        from flask_babel import gettext

        return gettext(message, **params)
    except (RuntimeError, KeyError):
        return message % params if params else message


def invalid(err: RuleError) -> Invalid:
    """The 422 for a refused rule, with the field named and the message translated."""
    return Invalid(fields={err.field: [_(err.message, **{k: str(v) for k, v in err.params.items()})]})


def checked(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except RuleError as err:
        raise invalid(err) from None


def _audit(actor, action, entity, entity_id, community, changes=None):
    core.audit(actor, action, entity, entity_id, module="fees", changes=changes,
               area_id=community.area_id, community_id=community.id)


# ---------------------------------------------------------------------------------------------
# Contract and fee items
# ---------------------------------------------------------------------------------------------


def get_contract(community):
    from plugins.fees.models import Contract

    return db.session.scalar(select(Contract).where(Contract.community_id == community.id))


def set_contract(actor, community, *, model: str, commission_percent=None, commission_fixed=None,
                 late_fee_daily_rate="0", late_fee_reason: str | None = None):
    from plugins.fees.models import Contract

    if model not in ("lump_sum", "commission"):
        raise Invalid(fields={"model": [_("Must be one of: %(choices)s.", choices="lump_sum, commission")]})
    pct = checked(parse_amount, commission_percent, "commission_percent", places=4) if commission_percent not in (
        None, "") else None
    fixed = checked(parse_amount, commission_fixed, "commission_fixed") if commission_fixed not in (None, "") else None
    if model == "commission" and pct is None and fixed is None:
        raise Invalid(fields={"commission_percent": [_("Under 酬金制 give a percentage or a fixed 酬金.")]})
    if pct is not None and pct > 100:
        raise Invalid(fields={"commission_percent": [_("Too large.")]})
    rate = checked(parse_amount, late_fee_daily_rate or "0", "late_fee_daily_rate", places=6)
    if rate and not get_setting("fees.late_fees_enabled", community=community):
        raise Invalid(fields={"late_fee_daily_rate": [_("Late fees are off in this community's settings.")]})
    checked(check_late_fee, rate, get_setting("fees.late_fee_reference_rate", community=community),
            get_setting("fees.late_fee_cap_multiplier", community=community), late_fee_reason)
    contract = get_contract(community)
    if contract is None:
        contract = Contract(area_id=community.area_id, community_id=community.id)
        db.session.add(contract)
    contract.model = model
    contract.commission_percent = pct if model == "commission" else None
    contract.commission_fixed = fixed if model == "commission" else None
    contract.late_fee_daily_rate = rate
    contract.late_fee_reason = (late_fee_reason or "").strip() or None
    db.session.flush()
    return contract


def create_item(actor, community, data: dict):
    """Add a fee item after every rule: kind, rate, guided range, no handling fee on utilities,
    no overlap with the live dates of the same code."""
    from plugins.fees.models import FeeItem

    errors: dict = {}

    def grab(name, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except RuleError as err:
            errors.setdefault(err.field, []).append(
                _(err.message, **{k: str(v) for k, v in err.params.items()}))
            return None

    code = (data.get("code") or "").strip()
    name = (data.get("name") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", code):
        errors["code"] = [_("Use 1–40 letters, digits, dots, dashes or underscores.")]
    if not name:
        errors["name"] = [_("This field is required.")]
    kind = data.get("kind")
    if kind not in ITEM_KINDS:
        errors["kind"] = [_("Must be one of: %(choices)s.", choices=", ".join(ITEM_KINDS))]
    pricing = data.get("pricing_type") or "market"
    if pricing not in ("government_guided", "market"):
        errors["pricing_type"] = [_("Must be one of: %(choices)s.", choices="government_guided, market")]
    payee = data.get("payee") or "company"
    if payee not in PAYEES:
        errors["payee"] = [_("Must be one of: %(choices)s.", choices=", ".join(PAYEES))]
    rate = grab("rate", parse_amount, data.get("rate"), "rate", places=4)
    handling = grab("handling_fee", parse_amount, data.get("handling_fee") or "0", "handling_fee", places=4)
    bounds = {}
    for key in ("guided_base", "guided_min", "guided_max"):
        raw = data.get(key)
        bounds[key] = None if raw in (None, "") else grab(key, parse_amount, raw, key, places=4)
    start, end = data.get("effective_from"), data.get("effective_to")
    if not isinstance(start, dt.date):
        errors["effective_from"] = [_("Not a valid date.")]
    if end is not None and not isinstance(end, dt.date):
        errors["effective_to"] = [_("Not a valid date.")]
    if errors:
        raise Invalid(fields=errors)
    if pricing == "government_guided":
        checked(check_guided_rate, rate, bounds["guided_min"], bounds["guided_max"])
    checked(check_handling_fee, kind, handling)
    checked(check_dates, start, end)
    others = db.session.execute(select(FeeItem.effective_from, FeeItem.effective_to).where(
        FeeItem.community_id == community.id, FeeItem.code == code, FeeItem.voided_at.is_(None))).all()
    checked(check_no_overlap, start, end, others)
    item = FeeItem(area_id=community.area_id, community_id=community.id, code=code, name=name[:120], kind=kind,
                   unit_label=(data.get("unit_label") or "")[:20], rate=rate, pricing_type=pricing,
                   guided_base=bounds["guided_base"], guided_min=bounds["guided_min"],
                   guided_max=bounds["guided_max"], handling_fee=handling,
                   legal_basis=(data.get("legal_basis") or "")[:300],
                   service_content=data.get("service_content") or "",
                   billing_method=(data.get("billing_method") or "")[:200], payer=(data.get("payer") or "")[:60],
                   payee=payee, effective_from=start, effective_to=end)
    db.session.add(item)
    db.session.flush()
    return item


def void_item(actor, item, reason: str):
    if item.voided_at is not None:
        raise Conflict(_("This item is already void."))
    if not (reason or "").strip():
        raise Invalid(fields={"reason": [_("This field is required.")]})
    item.voided_at, item.void_reason = utcnow(), reason.strip()[:300]
    db.session.flush()
    return item


def community_items(community_id: int, include_void: bool = False):
    from plugins.fees.models import FeeItem

    stmt = select(FeeItem).where(FeeItem.community_id == community_id)
    if not include_void:
        stmt = stmt.where(FeeItem.voided_at.is_(None))
    return db.session.scalars(stmt.order_by(FeeItem.code, FeeItem.effective_from)).all()


# ---------------------------------------------------------------------------------------------
# Price notice (明码标价)
# ---------------------------------------------------------------------------------------------


def current_price_notice(community_id: int):
    from plugins.fees.models import PriceNotice

    return db.session.scalar(select(PriceNotice).where(
        PriceNotice.community_id == community_id, PriceNotice.superseded_at.is_(None))
        .order_by(PriceNotice.published_at.desc(), PriceNotice.id.desc()).limit(1))


def posted_items(community_id: int):
    """Items on the current price notice (still live)."""
    from plugins.fees.models import FeeItem

    notice = current_price_notice(community_id)
    if notice is None or not notice.item_ids:
        return []
    return db.session.scalars(select(FeeItem).where(FeeItem.id.in_(notice.item_ids), FeeItem.voided_at.is_(None))
                              .order_by(FeeItem.code, FeeItem.effective_from)).all()


def notice_text(community, items, hotline: str, company_name: str) -> str:
    lines = [_("Property company: %(name)s", name=company_name or "-"),
             _("Price-complaint hotline: %(hotline)s", hotline=hotline), ""]
    for it in items:
        pricing = _("Government-guided (base %(base)s, range %(lo)s–%(hi)s)", base=it.guided_base or "-",
                     lo=it.guided_min, hi=it.guided_max) if it.pricing_type == "government_guided" else _(
            "Market price")
        lines.append(f"· {it.name} [{it.code}] {it.rate} {it.unit_label} — {pricing}; "
                     f"{_('from')} {it.effective_from}{' – ' + str(it.effective_to) if it.effective_to else ''}; "
                     f"{_('Legal basis')}: {it.legal_basis or '-'}; {_('Payer')}: {it.payer or '-'}; "
                     f"{_('Billing method')}: {it.billing_method or '-'}; "
                     f"{_('Service content and standard')}: {it.service_content or '-'}")
    return "\n".join(lines)


def publish_price_notice(actor, community, effective_from: dt.date | None = None):
    """Post every live item in force on or after ``effective_from`` as the community's price notice
    through the core notice board; the previous notice is superseded (and withdrawn from the board)."""
    from plugins.fees.models import FeeItem, PriceNotice

    effective_from = effective_from or dt.date.today()
    items = db.session.scalars(select(FeeItem).where(
        FeeItem.community_id == community.id, FeeItem.voided_at.is_(None),
        or_(FeeItem.effective_to.is_(None), FeeItem.effective_to >= effective_from))
        .order_by(FeeItem.code, FeeItem.effective_from)).all()
    if not items:
        raise Invalid(fields={"items": [_("There is no fee item to post.")]})
    hotline = get_setting("fees.price_hotline", community=community)
    company_name = community.company.name if community.company else ""
    previous = current_price_notice(community.id)
    notice = core.publish_notice(actor, title=_("Price notice of %(name)s", name=community.name),
                                 body=notice_text(community, items, hotline, company_name),
                                 area_id=community.area_id, community_id=community.id, kind="price",
                                 source_module="fees")
    row = PriceNotice(area_id=community.area_id, community_id=community.id, notice_id=notice.id,
                      company_name=company_name, hotline=hotline, item_ids=[i.id for i in items],
                      published_at=notice.publish_at, effective_from=effective_from,
                      published_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    notice.source_ref = f"price:{row.id}"
    if previous is not None:
        previous.superseded_at = utcnow()
        old = db.session.get(core_notice_model(), previous.notice_id) if previous.notice_id else None
        if old is not None and old.withdrawn_at is None:
            core.withdraw_notice(actor, old, _("Superseded by a new price notice."))
    _audit(actor, "price_notice.publish", "fees_price_notice", row.id, community)
    db.session.flush()
    return row


def core_notice_model():
    """The notice board's model class, reached through a published notice's mapper (no core import)."""
    for mapper in db.Model.registry.mappers:
        if mapper.class_.__tablename__ == "notices":
            return mapper.class_
    raise LookupError("notices")


# ---------------------------------------------------------------------------------------------
# Billing runs
# ---------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    unit_id: int
    building_id: int
    item_id: int
    payer_key: str
    payer_person_id: int | None
    payer_org_id: int | None
    start: dt.date | None
    end: dt.date | None
    calc: LineCalc | None = None
    adjustment: Decimal = ZERO
    adjustment_reason: str | None = None

    @property
    def amount(self) -> Decimal:
        return self.calc.amount + self.adjustment


def _segments(unit, owners, period: Period, developer_id, tenants=()):
    """Who pays for which days of the period: (payer_key, person, org, start, end).

    Owners pay for the days they own the unit (from delivery); where a lease makes the tenant pay,
    the tenant's days are cut out of the owner's and billed to the tenant."""
    base = _owner_segments(unit, owners, period, developer_id)
    if not tenants or not base:
        return base
    lo = base[0][3]
    spans = []
    for t in tenants:
        s, e = max(lo, t.start_date), min(period.end, t.end_date or period.end)
        if e >= s:
            spans.append((f"p:{t.person_id}", t.person_id, None, s, e))
    out = list(spans)
    for key, pid, oid, s, e in base:
        pieces = [(s, e)]
        for _k, _p, _o, ts, te in spans:
            cut = []
            for a, b in pieces:
                if te < a or ts > b:
                    cut.append((a, b))
                    continue
                if a < ts:
                    cut.append((a, ts - dt.timedelta(days=1)))
                if te < b:
                    cut.append((te + dt.timedelta(days=1), b))
            pieces = cut
        out.extend((key, pid, oid, a, b) for a, b in pieces)
    return sorted(out, key=lambda seg: seg[3])


def _owner_segments(unit, owners, period: Period, developer_id):
    lo = period.start
    if unit.delivered_on and unit.delivered_on > lo and str(unit.sale_status) != "unsold":
        lo = unit.delivered_on
    out = []
    if str(unit.sale_status) == "unsold" or not owners:
        if developer_id and str(unit.sale_status) == "unsold":
            out.append((f"o:{developer_id}", None, developer_id, period.start, period.end))
        return out
    for o in owners:
        s = max(lo, o.start_date or lo)
        e = min(period.end, o.end_date or period.end)
        if e < s:
            continue
        if o.person_id is not None:
            out.append((f"p:{o.person_id}", o.person_id, None, s, e))
        elif o.organisation_id is not None:
            out.append((f"o:{o.organisation_id}", None, o.organisation_id, s, e))
    return out


def _load_context(community, period: Period, *, need_occupancy: bool = True, kinds: set | None = None):
    """Units, their payers, occupancy, readings and shared costs of the period, each in one query
    (occupancy, readings and shared costs only when a rule needs them)."""
    from plugins.fees.models import Reading, SharedCost, TenantPayer

    kinds = kinds if kinds is not None else set(ITEM_KINDS)

    U = core.Unit
    units = db.session.execute(select(U.id, U.building_id, U.use, U.sale_status, U.delivered_on, U.building_area,
                                      U.exclusive_area).where(U.community_id == community.id).order_by(U.id)).all()
    owners: dict[int, list] = {}
    Own = core.Ownership
    rows = db.session.execute(select(Own.unit_id, Own.person_id, Own.organisation_id, Own.start_date, Own.end_date).where(
        core.Ownership.community_id == community.id,
        or_(core.Ownership.start_date.is_(None), core.Ownership.start_date <= period.end),
        or_(core.Ownership.end_date.is_(None), core.Ownership.end_date >= period.start))
        .order_by(Own.unit_id, Own.is_voting_representative.desc(), Own.id)).all()
    for o in rows:
        lst = owners.setdefault(o.unit_id, [])
        # co-owners at the same time: the first (the voting representative) is billed
        if any((x.start_date, x.end_date) == (o.start_date, o.end_date) for x in lst):
            continue
        lst.append(o)
    occupied = set(db.session.scalars(select(core.Residency.unit_id).where(
        core.Residency.community_id == community.id,
        or_(core.Residency.start_date.is_(None), core.Residency.start_date <= period.end),
        or_(core.Residency.end_date.is_(None), core.Residency.end_date >= period.start)))) if need_occupancy else set()
    readings = {(r.unit_id, r.item_id): r.quantity for r in db.session.execute(
        select(Reading.unit_id, Reading.item_id, Reading.quantity).where(
            Reading.community_id == community.id, Reading.period == period.code))} if kinds & {
        "metered", "utility"} else {}
    shared = {s.item_id: s for s in db.session.scalars(select(SharedCost).where(
        SharedCost.community_id == community.id, SharedCost.period == period.code,
        SharedCost.voided_at.is_(None)))} if "shared" in kinds else {}
    tenants: dict[int, list] = {}
    for t in db.session.execute(select(TenantPayer.unit_id, TenantPayer.person_id, TenantPayer.start_date,
                                       TenantPayer.end_date).where(
            TenantPayer.community_id == community.id, TenantPayer.voided_at.is_(None),
            TenantPayer.start_date <= period.end,
            or_(TenantPayer.end_date.is_(None), TenantPayer.end_date >= period.start))).all():
        tenants.setdefault(t.unit_id, []).append(t)
    return units, owners, occupied, readings, shared, tenants


def billable_items(community, period: Period):
    """Items in force during the period that a billing run charges; refuses unposted ones."""
    from plugins.fees.models import FeeItem

    items = db.session.scalars(select(FeeItem).where(
        FeeItem.community_id == community.id, FeeItem.voided_at.is_(None), FeeItem.kind.in_(BILLED_KINDS),
        FeeItem.effective_from <= period.end,
        or_(FeeItem.effective_to.is_(None), FeeItem.effective_to >= period.start))
        .order_by(FeeItem.code, FeeItem.effective_from)).all()
    notice = current_price_notice(community.id)
    posted = set(notice.item_ids) if notice else set()
    unposted = [i for i in items if i.id not in posted]
    if unposted:
        raise Conflict(_("These items are not on the current price notice: %(codes)s. Post them first.",
                          codes=", ".join(sorted({i.code for i in unposted}))), code="not_posted",
                       extra={"items": sorted({i.code for i in unposted})})
    if not items:
        raise Invalid(fields={"period": [_("No posted fee item is in force in this period.")]})
    return items


def _by_payer(segs):
    """Group a unit's segments by payer: [(key, person, org, [(start, end), ...])] in order of first day."""
    if len(segs) == 1:
        key, pid, oid, s, e = segs[0]
        return [(key, pid, oid, [(s, e)])]
    grouped: dict = {}
    for key, pid, oid, s, e in segs:
        grouped.setdefault(key, (key, pid, oid, []))[3].append((s, e))
    return list(grouped.values())


@dataclass(frozen=True, slots=True)
class _ItemView:
    """The few item fields the inner billing loop reads, as plain attributes (no ORM overhead)."""

    id: int
    kind: str
    rate: Decimal
    rate_text: str
    unit_label: str
    start: dt.date
    end: dt.date | None


def compute_candidates(community, period: Period, items, skip_keys: set | None = None) -> list[Candidate]:
    """Every line the period should carry, each with its calculation (nothing is written)."""
    vacancy_pct = Decimal(get_setting("fees.vacancy_discount_percent", community=community) or 0)
    units, owners, occupied, readings, shared, tenants = _load_context(
        community, period, need_occupancy=bool(vacancy_pct), kinds={i.kind for i in items})
    basis = get_setting("fees.service_area_basis", community=community)
    vacancy_reason = _("Vacancy discount %(p)s%%", p=vacancy_pct) if vacancy_pct else None
    developer_id = community.developer_id
    skip_keys = skip_keys or set()
    out: list[Candidate] = []
    append = out.append
    splits = {}
    months_cache: dict = {}
    texts_cache: dict = {}
    views = [_ItemView(i.id, i.kind, i.rate, show_rate(i.rate), i.unit_label, i.effective_from, i.effective_to)
             for i in items]
    for item in views:
        if item.kind == "shared" and item.id in shared:
            weights = {u.id: (u.exclusive_area or ZERO) for u in units if str(u.use) != "parking"}
            splits[item.id] = (shared[item.id].total, split_largest_remainder(shared[item.id].total, weights),
                               sum(weights.values(), ZERO))
    once = ("metered", "utility", "shared")
    for unit in units:
        segs = _segments(unit, owners.get(unit.id, ()), period, developer_id, tenants.get(unit.id, ()))
        if not segs:
            continue
        unit_id, building_id = unit.id, unit.building_id
        parking = str(unit.use) == "parking"
        area = unit.exclusive_area if basis == "exclusive" else unit.building_area
        for item in views:
            kind = item.kind
            if (parking and kind in ("service", "fixed", "shared")) or (kind == "parking" and not parking):
                continue
            if kind in once:
                # charged once to whoever holds the unit at the end of the period
                key, pid, oid, s, e = segs[-1]
                if (unit_id, item.id, key) in skip_keys:
                    continue
                if kind == "shared":
                    if item.id not in splits:
                        continue
                    total, parts, wsum = splits[item.id]
                    part = parts.get(unit_id, ZERO)
                    if part == 0:
                        continue
                    calc = LineCalc(unit.exclusive_area, part, Fraction(1), part,
                                    f"{total} 元 × {unit.exclusive_area}/{wsum} m² = {part}")
                else:
                    qty = readings.get((unit_id, item.id))
                    if qty is None:
                        continue
                    calc = metered_line(qty, item.rate, item.unit_label)
                append(Candidate(unit_id, building_id, item.id, key, pid, oid, s, e, calc))
                continue
            for key, pid, oid, spans in _by_payer(segs):
                if (unit_id, item.id, key) in skip_keys:
                    continue
                if len(spans) == 1:  # the usual case: one payer for one stretch of days
                    s, e = spans[0]
                    s2 = s if s > item.start else item.start
                    e2 = e if item.end is None or e < item.end else item.end
                    months = months_cache.get((s2, e2))
                    if months is None:
                        months = months_cache[(s2, e2)] = billed_months(period, s2, e2)
                    spans = ()
                    first, last = s2, e2
                else:
                    months, first, last = Fraction(0), None, None
                for s, e in spans:
                    s2 = s if s > item.start else item.start
                    e2 = e if item.end is None or e < item.end else item.end
                    m = months_cache.get((s2, e2))
                    if m is None:
                        m = months_cache[(s2, e2)] = billed_months(period, s2, e2)
                    if m:
                        months += m
                        first = s2 if first is None or s2 < first else first
                        last = e2 if last is None or e2 > last else last
                if months == 0:
                    continue
                months_text = texts_cache.get(months)
                if months_text is None:
                    months_text = texts_cache[months] = describe_months(months)
                s2, e2 = first, last
                if kind == "service":
                    if not area:
                        continue
                    calc = area_line(area, item.rate, months, item.rate_text, months_text)
                else:
                    calc = unit_line(item.rate, months)
                c = Candidate(unit_id, building_id, item.id, key, pid, oid, s2, e2, calc)
                if vacancy_pct and kind == "service" and unit_id not in occupied:
                    c.adjustment = vacancy_discount(calc.amount, vacancy_pct)
                    c.adjustment_reason = vacancy_reason
                append(c)
    _apply_adjustments(out, period)
    return out


def _apply_adjustments(candidates, period: Period):
    """Ask other plugins for adjustments (``fee_adjustments``), only when one implements it."""
    hook = core.hook()
    if not hook.fee_adjustments.get_hookimpls():
        return
    for c in candidates:
        line = {"unit_id": c.unit_id, "item_id": c.item_id, "period": period.code, "amount": c.calc.amount,
                "payer_key": c.payer_key}
        for result in hook.fee_adjustments(bill_line=line):
            for adj in result if isinstance(result, list) else [result]:
                amount = fen(Decimal(adj["amount"]))
                c.adjustment += amount
                reason = str(adj.get("reason") or "")[:100]
                c.adjustment_reason = "; ".join(x for x in (c.adjustment_reason, reason) if x)
        if c.amount < 0:  # a discount never turns a line into a credit
            c.adjustment = -c.calc.amount


def preview_run(actor, community, period_code: str, due_date: dt.date | None = None):
    """Compute the period's lines and store a preview (totals per item and per building)."""
    from plugins.fees.models import BillingRun

    period = checked(parse_period, period_code)
    due_date = due_date or period.start + dt.timedelta(days=get_setting("fees.due_days", community=community))
    if not isinstance(due_date, dt.date):
        raise Invalid(fields={"due_date": [_("Not a valid date.")]})
    items = billable_items(community, period)
    existing = _live_line_keys(community.id, period.code)
    candidates = compute_candidates(community, period, items)
    by_item, by_building, total, new = {}, {}, ZERO, 0
    names = {i.id: f"{i.name} ({i.code})" for i in items}
    buildings = dict(db.session.execute(select(core.Building.id, core.Building.name).where(
        core.Building.community_id == community.id)).all())
    for c in candidates:
        by_item[names[c.item_id]] = str(Decimal(by_item.get(names[c.item_id], "0")) + c.amount)
        bname = buildings.get(c.building_id, "?")
        by_building[bname] = str(Decimal(by_building.get(bname, "0")) + c.amount)
        total += c.amount
        new += (c.unit_id, c.item_id, c.payer_key) not in existing
    run = BillingRun(area_id=community.area_id, community_id=community.id, period=period.code, status="preview",
                     due_date=due_date, created_by_id=getattr(actor, "id", None),
                     preview={"by_item": by_item, "by_building": by_building, "total": str(total),
                              "lines": len(candidates), "new_lines": new,
                              "bills": len({(c.unit_id, c.payer_key) for c in candidates})})
    db.session.add(run)
    db.session.flush()
    _audit(actor, "run.preview", "fees_run", run.id, community, {"period": period.code, "total": str(total)})
    return run


def _live_line_keys(community_id: int, period_code: str) -> set:
    from plugins.fees.models import BillLine

    return set(db.session.execute(select(BillLine.unit_id, BillLine.item_id, BillLine.payer_key).where(
        BillLine.community_id == community_id, BillLine.period == period_code,
        BillLine.voided_at.is_(None))).all())


def confirm_run(actor, run, community, *, chunk_size: int = 5000, on_chunk=None) -> dict:
    """Issue the bills of a previewed run. Idempotent and resumable: lines already live for the same
    unit, period, item and payer are skipped, existing live bills are reused, and every chunk can be
    committed by ``on_chunk`` so a crash loses at most the chunk in flight (rerun to finish)."""
    from plugins.fees.models import Bill, BillLine

    if run.community_id != community.id:
        raise NotFound()
    period = checked(parse_period, run.period)
    items = billable_items(community, period)
    run.status = "confirming"
    db.session.flush()
    existing = _live_line_keys(community.id, period.code)
    candidates = compute_candidates(community, period, items, skip_keys=existing)
    bills = dict(((u, k), i) for u, k, i in db.session.execute(select(Bill.unit_id, Bill.payer_key, Bill.id).where(
        Bill.community_id == community.id, Bill.period == period.code, Bill.voided_at.is_(None))).all())
    now = utcnow()
    payer_names = _payer_names(candidates)
    created_bills = created_lines = 0
    new_bill_ids = []
    area_id, community_id, code = community.area_id, community.id, period.code
    for start in range(0, len(candidates), chunk_size):
        chunk = candidates[start:start + chunk_size]
        grouped: dict[tuple, list[Candidate]] = {}
        for c in chunk:
            grouped.setdefault((c.unit_id, c.payer_key), []).append(c)
        fresh = [k for k in grouped if k not in bills]
        if fresh:
            rows = [{"area_id": community.area_id, "community_id": community.id, "unit_id": u, "run_id": run.id,
                     "kind": "periodic", "period": period.code, "payer_key": k,
                     "payer_person_id": grouped[(u, k)][0].payer_person_id,
                     "payer_org_id": grouped[(u, k)][0].payer_org_id, "payer_name": payer_names.get(k, ""),
                     "total": sum((c.amount for c in grouped[(u, k)]), ZERO), "paid": ZERO,
                     "due_date": run.due_date, "issued_at": now, "created_at": now, "updated_at": now}
                    for u, k in fresh]
            # plain executemany, then read the new ids back in one query (faster than RETURNING per row)
            db.session.execute(insert(Bill.__table__), rows)
            want = set(fresh)
            for u, k, bill_id in db.session.execute(select(Bill.unit_id, Bill.payer_key, Bill.id).where(
                    Bill.community_id == community.id, Bill.period == period.code, Bill.voided_at.is_(None),
                    Bill.unit_id.in_({u for u, _k in fresh}))).all():
                if (u, k) in want:
                    bills[(u, k)] = bill_id
                    new_bill_ids.append(bill_id)
            created_bills += len(fresh)
        fresh_keys = set(fresh)
        topped = [k for k in grouped if k not in fresh_keys]
        if topped:  # resuming: lines added to a bill issued before the crash
            db.session.execute(update(Bill.__table__).where(Bill.__table__.c.id == bindparam("b_id")).values(
                total=Bill.__table__.c.total + bindparam("add", type_=core.Money())),
                [{"b_id": bills[k], "add": sum((c.amount for c in grouped[k]), ZERO)} for k in topped])
        lines = [{"area_id": area_id, "community_id": community_id, "bill_id": bills[(c.unit_id, c.payer_key)],
                  "unit_id": c.unit_id, "item_id": c.item_id, "period": code, "payer_key": c.payer_key,
                  "start_date": c.start, "end_date": c.end, "quantity": c.calc.quantity, "rate": c.calc.rate,
                  "base_amount": c.calc.amount, "adjustment": c.adjustment,
                  "adjustment_reason": c.adjustment_reason, "amount": c.amount,
                  "calculation": c.calc.text[:300], "created_at": now, "updated_at": now} for c in chunk]
        if lines:
            db.session.execute(insert(BillLine.__table__), lines)
        created_lines += len(lines)
        if on_chunk is not None:
            on_chunk()
    run.status = "confirmed"
    run.confirmed_at = run.confirmed_at or now
    run.bills_created += created_bills
    run.lines_created += created_lines
    db.session.flush()
    _audit(actor, "run.confirm", "fees_run", run.id, community,
           {"period": period.code, "bills": created_bills, "lines": created_lines})
    hook = core.hook()
    if new_bill_ids and hook.bill_issued.get_hookimpls():
        for bill in db.session.scalars(select(Bill).where(Bill.id.in_(new_bill_ids))):
            hook.bill_issued(bill=bill)
    return {"bills": created_bills, "lines": created_lines}


def set_tenant_payer(actor, community, unit, person_id: int, start: dt.date, end: dt.date | None,
                     lease_clause: str):
    """Record that the lease makes a tenant of ``unit`` pay its fees between ``start`` and ``end``."""
    from plugins.fees.models import TenantPayer

    if unit.community_id != community.id:
        raise NotFound()
    errors = {}
    if not (lease_clause or "").strip():
        errors["lease_clause"] = [_("This field is required.")]
    if not isinstance(start, dt.date):
        errors["start_date"] = [_("Not a valid date.")]
    if end is not None and not isinstance(end, dt.date):
        errors["end_date"] = [_("Not a valid date.")]
    if errors:
        raise Invalid(fields=errors)
    checked(check_dates, start, end)
    tenant = db.session.scalar(select(core.Residency).where(
        core.Residency.unit_id == unit.id, core.Residency.person_id == person_id,
        core.Residency.kind == "tenant").limit(1))
    if tenant is None:
        raise Invalid(fields={"person_id": [_("This person is not a tenant of the unit.")]})
    others = db.session.execute(select(TenantPayer.start_date, TenantPayer.end_date).where(
        TenantPayer.unit_id == unit.id, TenantPayer.voided_at.is_(None))).all()
    checked(check_no_overlap, start, end, others)
    row = TenantPayer(area_id=community.area_id, community_id=community.id, unit_id=unit.id, person_id=person_id,
                      start_date=start, end_date=end, lease_clause=lease_clause.strip()[:300])
    db.session.add(row)
    db.session.flush()
    _audit(actor, "tenant_payer.set", "fees_tenant_payer", row.id, community)
    return row


def _payer_names(candidates) -> dict:
    pids = {c.payer_person_id for c in candidates if c.payer_person_id}
    oids = {c.payer_org_id for c in candidates if c.payer_org_id}
    names = {}
    if pids:
        names.update({f"p:{i}": n for i, n in db.session.execute(
            select(core.Person.id, core.Person.name).where(core.Person.id.in_(pids))).all()})
    if oids:
        names.update({f"o:{i}": n for i, n in db.session.execute(
            select(core.Organisation.id, core.Organisation.name).where(core.Organisation.id.in_(oids))).all()})
    return names


def void_and_reissue(actor, bill, community, reason: str):
    """Void a bill (and its lines) with a reason and issue it again from today's data (e.g. a
    corrected area); money already paid moves to the new bill (any excess becomes credit)."""
    from plugins.fees.models import Allocation, Bill, BillLine

    if bill.community_id != community.id:
        raise NotFound()
    if bill.voided_at is not None:
        raise Conflict(_("This bill is already void."), extra={"allowed": []})
    if not (reason or "").strip():
        raise Invalid(fields={"reason": [_("This field is required.")]})
    if bill.kind != "periodic":
        raise Conflict(_("Charges are refunded, not reissued."), extra={"allowed": ["refund"]})
    now = utcnow()
    bill.voided_at, bill.void_reason = now, reason.strip()[:300]
    db.session.execute(update(BillLine).where(BillLine.bill_id == bill.id).values(voided_at=now))
    db.session.flush()
    period = parse_period(bill.period)
    items = billable_items(community, period)
    others = {k for k in _live_line_keys(community.id, period.code)}
    cands = [c for c in compute_candidates(community, period, items, skip_keys=others)
             if c.unit_id == bill.unit_id and c.payer_key == bill.payer_key]
    new = Bill(area_id=bill.area_id, community_id=bill.community_id, unit_id=bill.unit_id, run_id=bill.run_id,
               kind="periodic", period=bill.period, payer_key=bill.payer_key, payer_person_id=bill.payer_person_id,
               payer_org_id=bill.payer_org_id, payer_name=bill.payer_name,
               total=sum((c.amount for c in cands), ZERO), paid=ZERO, due_date=bill.due_date, issued_at=now,
               replaces_id=bill.id)
    db.session.add(new)
    db.session.flush()
    for c in cands:
        db.session.add(BillLine(area_id=bill.area_id, community_id=bill.community_id, bill_id=new.id,
                                unit_id=c.unit_id, item_id=c.item_id, period=bill.period, payer_key=c.payer_key,
                                start_date=c.start, end_date=c.end, quantity=c.calc.quantity, rate=c.calc.rate,
                                base_amount=c.calc.amount, adjustment=c.adjustment,
                                adjustment_reason=c.adjustment_reason, amount=c.amount,
                                calculation=c.calc.text[:300]))
    moved = bill.paid
    if moved > 0:
        allocs = db.session.scalars(select(Allocation).where(Allocation.bill_id == bill.id)).all()
        payments = {a.payment_id: a.payment for a in allocs}
        for a in allocs:
            take = min(a.amount, new.total - new.paid)
            if take > 0:
                db.session.add(Allocation(payment_id=a.payment_id, bill_id=new.id, amount=take))
                new.paid += take
            payments[a.payment_id].credit += a.amount - max(take, ZERO)
    db.session.flush()
    _audit(actor, "bill.void_reissue", "fees_bill", bill.id, community, {"reason": reason, "new_bill": new.id})
    if core.hook().bill_issued.get_hookimpls():
        core.hook().bill_issued(bill=new)
    return new


# ---------------------------------------------------------------------------------------------
# Payments, providers, receipts, refunds
# ---------------------------------------------------------------------------------------------


def unit_open_bills(unit_id: int):
    from plugins.fees.models import Bill

    return db.session.scalars(select(Bill).where(
        Bill.unit_id == unit_id, Bill.voided_at.is_(None), Bill.refunded_at.is_(None), Bill.paid < Bill.total)
        .order_by(Bill.due_date, Bill.period, Bill.id)).all()


def unit_credit(unit_id: int) -> Decimal:
    from plugins.fees.models import Payment

    return db.session.scalar(select(func.coalesce(func.sum(Payment.credit), 0)).where(
        Payment.unit_id == unit_id, Payment.status == "succeeded")) or ZERO


def monthly_fee(unit_id: int) -> Decimal:
    """The unit's monthly recurring fees from its latest periodic bill (service, fixed, parking)."""
    from plugins.fees.models import Bill, BillLine, FeeItem

    last = db.session.scalar(select(Bill).where(Bill.unit_id == unit_id, Bill.kind == "periodic",
                                                Bill.voided_at.is_(None)).order_by(Bill.period.desc()).limit(1))
    if last is None:
        return ZERO
    total = db.session.scalar(select(func.coalesce(func.sum(BillLine.base_amount), 0)).join(FeeItem).where(
        BillLine.bill_id == last.id, FeeItem.kind.in_(("service", "fixed", "parking"))))
    months = len(parse_period(last.period).months)
    return fen(Decimal(total or 0) / months)


def _find_payment(idempotency_key):
    from plugins.fees.models import Payment

    return db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))


def record_payment(actor, community, *, unit=None, bill=None, amount, method: str, reference: str | None = None,
                   idempotency_key: str | None = None, provider: str = "offline", pending: bool = False):
    """Record a payment for a unit (allocated to its open bills oldest first, the rest as
    prepayment up to the cap) or for one bill (e.g. a charge). The same idempotency key counts once."""
    from plugins.fees.models import Payment

    amount = checked(parse_amount, amount, "amount", allow_zero=False)
    if method not in METHODS:
        raise Invalid(fields={"method": [_("Must be one of: %(choices)s.", choices=", ".join(METHODS))]})
    if method == "online" and not (reference or "").strip():
        raise Invalid(fields={"reference": [_("An online payment needs its reference.")]})
    key = (idempotency_key or "").strip()[:80] or uuid.uuid4().hex
    previous = _find_payment(key)
    if previous is not None:
        same = previous.amount == amount and previous.unit_id == (unit.id if unit else previous.unit_id)
        if not same:
            raise Conflict(_("This idempotency key was used for a different payment."), code="idempotency_mismatch")
        return previous
    if bill is not None:
        if bill.community_id != community.id:
            raise NotFound()
        if bill.voided_at is not None or bill.refunded_at is not None:
            raise Conflict(_("This bill is void; pay its replacement."), code="bill_void", extra={"allowed": []})
        if amount > bill.balance:
            raise Invalid(fields={"amount": [_("More than the balance of the bill (%(b)s).", b=bill.balance)]})
        unit_id = bill.unit_id
        payer_key, payer_name = bill.payer_key, bill.payer_name
    elif unit is not None:
        if unit.community_id != community.id:
            raise NotFound()
        unit_id = unit.id
        open_bills = unit_open_bills(unit.id)
        payer_key = open_bills[0].payer_key if open_bills else _current_payer_key(unit)
        payer_name = open_bills[0].payer_name if open_bills else ""
    else:
        raise Invalid(fields={"unit_id": [_("This field is required.")]})
    payment = Payment(area_id=community.area_id, community_id=community.id, unit_id=unit_id, payer_key=payer_key,
                      payer_name=payer_name, amount=amount, credit=ZERO, method=method, provider=provider,
                      reference=(reference or "").strip()[:80] or None, idempotency_key=key,
                      status="pending" if pending else "succeeded", received_at=None if pending else utcnow(),
                      recorded_by_id=getattr(actor, "id", None))
    db.session.add(payment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a concurrent submission with the same key won the race
        db.session.expunge(payment)
        return _find_payment(key)
    if not pending:
        _settle(payment, community, bill)
    _audit(actor, "payment.record", "fees_payment", payment.id, community,
           {"amount": str(amount), "method": method, "status": payment.status})
    return payment


def _current_payer_key(unit) -> str:
    row = db.session.scalar(select(core.Ownership).where(core.Ownership.unit_id == unit.id, or_(
        core.Ownership.end_date.is_(None), core.Ownership.end_date >= dt.date.today())).order_by(
        core.Ownership.is_voting_representative.desc(), core.Ownership.id).limit(1))
    if row is None:
        return "unknown"
    return f"p:{row.person_id}" if row.person_id else f"o:{row.organisation_id}"


def _settle(payment, community, bill=None):
    """Allocate a succeeded payment; fire ``payment_received`` and ``charge_settled``."""
    from plugins.fees.models import Allocation

    targets = [bill] if bill is not None else unit_open_bills(payment.unit_id)
    allocations, left = allocate_oldest_first(payment.amount, [(b, b.balance) for b in targets])
    if left > 0:
        if payment.unit_id is None:
            raise Invalid(fields={"amount": [_("More than the balance of the bill (%(b)s).", b=bill.balance)]})
        cap = get_setting("fees.prepayment_cap_months", community=community)
        checked(check_prepayment, unit_credit(payment.unit_id) + left, monthly_fee(payment.unit_id), cap)
    settled = []
    for b, take in allocations:
        db.session.add(Allocation(payment_id=payment.id, bill_id=b.id, amount=take))
        b.paid += take
        if b.kind == "charge" and b.paid >= b.total:
            settled.append(b)
    payment.credit = left
    payment.status, payment.received_at = "succeeded", payment.received_at or utcnow()
    db.session.flush()
    hook = core.hook()
    hook.payment_received(payment=payment)
    for b in settled:
        hook.charge_settled(charge_ref=b.number)


def provider_callback(reference: str, amount, status: str = "paid"):
    """An online provider's callback: a duplicate is ignored, a late one (after the pending payment
    was cancelled) is still recorded — the money has arrived — and allocated or kept as credit."""
    from plugins.fees.models import Bill, Payment

    payment = db.session.scalar(select(Payment).where(Payment.reference == reference, Payment.provider != "offline"))
    if payment is None:
        raise NotFound()
    amount = checked(parse_amount, amount, "amount", allow_zero=False)
    if amount != payment.amount:
        raise Invalid(fields={"amount": [_("The amount differs from the payment started.")]})
    if payment.status == "succeeded":
        return payment, "duplicate"
    community = db.session.get(core.Community, payment.community_id)
    if status != "paid":
        payment.status = "void"
        payment.voided_at, payment.void_reason = utcnow(), "provider: " + status[:40]
        db.session.flush()
        return payment, "failed"
    late = payment.status == "void"
    payment.voided_at = payment.void_reason = None
    bill = None
    if payment.unit_id is None:
        alloc_bill = db.session.scalar(select(Bill).where(Bill.payer_key == payment.payer_key, Bill.kind == "charge",
                                                          Bill.paid < Bill.total, Bill.voided_at.is_(None)))
        bill = alloc_bill
    elif payment.reference and payment.reference.startswith("ZD"):
        pass
    _settle(payment, community, bill)
    return payment, "late" if late else "ok"


def cancel_pending(actor, payment, reason: str):
    if payment.status != "pending":
        raise Conflict(_("Only a pending payment can be cancelled."), extra={"allowed": []})
    payment.status, payment.voided_at, payment.void_reason = "void", utcnow(), (reason or "cancelled")[:300]
    db.session.flush()
    return payment


def refund_credit(actor, community, unit, reason: str):
    """Refund the prepaid credit of a unit (unserved months), as a refund record."""
    from plugins.fees.models import Payment, Refund

    if unit.community_id != community.id:
        raise NotFound()
    if not (reason or "").strip():
        raise Invalid(fields={"reason": [_("This field is required.")]})
    payments = db.session.scalars(select(Payment).where(Payment.unit_id == unit.id, Payment.credit > 0,
                                                        Payment.status == "succeeded")).all()
    total = sum((p.credit for p in payments), ZERO)
    if total <= 0:
        raise Conflict(_("There is no credit to refund."), extra={"allowed": []})
    refunds = []
    for p in payments:
        refunds.append(Refund(area_id=community.area_id, community_id=community.id, payment_id=p.id,
                              amount=p.credit, reason=reason.strip()[:300]))
        p.credit = ZERO
    db.session.add_all(refunds)
    db.session.flush()
    _audit(actor, "credit.refund", "fees_refund", refunds[0].id, community, {"amount": str(total)})
    return total


# ---------------------------------------------------------------------------------------------
# Charges for other plugins (charge_requested / refund_requested)
# ---------------------------------------------------------------------------------------------


def request_charge(payer, payee, item_code: str, amount, source: dict | None):
    """Raise a charge on ``payee``'s posted item; returns the bill number as the charge reference."""
    from plugins.fees.models import Bill, BillLine

    try:
        amount = parse_amount(amount, "amount")
    except RuleError as err:
        raise ValueError(str(err)) from None
    today = dt.date.today()
    item = next((i for i in posted_items(payee.id) if i.code == item_code and i.in_force(today)), None)
    if item is None:
        raise ValueError(f"item {item_code!r} is not on the posted price notice of community {payee.id}")
    now = utcnow()
    ref = uuid.uuid4().hex[:12]
    bill = Bill(area_id=payee.area_id, community_id=payee.id, unit_id=None, kind="charge", period=f"C-{ref}",
                payer_key=f"p:{payer.id}", payer_person_id=payer.id, payer_name=payer.name, total=amount, paid=ZERO,
                due_date=today + dt.timedelta(days=7), issued_at=now, source=dict(source or {}))
    db.session.add(bill)
    db.session.flush()
    db.session.add(BillLine(area_id=payee.area_id, community_id=payee.id, bill_id=bill.id, unit_id=None,
                            item_id=item.id, period=bill.period, payer_key=bill.payer_key, quantity=Decimal(1),
                            rate=amount, base_amount=amount, amount=amount,
                            calculation=f"{item.name}: 1 × {amount} 元 = {amount}"))
    db.session.flush()
    core.audit(None, "charge.request", "fees_bill", bill.id, module="fees", area_id=payee.area_id,
               community_id=payee.id, changes={"source": _jsonable_source(source), "amount": str(amount)})
    return bill.number


def _jsonable_source(source):
    return {str(k): str(v) for k, v in (source or {}).items()}


def bill_by_number(number: str):
    from plugins.fees.models import Bill

    if not re.fullmatch(r"ZD\d{8,}", number or ""):
        return None
    return db.session.get(Bill, int(number[2:]))


def refund_charge(charge_ref: str, reason: str):
    """Refund a paid charge (or void an unpaid one); returns the refund reference."""
    from plugins.fees.models import BillLine, Refund

    bill = bill_by_number(charge_ref)
    if bill is None or bill.kind != "charge":
        return None
    if bill.refunded_at is not None or bill.voided_at is not None:
        raise Conflict(_("This charge was already refunded or voided."), extra={"allowed": []})
    now = utcnow()
    if bill.paid <= 0:
        bill.voided_at, bill.void_reason = now, (reason or "refund requested")[:300]
        db.session.execute(update(BillLine).where(BillLine.bill_id == bill.id).values(voided_at=now))
        db.session.flush()
        return f"VOID-{bill.number}"
    refund = Refund(area_id=bill.area_id, community_id=bill.community_id, bill_id=bill.id, amount=bill.paid,
                    reason=(reason or "refund requested")[:300])
    bill.refunded_at = now
    db.session.add(refund)
    db.session.flush()
    return refund.number


# ---------------------------------------------------------------------------------------------
# Arrears, demands (催告), reminders
# ---------------------------------------------------------------------------------------------


def arrears(community_id: int, on: dt.date | None = None):
    """Units with overdue balances: [{unit_id, payer_key, payer_name, amount, bills, oldest_due}]."""
    from plugins.fees.models import Bill

    on = on or dt.date.today()
    rows = db.session.execute(select(
        Bill.unit_id, Bill.payer_key, func.max(Bill.payer_name), func.sum(Bill.total - Bill.paid),
        func.count(Bill.id), func.min(Bill.due_date)).where(
        Bill.community_id == community_id, Bill.voided_at.is_(None), Bill.refunded_at.is_(None),
        Bill.paid < Bill.total, Bill.due_date < on, Bill.unit_id.is_not(None))
        .group_by(Bill.unit_id, Bill.payer_key).order_by(func.min(Bill.due_date), Bill.unit_id)).all()
    return [{"unit_id": u, "payer_key": k, "payer_name": n, "amount": (Decimal(a) / 100).quantize(FEN),
             "bills": c, "oldest_due": d} for u, k, n, a, c, d in rows]


def issue_demand(actor, community, unit, pay_within_days: int | None = None):
    """Generate the written demand (催告) for a unit's overdue bills and notify the payer in-app."""
    from plugins.fees.models import Bill, Demand

    if unit.community_id != community.id:
        raise NotFound()
    today = dt.date.today()
    bills = db.session.scalars(select(Bill).where(
        Bill.unit_id == unit.id, Bill.voided_at.is_(None), Bill.refunded_at.is_(None), Bill.paid < Bill.total,
        Bill.due_date < today).order_by(Bill.due_date, Bill.id)).all()
    if not bills:
        raise Conflict(_("This unit has no overdue bill."), extra={"allowed": []})
    days = pay_within_days or get_setting("fees.demand_pay_within_days", community=community)
    demand = Demand(area_id=community.area_id, community_id=community.id, unit_id=unit.id,
                    payer_key=bills[0].payer_key, payer_name=bills[0].payer_name, bill_ids=[b.id for b in bills],
                    amount=sum((b.balance for b in bills), ZERO), issued_on=today,
                    pay_by=today + dt.timedelta(days=days))
    db.session.add(demand)
    db.session.flush()
    _notify_payers([b.payer_person_id for b in bills], _("Written demand for overdue property fees"),
                   _("Overdue: %(amount)s yuan. Please pay by %(day)s.", amount=demand.amount, day=demand.pay_by))
    _audit(actor, "demand.issue", "fees_demand", demand.id, community, {"amount": str(demand.amount)})
    return demand


def _notify_payers(person_ids, subject, body):
    ids = {i for i in person_ids if i}
    if not ids:
        return 0
    accounts = db.session.scalars(select(core.Account).where(core.Account.person_id.in_(ids),
                                                             core.Account.active.is_(True))).all()
    if accounts:
        core.notify(accounts, subject, body, link="/fees/portal", module="fees")
    return len(accounts)


def send_reminders(on: dt.date | None = None) -> int:
    """Remind payers of bills overdue by the community's reminder days (a job; once a bill)."""
    from plugins.fees.models import Bill

    on = on or dt.date.today()
    bills = db.session.execute(select(Bill.id, Bill.payer_person_id, Bill.community_id, Bill.due_date, Bill.source)
                               .where(Bill.voided_at.is_(None), Bill.refunded_at.is_(None), Bill.paid < Bill.total,
                                      Bill.due_date < on, Bill.payer_person_id.is_not(None))).all()
    communities = {c.id: c for c in db.session.scalars(select(core.Community).where(
        core.Community.id.in_({b.community_id for b in bills})))} if bills else {}
    due: list = []
    for bill_id, person_id, community_id, due_date, source in bills:
        after = get_setting("fees.reminder_after_days", community=communities[community_id])
        if (on - due_date).days >= after and not (source or {}).get("reminded"):
            due.append((bill_id, person_id))
    if not due:
        return 0
    by_id = {b.id: b for b in db.session.scalars(select(Bill).where(Bill.id.in_([d[0] for d in due])))}
    for bill_id, _pid in due:
        b = by_id[bill_id]
        b.source = {**(b.source or {}), "reminded": on.isoformat()}
    _notify_payers([d[1] for d in due], _("Reminder: property fees overdue"),
                   _("You have overdue bills; see them in the portal."))
    per_community: dict[int, int] = {}
    for bill_id, _pid in due:
        cid = by_id[bill_id].community_id
        per_community[cid] = per_community.get(cid, 0) + 1
    for cid, count in per_community.items():  # staff see the arrears list grow
        core.notify_role("manager", _("%(n)s bills newly overdue", n=count),
                         _("Payers were reminded; see the arrears list."), link=f"/fees/c/{cid}/arrears",
                         community=communities[cid], module="fees")
    db.session.flush()
    return len(due)


def yearly_disclosures(on: dt.date | None = None) -> int:
    """Publish last year's disclosure for every community billed that year and not yet disclosed
    (the yearly statement; managers may publish more often by hand)."""
    from plugins.fees.models import Bill, Disclosure

    year = (on or dt.date.today()).year - 1
    billed = set(db.session.scalars(select(Bill.community_id).where(
        Bill.period.like(f"{year}%"), Bill.kind == "periodic").distinct()))
    done = set(db.session.scalars(select(Disclosure.community_id).where(Disclosure.year == year)))
    todo = billed - done
    if not todo:
        return 0
    for community in db.session.scalars(select(core.Community).where(core.Community.id.in_(todo))):
        publish_disclosure(None, community, year)
    return len(todo)


# ---------------------------------------------------------------------------------------------
# Disclosure (公开)
# ---------------------------------------------------------------------------------------------


def add_ledger_entry(actor, community, *, year, kind: str, label: str, amount, source: str = ""):
    from plugins.fees.models import LedgerEntry

    errors = {}
    if kind not in LEDGER_KINDS:
        errors["kind"] = [_("Must be one of: %(choices)s.", choices=", ".join(LEDGER_KINDS))]
    if not (label or "").strip():
        errors["label"] = [_("This field is required.")]
    try:
        year = int(year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = [_("Not a valid year.")]
    if errors:
        raise Invalid(fields=errors)
    negative_ok = kind == "fund_movement"
    raw = str(amount).strip()
    sign = -1 if negative_ok and raw.startswith("-") else 1
    value = checked(parse_amount, raw.lstrip("-") if negative_ok else raw, "amount") * sign
    entry = LedgerEntry(area_id=community.area_id, community_id=community.id, year=year, kind=kind,
                        label=label.strip()[:120], amount=value, source=(source or "")[:120])
    db.session.add(entry)
    db.session.flush()
    return entry


def disclosure_figures(community, year: int) -> dict:
    """The year's figures: income billed and collected by item, expenses by cost item, common-part
    income less its costs (the owners'), 酬金制 budget against actual and 酬金, the maintenance fund."""
    from plugins.fees.models import Allocation, Bill, BillLine, FeeItem, LedgerEntry

    billed = db.session.execute(select(FeeItem.name, func.sum(BillLine.amount)).join(FeeItem).join(Bill).where(
        BillLine.community_id == community.id, BillLine.voided_at.is_(None), Bill.kind == "periodic",
        BillLine.period.like(f"{year}%")).group_by(FeeItem.name).order_by(FeeItem.name)).all()
    collected = db.session.scalar(select(func.coalesce(func.sum(Allocation.amount), 0)).join(Bill).where(
        Bill.community_id == community.id, Bill.voided_at.is_(None), Bill.kind == "periodic",
        Bill.period.like(f"{year}%")))
    entries = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.community_id == community.id, LedgerEntry.year == year, LedgerEntry.voided_at.is_(None))
        .order_by(LedgerEntry.kind, LedgerEntry.id)).all()

    def pick(kind):
        return [(e.label, e.amount, e.source) for e in entries if e.kind == kind]

    def total(rows):
        return sum((r[1] for r in rows), ZERO)

    expenses, common_income, common_cost = pick("expense"), pick("common_income"), pick("common_cost")
    budget = pick("budget")
    income_total = sum((Decimal(a) for _n, a in billed), ZERO)
    contract = get_contract(community)
    commission = None
    if contract is not None and contract.model == "commission":
        if contract.commission_fixed is not None:
            commission = contract.commission_fixed
        else:
            commission = fen(total(expenses) * (contract.commission_percent or 0) / 100)
    figures = {
        "year": year,
        "contract_model": contract.model if contract else "lump_sum",
        "income": [{"item": n, "amount": str(Decimal(a))} for n, a in billed],
        "income_total": str(income_total),
        "collected": str(fen(Decimal(collected or 0))),
        "expenses": [{"label": lb, "amount": str(a), "source": s} for lb, a, s in expenses],
        "expense_total": str(total(expenses)),
        "common_income": [{"label": lb, "amount": str(a), "source": s} for lb, a, s in common_income],
        "common_costs": [{"label": lb, "amount": str(a), "source": s} for lb, a, s in common_cost],
        "common_net_owners": str(total(common_income) - total(common_cost)),
        "budget": [{"label": lb, "amount": str(a)} for lb, a, _s in budget],
        "budget_total": str(total(budget)),
        "commission": None if commission is None else str(commission),
        "fund_movements": [{"label": lb, "amount": str(a), "source": s} for lb, a, s in pick("fund_movement")],
        "fund_balance": str(total(pick("fund_balance"))),
    }
    if contract is not None and contract.model == "commission":
        figures["owners_surplus"] = str(income_total - total(expenses) - (commission or ZERO))
    return figures


def publish_disclosure(actor, community, year: int):
    """Freeze the year's figures as a new version and post them on the notice board."""
    from plugins.fees.models import Disclosure

    figures = disclosure_figures(community, year)
    version = (db.session.scalar(select(func.max(Disclosure.version)).where(
        Disclosure.community_id == community.id, Disclosure.year == year)) or 0) + 1
    lines = [_("Fee income %(total)s yuan, collected %(c)s yuan.", total=figures["income_total"],
                c=figures["collected"]),
             _("Expenses %(total)s yuan.", total=figures["expense_total"]),
             _("Common-part income after reasonable costs, belonging to the owners: %(net)s yuan.",
                net=figures["common_net_owners"]),
             _("Maintenance fund balance: %(b)s yuan.", b=figures["fund_balance"])]
    notice = core.publish_notice(actor, title=_("%(name)s fee disclosure %(year)s", name=community.name, year=year),
                                 body="\n".join(lines), area_id=community.area_id, community_id=community.id,
                                 kind="disclosure", source_module="fees")
    row = Disclosure(area_id=community.area_id, community_id=community.id, year=year, version=version,
                     figures=figures, notice_id=notice.id, published_at=notice.publish_at)
    db.session.add(row)
    db.session.flush()
    notice.source_ref = f"disclosure:{row.id}"
    _audit(actor, "disclosure.publish", "fees_disclosure", row.id, community, {"year": year})
    return row


# ---------------------------------------------------------------------------------------------
# Fee changes: costing, 30 days' posting, the owners' decision
# ---------------------------------------------------------------------------------------------


def propose_fee_change(actor, community, *, item_code: str, new_rate, takes_effect, costing: str):
    from plugins.fees.models import FeeChange, FeeItem

    errors = {}
    rate = None
    try:
        rate = parse_amount(new_rate, "new_rate", places=4)
    except RuleError as err:
        errors["new_rate"] = [_(err.message, **{k: str(v) for k, v in err.params.items()})]
    if not isinstance(takes_effect, dt.date):
        errors["takes_effect"] = [_("Not a valid date.")]
    if not (costing or "").strip():
        errors["costing"] = [_("A fee change needs its costing.")]
    item = db.session.scalar(select(FeeItem).where(FeeItem.community_id == community.id, FeeItem.code == item_code,
                                                   FeeItem.voided_at.is_(None)).limit(1))
    if item is None:
        errors["item_code"] = [_("No such fee item.")]
    if errors:
        raise Invalid(fields=errors)
    days = get_setting("fees.fee_change_notice_days", community=community)
    if takes_effect < dt.date.today() + dt.timedelta(days=days):
        raise Invalid(fields={"takes_effect": [_("Must be posted at least %(n)s days before it takes effect.",
                                                  n=days)]})
    change = FeeChange(area_id=community.area_id, community_id=community.id, item_code=item_code, new_rate=rate,
                       takes_effect=takes_effect, costing=costing.strip())
    db.session.add(change)
    db.session.flush()
    notice = core.publish_notice(actor, title=_("Proposed fee change: %(code)s", code=item_code),
                                 body=_("New rate %(rate)s from %(day)s.", rate=rate, day=takes_effect)
                                 + "\n\n" + change.costing, area_id=community.area_id, community_id=community.id,
                                 kind="fee_change", source_module="fees", source_ref=f"change:{change.id}")
    change.notice_id, change.posted_at = notice.id, notice.publish_at
    ref = core.hook().decision_required(community=community, subject=_("Fee change: %(code)s to %(rate)s",
                                                                        code=item_code, rate=rate),
                                        decision_class="ordinary")
    change.decision_ref = str(ref) if ref is not None else None
    db.session.flush()
    _audit(actor, "fee_change.propose", "fees_change", change.id, community, {"rate": str(rate)})
    return change


def record_decision(change, passed: bool, note: str | None = None):
    change.decision_passed = bool(passed)
    change.decision_note = (note or "")[:300] or None
    db.session.flush()
    return change


def on_decision_recorded(decision: dict):
    from plugins.fees.models import FeeChange

    ref = decision.get("ref")
    if ref is None:
        return
    change = db.session.scalar(select(FeeChange).where(FeeChange.decision_ref == str(ref)))
    if change is not None:
        record_decision(change, decision.get("passed"), _("Owners' assembly decision"))


def apply_fee_change(actor, change, community):
    """After the owners approved and the posting period passed: end the old item, start the new rate."""
    from plugins.fees.models import FeeItem

    if change.decision_passed is not True:
        raise Conflict(_("The owners have not approved this change."), extra={"allowed": ["record_decision"]})
    days = get_setting("fees.fee_change_notice_days", community=community)
    if change.posted_at is None or (change.takes_effect - change.posted_at.date()).days < days:
        raise Conflict(_("Must be posted at least %(n)s days before it takes effect.", n=days), extra={"allowed": []})
    old = db.session.scalar(select(FeeItem).where(
        FeeItem.community_id == community.id, FeeItem.code == change.item_code, FeeItem.voided_at.is_(None),
        FeeItem.effective_from < change.takes_effect,
        or_(FeeItem.effective_to.is_(None), FeeItem.effective_to >= change.takes_effect)))
    if old is None:
        raise Conflict(_("No item in force to change."), extra={"allowed": []})
    old.effective_to = change.takes_effect - dt.timedelta(days=1)
    db.session.flush()
    data = {c: getattr(old, c) for c in ("code", "name", "kind", "unit_label", "pricing_type", "guided_base",
                                          "guided_min", "guided_max", "handling_fee", "legal_basis",
                                          "service_content", "billing_method", "payer", "payee")}
    data.update(rate=change.new_rate, effective_from=change.takes_effect, effective_to=None)
    return create_item(actor, community, data)


def _rule_messages() -> list[str]:  # pragma: no cover - lets the catalogue extractor see them
    return [
        _("A government-guided price needs its allowed range."),
        _("At most %(n)s decimal places."),
        _("Enter the reference rate in the settings before a late fee."),
        _("Must not be negative."),
        _("No handling fee may be added to utilities collected for others."),
        _("Nothing to split over: every share is zero."),
        _("Overlaps the effective dates of the same item (%(s)s–%(e)s)."),
        _("Prepayment beyond the cap of %(n)s months (%(limit)s yuan)."),
        _("The end date is before the start date."),
        _("The rate %(rate)s is outside the government-guided range %(lo)s–%(hi)s."),
        _("The upper bound is below the lower bound."),
        _("The yearly equivalent %(y)s exceeds %(l)s; confirm with a reason to keep it."),
        _("Use a month (2026-03), a quarter (2026-Q1) or a year (2026)."),
    ]
