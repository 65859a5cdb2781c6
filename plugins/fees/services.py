"""Pure fee arithmetic and checks: plain values in, plain values out (no Flask, no database).

The first half holds the pure rules (plain values in and out, property-tested); the second the
services over the database, which take the acting account, flush but never commit, and call hooks.
Money is ``Decimal`` yuan rounded to the fen with ROUND_HALF_UP; areas are ``Decimal`` m².
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from sqlalchemy import BigInteger, String, bindparam, exists, func, insert, or_, select, type_coerce, update
from sqlalchemy.exc import IntegrityError

import core
from core import Conflict, Invalid, NotFound, bulk_allocation, db, get_setting, utcnow

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


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
        raise RuleError(field, "Not a valid amount.")
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = str(raw).strip()
        if not _NUMBER.match(text):
            raise RuleError(field, "Not a valid amount: use digits and a decimal point only.")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise RuleError(field, "Not a valid amount.") from None
    if not value.is_finite():
        raise RuleError(field, "Not a valid amount.")
    if value < 0:
        raise RuleError(field, "Must not be negative.")
    if not allow_zero and value == 0:
        raise RuleError(field, "Must be more than zero.")
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
        period = (_("%(start)s to %(end)s", start=it.effective_from, end=it.effective_to) if it.effective_to
                  else _("from %(start)s", start=it.effective_from))
        # one message per line, so a translation can order and punctuate it as its language does
        lines.append(_("· %(name)s [%(code)s] %(rate)s %(unit)s — %(pricing)s; %(period)s; legal basis: %(basis)s; "
                       "payer: %(payer)s; billing method: %(method)s; service content and standard: %(content)s",
                       name=it.name, code=it.code, rate=it.rate, unit=it.unit_label, pricing=pricing, period=period,
                       basis=it.legal_basis or "-", payer=it.payer or "-", method=it.billing_method or "-",
                       content=it.service_content or "-"))
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


@dataclass(slots=True)
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


# A payer's stretch of a unit: (payer_key, person id, organisation id, first day, last day).
Segment = tuple[str, int | None, int | None, dt.date, dt.date]


def _segments(unit, owners, period: Period, developer_id, tenants=()) -> list[Segment]:
    """Who pays for which days of the period.

    ``owners`` are (payer_key, person, org, start, end) tuples, ``tenants`` (payer_key, person,
    start, end). Owners pay for the days they own the unit (from delivery); where a lease makes the
    tenant pay, the tenant's days are cut out of the owner's and billed to the tenant."""
    base = _owner_segments(unit, owners, period, developer_id)
    if not tenants or not base:
        return base
    lo = base[0][3]
    spans = []
    for key, pid, start, end in tenants:
        s, e = max(lo, start), min(period.end, end or period.end)
        if e >= s:
            spans.append((key, pid, None, s, e))
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


def _owner_segments(unit, owners, period: Period, developer_id) -> list[Segment]:
    unsold = unit.sale_status == "unsold"
    if unsold or not owners:
        if developer_id and unsold:
            return [(f"o:{developer_id}", None, developer_id, period.start, period.end)]
        return []
    lo = period.start
    if unit.delivered_on and unit.delivered_on > lo:
        lo = unit.delivered_on
    out = []
    for key, pid, oid, start, end in owners:
        s = max(lo, start or lo)
        e = min(period.end, end or period.end)
        if e >= s:
            out.append((key, pid, oid, s, e))
    return out


class _Scaled(dict):
    """Integer hundredths (as stored) → Decimal with two places, each distinct value built once:
    units of one floor plan share their areas, so a community has far fewer areas than units."""

    def __missing__(self, raw):
        value = self[raw] = None if raw is None else Decimal(raw).scaleb(-2)
        return value


@dataclass
class _Context:
    """What a billing run reads, each in one query: units, payers (with their names), occupancy,
    readings, shared costs, tenants, and the 公摊 weights of the whole community."""

    units: list
    owners: dict
    occupied: set
    readings: dict
    shared: dict
    tenants: dict
    names: dict
    weights: dict
    scaled: _Scaled


def _load_context(community, period: Period, *, need_occupancy: bool = True, kinds: set | None = None,
                  only=None) -> _Context:
    """Read everything a run needs in a handful of set-based queries. ``only`` (a list of unit ids
    or a select of them) narrows the units; 公摊 weights always cover the whole community."""
    from plugins.fees.models import Reading, SharedCost, TenantPayer

    kinds = kinds if kinds is not None else set(ITEM_KINDS)
    U, Own, P, Org = core.Unit, core.Ownership, core.Person, core.Organisation
    cid = community.id
    scaled = _Scaled()
    # raw stored values (enum names, integer hundredths of m²): no per-row type conversion
    rows = db.session.execute(select(
        U.id, U.building_id, type_coerce(U.use, String).label("use"),
        type_coerce(U.sale_status, String).label("sale_status"), U.delivered_on,
        type_coerce(U.building_area, BigInteger).label("building_area"),
        type_coerce(U.exclusive_area, BigInteger).label("exclusive_area"))
        .where(U.community_id == cid, *([U.id.in_(only)] if only is not None else [])).order_by(U.id)).all()
    units = rows
    owners: dict[int, list] = {}
    names: dict[str, str] = {}
    stmt = (select(Own.unit_id, Own.person_id, Own.organisation_id, Own.start_date, Own.end_date, P.name, Org.name)
            .outerjoin(P, P.id == Own.person_id).outerjoin(Org, Org.id == Own.organisation_id)
            .where(Own.community_id == cid,
                   or_(Own.start_date.is_(None), Own.start_date <= period.end),
                   or_(Own.end_date.is_(None), Own.end_date >= period.start),
                   *([Own.unit_id.in_(only)] if only is not None else []))
            .order_by(Own.unit_id, Own.is_voting_representative.desc(), Own.id))
    for unit_id, pid, oid, start, end, pname, oname in db.session.execute(stmt):
        if pid is not None:
            key = f"p:{pid}"
            names[key] = pname
        elif oid is not None:
            key = f"o:{oid}"
            names[key] = oname
        else:
            continue
        held = owners.get(unit_id)
        if held is None:
            owners[unit_id] = [(key, pid, oid, start, end)]
        elif all((x[3], x[4]) != (start, end) for x in held):
            # co-owners at the same time: only the first (the voting representative) is billed
            held.append((key, pid, oid, start, end))
    if community.developer_id:
        names[f"o:{community.developer_id}"] = db.session.scalar(
            select(Org.name).where(Org.id == community.developer_id)) or ""
    occupied = set(db.session.scalars(select(core.Residency.unit_id).where(
        core.Residency.community_id == cid,
        or_(core.Residency.start_date.is_(None), core.Residency.start_date <= period.end),
        or_(core.Residency.end_date.is_(None), core.Residency.end_date >= period.start),
        *([core.Residency.unit_id.in_(only)] if only is not None else [])))) if need_occupancy else set()
    readings = {(r.unit_id, r.item_id): r.quantity for r in db.session.execute(
        select(Reading.unit_id, Reading.item_id, Reading.quantity).where(
            Reading.community_id == cid, Reading.period == period.code,
            *([Reading.unit_id.in_(only)] if only is not None else [])))} if kinds & {"metered", "utility"} else {}
    shared = {s.item_id: s for s in db.session.scalars(select(SharedCost).where(
        SharedCost.community_id == cid, SharedCost.period == period.code,
        SharedCost.voided_at.is_(None)))} if "shared" in kinds else {}
    weights = {}
    if shared:
        everyone = units if only is None else db.session.execute(select(
            U.id, type_coerce(U.use, String).label("use"),
            type_coerce(U.exclusive_area, BigInteger).label("exclusive_area")).where(U.community_id == cid)).all()
        weights = {u.id: (scaled[u.exclusive_area] or ZERO) for u in everyone if u.use != "parking"}
    tenants: dict[int, list] = {}
    for unit_id, pid, start, end, pname in db.session.execute(
            select(TenantPayer.unit_id, TenantPayer.person_id, TenantPayer.start_date, TenantPayer.end_date, P.name)
            .join(P, P.id == TenantPayer.person_id).where(
                TenantPayer.community_id == cid, TenantPayer.voided_at.is_(None),
                TenantPayer.start_date <= period.end,
                or_(TenantPayer.end_date.is_(None), TenantPayer.end_date >= period.start),
                *([TenantPayer.unit_id.in_(only)] if only is not None else []))):
        names[f"p:{pid}"] = pname
        tenants.setdefault(unit_id, []).append((f"p:{pid}", pid, start, end))
    return _Context(units, owners, occupied, readings, shared, tenants, names, weights, scaled)


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


_NOT_BUILT = object()


@dataclass(frozen=True, slots=True)
class _ItemView:
    """The few item fields the inner billing loop reads, as plain attributes (no ORM overhead)."""

    id: int
    code: str
    kind: str
    rate: Decimal
    rate_text: str
    unit_label: str
    start: dt.date
    end: dt.date | None


def compute_candidates(community, period: Period, items, skip_keys: set | None = None, *, only=None,
                       context: _Context | None = None) -> list[Candidate]:
    """Every line the period should carry, each with its calculation (nothing is written), in unit
    order (all lines of a unit next to each other). ``only`` narrows the units (see _load_context)."""
    vacancy_pct = Decimal(get_setting("fees.vacancy_discount_percent", community=community) or 0)
    ctx = context or _load_context(community, period, need_occupancy=bool(vacancy_pct),
                                   kinds={i.kind for i in items}, only=only)
    units, owners, occupied, readings, shared, tenants, scaled = (
        ctx.units, ctx.owners, ctx.occupied, ctx.readings, ctx.shared, ctx.tenants, ctx.scaled)
    basis = get_setting("fees.service_area_basis", community=community)
    vacancy_reason = _("Vacancy discount %(p)s%%", p=vacancy_pct) if vacancy_pct else None
    developer_id = community.developer_id
    skip_keys = skip_keys or set()
    out: list[Candidate] = []
    append = out.append
    splits = {}
    months_cache: dict = {}
    texts_cache: dict = {}
    # units of one floor plan billed for the same days get the same line: build it once
    calc_cache: dict = {}
    views = [_ItemView(i.id, i.code, i.kind, i.rate, show_rate(i.rate), i.unit_label, i.effective_from,
                       i.effective_to) for i in items]
    for item in views:
        if item.kind == "shared" and item.id in shared:
            weights = ctx.weights
            splits[item.id] = (shared[item.id].total, split_largest_remainder(shared[item.id].total, weights),
                               sum(weights.values(), ZERO))
    once = ("metered", "utility", "shared")
    p_start, p_end = period.start, period.end

    def line_for(item: _ItemView, area, months: Fraction) -> LineCalc | None:
        """A service or per-unit line for ``months`` of the period, or None when nothing is owed."""
        if months == 0:
            return None
        if item.kind != "service":
            return unit_line(item.rate, months)
        if not area:
            return None
        months_text = texts_cache.get(months)
        if months_text is None:
            months_text = texts_cache[months] = describe_months(months)
        return area_line(area, item.rate, months, item.rate_text, months_text)

    for unit in units:
        unit_id = unit.id
        own = owners.get(unit_id, ())
        if (len(own) == 1 and unit_id not in tenants and unit.sale_status != "unsold"
                and (unit.delivered_on is None or unit.delivered_on <= p_start)):
            # the usual case: one owner, no lease, delivered before the period
            key, pid, oid, start, end = own[0]
            s = start if start and start > p_start else p_start
            e = end if end and end < p_end else p_end
            if e < s:
                continue
            segs = [(key, pid, oid, s, e)]
        else:
            segs = _segments(unit, own, period, developer_id, tenants.get(unit_id, ()))
            if not segs:
                continue
        payers = _by_payer(segs)
        building_id = unit.building_id
        parking = unit.use == "parking"
        area = scaled[unit.exclusive_area if basis == "exclusive" else unit.building_area]
        for item in views:
            kind = item.kind
            if (parking and kind in ("service", "fixed", "shared")) or (kind == "parking" and not parking):
                continue
            if kind in once:
                # charged once to whoever holds the unit at the end of the period
                key, pid, oid, s, e = segs[-1]
                if skip_keys and (unit_id, item.id, key) in skip_keys:
                    continue
                if kind == "shared":
                    if item.id not in splits:
                        continue
                    total, parts, wsum = splits[item.id]
                    part = parts.get(unit_id, ZERO)
                    if part == 0:
                        continue
                    exclusive = scaled[unit.exclusive_area]
                    calc = LineCalc(exclusive, part, Fraction(1), part, f"{total} 元 × {exclusive}/{wsum} m² = {part}")
                else:
                    qty = readings.get((unit_id, item.id))
                    if qty is None:
                        continue
                    calc = metered_line(qty, item.rate, item.unit_label)
                append(Candidate(unit_id, building_id, item.id, key, pid, oid, s, e, calc))
                continue
            for key, pid, oid, spans in payers:
                if skip_keys and (unit_id, item.id, key) in skip_keys:
                    continue
                if len(spans) == 1:  # one payer for one stretch of days: the line depends on
                    s, e = spans[0]  # the item, the area and the stretch only, so it is built once
                    first = s if s > item.start else item.start
                    last = e if item.end is None or e < item.end else item.end
                    ckey = (item.id, area if kind == "service" else None, first, last)
                    calc = calc_cache.get(ckey, _NOT_BUILT)
                    if calc is _NOT_BUILT:
                        months = months_cache.get((first, last))
                        if months is None:
                            months = months_cache[(first, last)] = billed_months(period, first, last)
                        calc = calc_cache[ckey] = line_for(item, area, months)
                else:
                    months, first, last = Fraction(0), None, None
                    for s, e in spans:
                        s2 = s if s > item.start else item.start
                        e2 = e if item.end is None or e < item.end else item.end
                        m = billed_months(period, s2, e2)
                        if m:
                            months += m
                            first = s2 if first is None or s2 < first else first
                            last = e2 if last is None or e2 > last else last
                    calc = line_for(item, area, months)
                if calc is None:
                    continue
                c = Candidate(unit_id, building_id, item.id, key, pid, oid, first, last, calc)
                if vacancy_pct and kind == "service" and unit_id not in occupied:
                    c.adjustment = vacancy_discount(calc.amount, vacancy_pct)
                    c.adjustment_reason = vacancy_reason
                append(c)
    _apply_adjustments(out, period, {v.id: v.code for v in views})
    return out


def _apply_adjustments(candidates, period: Period, codes: dict):
    """Ask other plugins for adjustments (``fee_adjustments``, one call per line as its contract
    says), only when one implements it."""
    hook = core.hook()
    if not hook.fee_adjustments.get_hookimpls():
        return
    for c in candidates:
        line = {"unit_id": c.unit_id, "item_id": c.item_id, "item_code": codes[c.item_id], "period": period.code,
                "amount": c.calc.amount, "payer_key": c.payer_key}
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
    with bulk_allocation():
        candidates = compute_candidates(community, period, items)
    names = {i.id: f"{i.name} ({i.code})" for i in items}
    buildings = dict(db.session.execute(select(core.Building.id, core.Building.name).where(
        core.Building.community_id == community.id)).all())
    by_item: dict[str, Decimal] = {}
    by_building: dict[str, Decimal] = {}
    total, new = ZERO, 0
    for c in candidates:
        amount = c.amount
        iname, bname = names[c.item_id], buildings.get(c.building_id, "?")
        by_item[iname] = by_item.get(iname, ZERO) + amount
        by_building[bname] = by_building.get(bname, ZERO) + amount
        total += amount
        new += (c.unit_id, c.item_id, c.payer_key) not in existing
    run = BillingRun(area_id=community.area_id, community_id=community.id, period=period.code, status="preview",
                     due_date=due_date, created_by_id=getattr(actor, "id", None),
                     preview={"by_item": {k: str(v) for k, v in by_item.items()},
                              "by_building": {k: str(v) for k, v in by_building.items()}, "total": str(total),
                              "lines": len(candidates), "new_lines": new,
                              "bills": len({(c.unit_id, c.payer_key) for c in candidates})})
    db.session.add(run)
    db.session.flush()
    _audit(actor, "run.preview", "fees_run", run.id, community, {"period": period.code, "total": str(total)})
    return run


def _live_line_keys(community_id: int, period_code: str, only=None) -> set:
    from plugins.fees.models import BillLine

    return set(db.session.execute(select(BillLine.unit_id, BillLine.item_id, BillLine.payer_key).where(
        BillLine.community_id == community_id, BillLine.period == period_code, BillLine.voided_at.is_(None),
        *([BillLine.unit_id.in_(only)] if only is not None else []))).all())


def _pending_units(community_id: int, period_code: str, item_ids: list[int]):
    """The units still lacking a live line of the period for one of ``item_ids`` (one anti-join), or
    None when the period has no live line at all yet (then every unit is pending).

    Units that never get a line of some item (a parking space and the service fee, a meter without
    a reading) stay pending and are recomputed, which finds nothing for them: the rule stays in
    Python, the query only narrows the work."""
    from plugins.fees.models import BillLine, FeeItem

    L, U = BillLine, core.Unit
    if db.session.scalar(select(L.id).where(L.community_id == community_id, L.period == period_code,
                                            L.voided_at.is_(None)).limit(1)) is None:
        return None
    missing = select(FeeItem.id).where(FeeItem.id.in_(item_ids), ~exists().where(
        L.unit_id == U.id, L.period == period_code, L.item_id == FeeItem.id, L.voided_at.is_(None))
        .correlate(U, FeeItem))
    return select(U.id).where(U.community_id == community_id, exists(missing))


def confirm_run(actor, run, community, *, chunk_size: int = 5000, on_chunk=None) -> dict:
    """Issue the bills of a previewed run. Idempotent and resumable: lines already live for the same
    unit, period, item and payer are skipped, existing live bills are reused, and every chunk can be
    committed by ``on_chunk`` so a crash loses at most the chunk in flight (rerun to finish). A chunk
    never splits a unit, so a resumed run finds each unit either done or untouched."""
    with bulk_allocation():
        return _confirm_run(actor, run, community, chunk_size, on_chunk)


def _confirm_run(actor, run, community, chunk_size: int, on_chunk) -> dict:
    from plugins.fees.models import Bill, BillLine

    if run.community_id != community.id:
        raise NotFound()
    period = checked(parse_period, run.period)
    items = billable_items(community, period)
    run.status = "confirming"
    db.session.flush()
    only = _pending_units(community.id, period.code, [i.id for i in items])
    if only is not None:
        # a rerun: one anti-join says which units are left; none left is the common case
        pending = db.session.scalars(only.limit(chunk_size + 1)).all()
        if not pending:
            return _finish_run(actor, run, community, period, 0, 0, [])
        if len(pending) <= chunk_size:
            only = pending
    existing = _live_line_keys(community.id, period.code, only) if only is not None else set()
    ctx = _load_context(community, period, kinds={i.kind for i in items}, only=only,
                        need_occupancy=bool(get_setting("fees.vacancy_discount_percent", community=community)))
    candidates = compute_candidates(community, period, items, skip_keys=existing, context=ctx)
    B = Bill.__table__
    bills = {}
    if only is not None:
        bills = {(u, k): i for u, k, i in db.session.execute(select(B.c.unit_id, B.c.payer_key, B.c.id).where(
            B.c.community_id == community.id, B.c.period == period.code, B.c.voided_at.is_(None),
            B.c.unit_id.in_(only)))}
    now = utcnow()
    payer_names = ctx.names
    created_bills = created_lines = 0
    new_bill_ids: list[int] = []
    area_id, community_id, code, run_id, due = community.area_id, community.id, period.code, run.id, run.due_date
    returning = db.session.get_bind().dialect.name == "sqlite"
    n, start = len(candidates), 0
    while start < n:
        stop = min(start + chunk_size, n)
        while stop < n and candidates[stop].unit_id == candidates[stop - 1].unit_id:
            stop += 1
        chunk = candidates[start:stop]
        start = stop
        grouped: dict[tuple, list[Candidate]] = {}
        for c in chunk:
            grouped.setdefault((c.unit_id, c.payer_key), []).append(c)
        fresh = [k for k in grouped if k not in bills]
        if fresh:
            rows = []
            for u, k in fresh:
                first = grouped[(u, k)]
                total = first[0].amount if len(first) == 1 else sum((c.amount for c in first), ZERO)
                rows.append({"area_id": area_id, "community_id": community_id, "unit_id": u, "run_id": run_id,
                             "kind": "periodic", "period": code, "payer_key": k,
                             "payer_person_id": first[0].payer_person_id, "payer_org_id": first[0].payer_org_id,
                             "payer_name": payer_names.get(k, ""), "total": total, "paid": ZERO, "due_date": due,
                             "issued_at": now, "created_at": now, "updated_at": now})
            if returning:
                # SQLite: one multi-row INSERT ... RETURNING per batch is the cheapest way to the new ids
                new = db.session.execute(insert(B).returning(B.c.id, B.c.unit_id, B.c.payer_key), rows).all()
            else:
                # psycopg parses a multi-row INSERT of thousands of parameters slowly on the client:
                # a plain executemany, then the ids in one query over the chunk's units, which are a
                # contiguous range (candidates come in unit order)
                db.session.execute(insert(B), rows)
                new = db.session.execute(select(B.c.id, B.c.unit_id, B.c.payer_key).where(
                    B.c.unit_id.between(chunk[0].unit_id, chunk[-1].unit_id), B.c.period == code,
                    B.c.voided_at.is_(None), B.c.community_id == community_id)).all()
            want = set(fresh)
            for bill_id, u, k in new:
                if (u, k) in want:
                    bills[(u, k)] = bill_id
                    new_bill_ids.append(bill_id)
            created_bills += len(fresh)
        fresh_keys = set(fresh)
        topped = [k for k in grouped if k not in fresh_keys]
        if topped:  # resuming: lines added to a bill issued before the crash
            db.session.execute(update(B).where(B.c.id == bindparam("b_id")).values(
                total=B.c.total + bindparam("add", type_=core.Money())),
                [{"b_id": bills[k], "add": sum((c.amount for c in grouped[k]), ZERO)} for k in topped])
        lines = [{"area_id": area_id, "community_id": community_id, "bill_id": bills[(c.unit_id, c.payer_key)],
                  "unit_id": c.unit_id, "item_id": c.item_id, "period": code, "payer_key": c.payer_key,
                  "start_date": c.start, "end_date": c.end, "quantity": c.calc.quantity, "rate": c.calc.rate,
                  "base_amount": c.calc.amount, "adjustment": c.adjustment,
                  "adjustment_reason": c.adjustment_reason, "amount": c.calc.amount + c.adjustment,
                  "calculation": c.calc.text[:300], "created_at": now, "updated_at": now} for c in chunk]
        db.session.execute(insert(BillLine.__table__), lines)
        created_lines += len(lines)
        if on_chunk is not None:
            on_chunk()
    return _finish_run(actor, run, community, period, created_bills, created_lines, new_bill_ids)


def _finish_run(actor, run, community, period: Period, created_bills: int, created_lines: int,
                new_bill_ids: list[int]) -> dict:
    from plugins.fees.models import Bill

    run.status = "confirmed"
    run.confirmed_at = run.confirmed_at or utcnow()
    run.bills_created += created_bills
    run.lines_created += created_lines
    db.session.flush()
    _audit(actor, "run.confirm", "fees_run", run.id, community,
           {"period": period.code, "bills": created_bills, "lines": created_lines})
    hook = core.hook()
    if new_bill_ids and hook.bill_issued.get_hookimpls():
        for start in range(0, len(new_bill_ids), 1000):
            for bill in db.session.scalars(select(Bill).where(Bill.id.in_(new_bill_ids[start:start + 1000]))):
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
    others = _live_line_keys(community.id, period.code, [bill.unit_id])
    cands = [c for c in compute_candidates(community, period, items, skip_keys=others, only=[bill.unit_id])
             if c.payer_key == bill.payer_key]
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
    return units_credit([unit_id])


def units_credit(unit_ids) -> Decimal:
    """Prepaid credit held for the units together (one query)."""
    from plugins.fees.models import Payment

    return db.session.scalar(select(func.coalesce(func.sum(Payment.credit), 0)).where(
        Payment.unit_id.in_(list(unit_ids)), Payment.status == "succeeded")) or ZERO


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
    from plugins.fees.models import Allocation, Bill, BillLine, FeeItem, FundImport, FundLine, LedgerEntry

    billed = db.session.execute(select(FeeItem.name, func.sum(BillLine.amount)).join(FeeItem).join(Bill).where(
        BillLine.community_id == community.id, BillLine.voided_at.is_(None), Bill.kind == "periodic",
        BillLine.period.like(f"{year}%")).group_by(FeeItem.name).order_by(FeeItem.name)).all()
    collected = db.session.scalar(select(func.coalesce(func.sum(Allocation.amount), 0)).join(Bill).where(
        Bill.community_id == community.id, Bill.voided_at.is_(None), Bill.kind == "periodic",
        Bill.period.like(f"{year}%")))
    entries = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.community_id == community.id, LedgerEntry.year == year, LedgerEntry.voided_at.is_(None))
        .order_by(LedgerEntry.kind, LedgerEntry.id)).all()

    statement = db.session.execute(
        select(FundLine.day, FundLine.description, FundLine.amount_in, FundLine.amount_out, FundLine.balance,
               FundImport.holder).join(FundImport, FundImport.id == FundLine.import_id).where(
            FundLine.community_id == community.id, FundLine.voided_at.is_(None),
            FundLine.day >= dt.date(year, 1, 1), FundLine.day <= dt.date(year, 12, 31))
        .order_by(FundLine.day, FundLine.id)).all()

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
        "fund_movements": [{"label": lb, "amount": str(a), "source": s} for lb, a, s in pick("fund_movement")]
        + [{"label": f"{day.isoformat()} {text}".strip(), "amount": str(a_in - a_out), "source": holder}
           for day, text, a_in, a_out, _b, holder in statement],
        # the holder's statement states the balance itself; figures entered by hand count otherwise
        "fund_balance": str(statement[-1][4] if statement else total(pick("fund_balance"))),
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


# ---------------------------------------------------------------------------------------------
# Maintenance fund (专项维修资金) statements, imported from the holder's Excel or CSV file
# ---------------------------------------------------------------------------------------------

FUND_MAX_ROWS = 20_000
# canonical column → the header the template uses, and other spellings found on statements
FUND_COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("day", "日期", ("date", "day", "交易日期", "记账日期", "入账日期")),
    ("description", "摘要", ("description", "说明", "交易摘要", "用途", "备注")),
    ("amount_in", "收入", ("in", "amount_in", "存入", "转入", "贷方发生额", "收入金额")),
    ("amount_out", "支出", ("out", "amount_out", "支取", "转出", "借方发生额", "支出金额")),
    ("balance", "余额", ("balance", "账户余额", "结余")),
]
FUND_REQUIRED = ("day", "amount_in", "amount_out", "balance")
_FUND_HEADERS = {alias.strip().lower(): key for key, label, aliases in FUND_COLUMNS
                 for alias in (key, label, *aliases)}
_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DAY_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass(frozen=True)
class FundRow:
    line: int  # row number in the spreadsheet (the header is row 1)
    day: dt.date
    description: str
    amount_in: Decimal
    amount_out: Decimal
    balance: Decimal

    @property
    def fingerprint(self) -> str:
        text = f"{self.day.isoformat()}|{self.description}|{self.amount_in}|{self.amount_out}|{self.balance}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class FundPlan:
    """What a statement import would do; ``problems`` non-empty means nothing may be written."""

    rows: list[FundRow]
    problems: list
    new: list[FundRow]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        return {"rows": len(self.rows), "new": len(self.new), "already_imported": len(self.rows) - len(self.new),
                "total_in": str(sum((r.amount_in for r in self.new), ZERO)),
                "total_out": str(sum((r.amount_out for r in self.new), ZERO)),
                "opening_balance": str(self.rows[0].balance - self.rows[0].amount_in + self.rows[0].amount_out)
                if self.rows else None,
                "closing_balance": str(self.rows[-1].balance) if self.rows else None}


def _fund_day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    m = _DAY.match(text) or _DAY_COMPACT.match(text)
    if not m:
        raise RuleError("day", "Not a valid date: use 2026-03-05.")
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise RuleError("day", "This date does not exist.") from None
    if not 2000 <= day.year <= 2100:
        raise RuleError("day", "Not a valid date: use 2026-03-05.")
    return day


def _fund_amount(value, column: str) -> Decimal:
    """An amount cell: empty is zero; numbers as Excel stores them; text with digits and a point only."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    if isinstance(value, bool):
        raise RuleError(column, "Not a valid amount.")
    if isinstance(value, float):
        value = Decimal(repr(value))  # the shortest text that round-trips: 1234.5, not 1234.4999…
    elif isinstance(value, int):
        value = Decimal(value)
    return parse_amount(value, column, maximum=Decimal("10000000000"))


