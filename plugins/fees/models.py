"""Tables of the fees plugin (all prefixed ``fees_``). Nothing financial is deleted: rows are voided."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import Model, Money, UTCDateTime

LIVE = text("voided_at IS NULL")


class Rate(TypeDecorator):
    """An exact decimal kept as text (rates such as 0.568 元/kWh or a daily 0.0003 need more than 2 places)."""

    impl = String(24)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else format(Decimal(value).normalize(), "f")

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class Contract(Model):
    """The service contract model of a community: 包干制 or 酬金制 (percentage or fixed 酬金)."""

    __tablename__ = "fees_contract"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True, unique=True)
    model: Mapped[str] = mapped_column(String(16), default="lump_sum")  # lump_sum | commission
    commission_percent: Mapped[Decimal | None] = mapped_column(Rate())
    commission_fixed: Mapped[Decimal | None] = mapped_column(Money())
    late_fee_daily_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(0))
    late_fee_reason: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)


class FeeItem(Model):
    """A fee item with its price, pricing type, legal basis and effective dates."""

    __tablename__ = "fees_item"
    __table_args__ = (Index("ix_fees_item_community_code", "community_id", "code"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    # service (per m² per month), fixed (per unit per month), parking (per space per month),
    # metered (from readings), utility (collected for others, from readings), shared (公摊 split),
    # per_job (便民/特种服务 charged per job)
    kind: Mapped[str] = mapped_column(String(16))
    unit_label: Mapped[str] = mapped_column(String(20), default="")  # e.g. 元/m²/月, 元/kWh
    rate: Mapped[Decimal] = mapped_column(Rate())
    pricing_type: Mapped[str] = mapped_column(String(20), default="market")  # government_guided | market
    guided_base: Mapped[Decimal | None] = mapped_column(Rate())
    guided_min: Mapped[Decimal | None] = mapped_column(Rate())
    guided_max: Mapped[Decimal | None] = mapped_column(Rate())
    handling_fee: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(0))
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    service_content: Mapped[str] = mapped_column(Text, default="")  # content and standard
    billing_method: Mapped[str] = mapped_column(String(200), default="")
    payer: Mapped[str] = mapped_column(String(60), default="")  # who pays, as posted
    payee: Mapped[str] = mapped_column(String(24), default="company")  # company | residents_committee | owners
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(300))

    def in_force(self, day: dt.date) -> bool:
        return self.voided_at is None and self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to)


class PriceNotice(Model):
    """A published price notice (明码标价): which items it lists, and the core notice it went up as."""

    __tablename__ = "fees_price_notice"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    company_name: Mapped[str] = mapped_column(String(120), default="")
    hotline: Mapped[str] = mapped_column(String(32))
    item_ids: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    effective_from: Mapped[dt.date] = mapped_column(Date)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class Reading(Model):
    """A meter reading for a metered item in a period (imported or entered)."""

    __tablename__ = "fees_reading"
    __table_args__ = (UniqueConstraint("unit_id", "item_id", "period"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("fees_item.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(Rate())


class SharedCost(Model):
    """A shared cost (公摊) of a period, split over units by exclusive area in the billing run."""

    __tablename__ = "fees_shared_cost"
    __table_args__ = (Index("uq_fees_shared_cost_live", "community_id", "item_id", "period", unique=True,
                            sqlite_where=LIVE, postgresql_where=LIVE),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("fees_item.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    total: Mapped[Decimal] = mapped_column(Money())
    description: Mapped[str] = mapped_column(String(300), default="")
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BillingRun(Model):
    """A billing run for a community and period: previewed, then confirmed (resumably)."""

    __tablename__ = "fees_run"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    period: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(16), default="preview")  # preview | confirming | confirmed
    preview: Mapped[dict] = mapped_column(JSON, default=dict)
    due_date: Mapped[dt.date] = mapped_column(Date)
    bills_created: Mapped[int] = mapped_column(Integer, default=0)
    lines_created: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Bill(Model):
    """One bill per payer per unit per period (or one charge raised by another plugin)."""

    __tablename__ = "fees_bill"
    __table_args__ = (
        Index("uq_fees_bill_live", "unit_id", "period", "payer_key", unique=True,
              sqlite_where=LIVE, postgresql_where=LIVE),
        Index("ix_fees_bill_community_period", "community_id", "period"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("fees_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="periodic")  # periodic | charge
    period: Mapped[str] = mapped_column(String(24))
    payer_key: Mapped[str] = mapped_column(String(24))  # "p:<person id>" or "o:<organisation id>"
    payer_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    payer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    payer_name: Mapped[str] = mapped_column(String(120), default="")
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    due_date: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    source: Mapped[dict | None] = mapped_column(JSON)  # charge_requested: {"module", "id"}
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(300))
    # Indexed: "which bill replaces this one" is asked of every voided bill shown.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("fees_bill.id"), index=True)
    # Targets by module path or class: a bare class name is looked up across every plugin's models.
    lines: Mapped[list[BillLine]] = relationship(
        "plugins.fees.models.BillLine", back_populates="bill", order_by="plugins.fees.models.BillLine.id")

    @property
    def number(self) -> str:
        return f"ZD{self.id:08d}"

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid

    @property
    def status(self) -> str:
        if self.voided_at is not None:
            return "void"
        if self.refunded_at is not None:
            return "refunded"
        return "paid" if self.paid >= self.total else ("partial" if self.paid > 0 else "open")


class BillLine(Model):
    """A line with its own calculation; at most one live line per unit, period, item and payer."""

    __tablename__ = "fees_bill_line"
    __table_args__ = (
        Index("uq_fees_bill_line_live", "unit_id", "period", "item_id", "payer_key", unique=True,
              sqlite_where=LIVE, postgresql_where=LIVE),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("fees_bill.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("fees_item.id"), index=True)
    period: Mapped[str] = mapped_column(String(24))
    payer_key: Mapped[str] = mapped_column(String(24))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Rate())
    rate: Mapped[Decimal] = mapped_column(Rate())
    base_amount: Mapped[Decimal] = mapped_column(Money())
    adjustment: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    adjustment_reason: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(Money())
    calculation: Mapped[str] = mapped_column(String(300))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    bill: Mapped[Bill] = relationship("plugins.fees.models.Bill", back_populates="lines")
    item: Mapped[FeeItem] = relationship("plugins.fees.models.FeeItem")


class Payment(Model):
    """A payment (cash, bank transfer or online); an idempotency key makes a resubmission count once."""

    __tablename__ = "fees_payment"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    payer_key: Mapped[str] = mapped_column(String(24), index=True)
    payer_name: Mapped[str] = mapped_column(String(120), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # prepayment left unallocated
    method: Mapped[str] = mapped_column(String(16))  # cash | bank | online
    provider: Mapped[str] = mapped_column(String(20), default="offline")
    reference: Mapped[str | None] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="succeeded")  # pending | succeeded | void
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(300))
    allocations: Mapped[list[Allocation]] = relationship(
        "plugins.fees.models.Allocation", back_populates="payment")

    @property
    def receipt_number(self) -> str:
        return f"SJ{self.id:08d}"


class Allocation(Model):
    __tablename__ = "fees_allocation"

    payment_id: Mapped[int] = mapped_column(ForeignKey("fees_payment.id"), index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("fees_bill.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    payment: Mapped[Payment] = relationship("plugins.fees.models.Payment", back_populates="allocations")
    bill: Mapped[Bill] = relationship("plugins.fees.models.Bill")


class Refund(Model):
    __tablename__ = "fees_refund"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("fees_bill.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("fees_payment.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(String(300))

    @property
    def number(self) -> str:
        return f"TK{self.id:08d}"


class Demand(Model):
    """A written demand for arrears (催告), which must precede legal action."""

    __tablename__ = "fees_demand"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    payer_key: Mapped[str] = mapped_column(String(24))
    payer_name: Mapped[str] = mapped_column(String(120), default="")
    bill_ids: Mapped[list] = mapped_column(JSON, default=list)
    amount: Mapped[Decimal] = mapped_column(Money())
    issued_on: Mapped[dt.date] = mapped_column(Date)
    pay_by: Mapped[dt.date] = mapped_column(Date)

    @property
    def number(self) -> str:
        return f"CG{self.id:08d}"


class LedgerEntry(Model):
    """Disclosure figures entered or imported: expenses by cost item, common-part income and its
    costs, budget lines, and the maintenance fund (专项维修资金) from its holder's statements."""

    __tablename__ = "fees_ledger"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    # expense | common_income | common_cost | budget | fund_movement | fund_balance
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal] = mapped_column(Money())
    source: Mapped[str] = mapped_column(String(120), default="")
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Disclosure(Model):
    """A published disclosure (公开) for a year: the figures as published and the notice."""

    __tablename__ = "fees_disclosure"
    __table_args__ = (UniqueConstraint("community_id", "year", "version"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    figures: Mapped[dict] = mapped_column(JSON)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FeeChange(Model):
    """A proposed fee change: costing, posting at least N days ahead, and the owners' decision."""

    __tablename__ = "fees_change"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    new_rate: Mapped[Decimal] = mapped_column(Rate())
    takes_effect: Mapped[dt.date] = mapped_column(Date)
    costing: Mapped[str] = mapped_column(Text)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_ref: Mapped[str | None] = mapped_column(String(60))
    decision_passed: Mapped[bool | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(String(300))


class TenantPayer(Model):
    """The lease says the tenant pays the property fees of a unit from ``start_date`` to ``end_date``."""

    __tablename__ = "fees_tenant_payer"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    lease_clause: Mapped[str] = mapped_column(String(300))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class FundImport(Model):
    """One imported statement of the maintenance fund (专项维修资金) from whoever holds it."""

    __tablename__ = "fees_fund_import"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    holder: Mapped[str] = mapped_column(String(120), default="")  # e.g. the housing fund centre or bank
    filename: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class FundLine(Model):
    """A movement of the maintenance fund as the holder's statement shows it. ``fingerprint`` (day,
    description, amounts and running balance) makes re-importing the same statement add nothing."""

    __tablename__ = "fees_fund_line"
    __table_args__ = (
        Index("uq_fees_fund_line_live", "community_id", "fingerprint", unique=True,
              sqlite_where=LIVE, postgresql_where=LIVE),
        Index("ix_fees_fund_line_community_day", "community_id", "day"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("fees_fund_import.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200), default="")
    amount_in: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount_out: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    balance: Mapped[Decimal] = mapped_column(Money())
    fingerprint: Mapped[str] = mapped_column(String(64))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