def check_fund_statement(table: list[list]) -> tuple[list[FundRow], list]:
    """Check every row of a statement (pure): the header, dates, amounts (Decimal, never negative, no
    "1,234.5"), one of in or out per row, date order, and that each balance follows from the previous
    row's. Returns the clean rows and the problems (``ImportProblem``, rows numbered as in the file)."""
    Problem = core.ImportProblem
    if not table:
        return [], [Problem(1, "", _("The file is empty."))]
    keys: list[str | None] = []
    problems = []
    for cell in table[0]:
        h = (str(cell).strip() if cell is not None else "").lower()
        key = _FUND_HEADERS.get(h)
        if key in keys:
            problems.append(Problem(1, h, _("This column appears twice.")))
            key = None
        keys.append(key)
    for required in FUND_REQUIRED:
        if required not in keys:
            label = next(lb for k, lb, _a in FUND_COLUMNS if k == required)
            problems.append(Problem(1, label, _("This column is required.")))
    if problems:
        return [], problems
    if len(table) - 1 > FUND_MAX_ROWS:
        return [], [Problem(1, "", _("At most %(n)s rows per file.", n=FUND_MAX_ROWS))]
    rows: list[FundRow] = []
    previous: FundRow | None = None
    for n, raw in enumerate(table[1:], start=2):
        values = {k: v for k, v in zip(keys, raw, strict=False) if k}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        found = {}
        before = len(problems)
        for key, parse in (("day", _fund_day), ("amount_in", _fund_amount), ("amount_out", _fund_amount),
                           ("balance", _fund_amount)):
            value = values.get(key)
            if key in ("day", "balance") and (value is None or (isinstance(value, str) and not value.strip())):
                problems.append(Problem(n, key, _("This field is required.")))
                continue
            try:
                found[key] = parse(value) if key == "day" else parse(value, key)
            except RuleError as err:
                problems.append(Problem(n, key, _(err.message, **{k: str(v) for k, v in err.params.items()})))
        description = str(values.get("description") or "").strip()[:200]
        if len(problems) > before:
            previous = None  # the chain restarts after a bad row: its balance cannot be trusted
            continue
        amount_in, amount_out = found["amount_in"], found["amount_out"]
        if amount_in and amount_out:
            problems.append(Problem(n, "amount_out", _("A row has an amount in or an amount out, not both.")))
            previous = None
            continue
        if not amount_in and not amount_out:
            problems.append(Problem(n, "amount_in", _("Give an amount in or an amount out.")))
            previous = None
            continue
        row = FundRow(n, found["day"], description, amount_in, amount_out, found["balance"])
        if previous is not None:
            if row.day < previous.day:
                problems.append(Problem(n, "day", _("Rows must be in date order (row %(row)s is later).",
                                                    row=previous.line)))
            expected = previous.balance + amount_in - amount_out
            if expected != row.balance:
                problems.append(Problem(n, "balance", _(
                    "The balance does not reconcile: %(prev)s + %(in)s − %(out)s = %(expected)s, not %(given)s.",
                    prev=previous.balance, **{"in": amount_in}, out=amount_out, expected=expected,
                    given=row.balance)))
        elif rows and row.day < rows[-1].day:
            problems.append(Problem(n, "day", _("Rows must be in date order (row %(row)s is later).",
                                                row=rows[-1].line)))
        rows.append(row)
        previous = row
    if not rows and not problems:
        problems.append(Problem(2, "", _("The file has no movements.")))
    return rows, problems


def plan_fund_import(community, rows: list[FundRow], problems: list | None = None) -> FundPlan:
    """Which rows are new (rows already imported are recognised by their fingerprint), and whether the
    first new row follows the balance already on record before it."""
    from plugins.fees.models import FundLine

    problems = list(problems or [])
    fingerprints = [r.fingerprint for r in rows]
    known: set[str] = set()
    for start in range(0, len(fingerprints), 500):
        known.update(db.session.scalars(select(FundLine.fingerprint).where(
            FundLine.community_id == community.id, FundLine.voided_at.is_(None),
            FundLine.fingerprint.in_(fingerprints[start:start + 500]))))
    new = [r for r in rows if r.fingerprint not in known]
    if rows and not problems and rows[0].fingerprint not in known:
        first = rows[0]
        before = db.session.execute(select(FundLine.day, FundLine.balance).where(
            FundLine.community_id == community.id, FundLine.voided_at.is_(None), FundLine.day <= first.day)
            .order_by(FundLine.day.desc(), FundLine.id.desc()).limit(1)).first()
        if before is not None and before.balance + first.amount_in - first.amount_out != first.balance:
            problems.append(core.ImportProblem(first.line, "balance", _(
                "The balance does not follow the statement already imported (%(balance)s on %(day)s).",
                balance=before.balance, day=before.day.isoformat())))
    return FundPlan(rows, problems, new)


def import_fund_statement(actor, community, data: bytes, filename: str, *, holder: str = "",
                          dry_run: bool = False):
    """Read, check and (unless ``dry_run``) record a statement file. All or nothing: any bad row
    raises ``ImportRefused`` with every problem and writes nothing. Returns (plan, import record or
    None). Flushes, never commits."""
    from plugins.fees.models import FundImport, FundLine

    holder = (holder or "").strip()
    if len(holder) > 120:
        raise Invalid(fields={"holder": [_("At most %(n)s characters.", n=120)]})
    table = core.read_table(data, filename)
    rows, problems = check_fund_statement(table)
    plan = plan_fund_import(community, rows, problems)
    if plan.problems:
        raise core.ImportRefused(plan.problems)
    if dry_run:
        return plan, None
    record = FundImport(area_id=community.area_id, community_id=community.id, holder=holder,
                        filename=(filename or "")[-200:], rows=len(rows), added=len(plan.new),
                        imported_by_id=getattr(actor, "id", None))
    db.session.add(record)
    db.session.flush()
    if plan.new:
        now = utcnow()
        try:
            with db.session.begin_nested():
                db.session.execute(insert(FundLine.__table__), [
                    {"area_id": community.area_id, "community_id": community.id, "import_id": record.id,
                     "day": r.day, "description": r.description, "amount_in": r.amount_in,
                     "amount_out": r.amount_out, "balance": r.balance, "fingerprint": r.fingerprint,
                     "created_at": now, "updated_at": now} for r in plan.new])
        except IntegrityError:  # the same statement imported at the same moment by someone else
            raise Conflict(_("This statement is being imported by someone else; try again.")) from None
    _audit(actor, "fund.import", "fees_fund_import", record.id, community,
           {"rows": len(rows), "added": len(plan.new), "holder": holder})
    return plan, record


def fund_lines(community_id: int, year: int | None = None):
    from plugins.fees.models import FundLine

    stmt = select(FundLine).where(FundLine.community_id == community_id, FundLine.voided_at.is_(None))
    if year is not None:
        stmt = stmt.where(FundLine.day >= dt.date(year, 1, 1), FundLine.day <= dt.date(year, 12, 31))
    return db.session.scalars(stmt.order_by(FundLine.day, FundLine.id)).all()


def fund_statement_template() -> bytes:
    """An empty statement with the expected columns, as CSV (UTF-8 with BOM, so Excel opens it)."""
    return ("\ufeff" + ",".join(label for _k, label, _a in FUND_COLUMNS) + "\r\n").encode()


def _rule_messages() -> list[str]:  # pragma: no cover - lets the catalogue extractor see them
    return [
        _("Not a valid amount."),
        _("Not a valid amount: use digits and a decimal point only."),
        _("Must be more than zero."),
        _("A government-guided price needs its allowed range."),
        _("At most %(n)s decimal places."),
        _("Enter the reference rate in the settings before a late fee."),
        _("Must not be negative."),
        _("No handling fee may be added to utilities collected for others."),
        _("Not a valid amount."),
        _("Not a valid amount: use digits and a decimal point only."),
        _("Not a valid date: use 2026-03-05."),
        _("This date does not exist."),
        _("Too large."),
        _("Nothing to split over: every share is zero."),
        _("Overlaps the effective dates of the same item (%(s)s–%(e)s)."),
        _("Prepayment beyond the cap of %(n)s months (%(limit)s yuan)."),
        _("The end date is before the start date."),
        _("The rate %(rate)s is outside the government-guided range %(lo)s–%(hi)s."),
        _("The upper bound is below the lower bound."),
        _("The yearly equivalent %(y)s exceeds %(l)s; confirm with a reason to keep it."),
        _("Use a month (2026-03), a quarter (2026-Q1) or a year (2026)."),
    ]


def _fen(column):
    """A money column as its stored integer fen, for sums done by the database."""
    return type_coerce(column, BigInteger)


def _live_bills():
    from plugins.fees.models import Bill

    return (Bill.voided_at.is_(None)) & (Bill.refunded_at.is_(None))


def portal_summary(person, on: dt.date | None = None) -> dict[str, Decimal]:
    """For the portal home: what the person still owes on bills of their units (or addressed to
    them), and how much of it is past its due date (one query)."""
    from sqlalchemy import case, or_

    from plugins.fees.models import Bill

    on = on or dt.date.today()
    units = core.person_unit_ids(person.id)
    mine = or_(Bill.payer_person_id == person.id, Bill.unit_id.in_(units)) if units \
        else Bill.payer_person_id == person.id
    owed = _fen(Bill.total) - _fen(Bill.paid)
    due, overdue = db.session.execute(select(
        func.coalesce(func.sum(owed), 0),
        func.coalesce(func.sum(case((Bill.due_date < on, owed), else_=0)), 0))
        .where(mine, _live_bills(), Bill.paid < Bill.total)).one()
    return {"due": (Decimal(due) / 100).quantize(FEN), "overdue": (Decimal(overdue) / 100).quantize(FEN)}


def community_summary(community_id: int, year: int, on: dt.date | None = None) -> dict:
    """For the community dashboard: the year's bills (by period), what was collected of them, the
    collection rate, and the overdue balance with the number of units behind it (one query)."""
    from sqlalchemy import case

    from plugins.fees.models import Bill

    on = on or dt.date.today()
    late = (Bill.due_date < on) & (Bill.paid < Bill.total)
    billed, paid, overdue, units = db.session.execute(select(
        func.coalesce(func.sum(case((Bill.period.like(f"{year}%"), _fen(Bill.total)), else_=0)), 0),
        func.coalesce(func.sum(case((Bill.period.like(f"{year}%"), _fen(Bill.paid)), else_=0)), 0),
        func.coalesce(func.sum(case((late, _fen(Bill.total) - _fen(Bill.paid)), else_=0)), 0),
        func.count(func.distinct(case((late, Bill.unit_id)))))
        .where(Bill.community_id == community_id, _live_bills())).one()
    billed, paid = Decimal(billed) / 100, Decimal(paid) / 100
    rate = (paid * 100 / billed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if billed else None
    return {"year": year, "billed": billed.quantize(FEN), "collected": paid.quantize(FEN), "rate": rate,
            "overdue": (Decimal(overdue) / 100).quantize(FEN), "overdue_units": units}
