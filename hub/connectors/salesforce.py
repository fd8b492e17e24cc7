"""Salesforce PRM over the REST API: SOQL queries, paging, one write path.

Reads go to ``GET /services/data/vNN.N/query?q=SOQL`` and follow
``nextRecordsUrl`` until ``done``; the deal registration is ``POST
/services/data/vNN.N/sobjects/Opportunity/`` (or ``Lead``). Salesforce
reports errors as a JSON array of ``{"message", "errorCode"}``: a 401
``INVALID_SESSION_ID`` gets one token refresh and a retry,
``REQUEST_LIMIT_EXCEEDED`` is :class:`BackendRateLimited`, and query errors
(``MALFORMED_QUERY``, ``INVALID_FIELD`` …) are :class:`BackendError`.

Objects: Account (the partner; tier and agreement from configurable
fields), Opportunity (deals, by ``PartnerAccountId``), PartnerFundAllocation,
PartnerFundRequest and PartnerFundClaim (MDF and co-op, the type from the
parent PartnerMarketingBudget), a rebate object (custom, default
``Rebate__c``), Case plus renewal Opportunities for service metrics, and
Task and Event for sales activities (:mod:`salesforce_activities`); User and
Contact for partner users the hub provisions (:mod:`salesforce_users`);
ContentVersion for the content library (:mod:`salesforce_files`).
Options, all with defaults, are in :data:`DEFAULTS`; set a field option to
``""`` to leave that figure out. Authentication: :mod:`salesforce_auth`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

import httpx

from hub.connectors import shapes
from hub.connectors.base import (
    BackendError,
    ConnectorConfig,
    MalformedResponse,
    NotConfigured,
)
from hub.connectors.content import ContentRecord
from hub.connectors.records import (
    Deal,
    DealRegistration,
    FundAllocation,
    FundClaim,
    FundRequest,
    FundType,
    Money,
    PartnerAccount,
    PartnerRef,
    PersonRef,
    Rebate,
    SalesActivity,
    ServiceMetrics,
)
from hub.connectors.salesforce_activities import read_sales_activities
from hub.connectors.salesforce_api import SalesforceAPI
from hub.connectors.salesforce_files import read_files
from hub.connectors.salesforce_users import provision_partner_user
from hub.connectors.soql import field, like_ending, quote
from hub.connectors.writes import PersonAccount

DEFAULTS: Mapping[str, Any] = {
    "api_version": "62.0",
    "file_duration_field": "Duration_Seconds__c",  # a video file's length, in seconds
    "currency": "USD",  # the org's currency, unless multi_currency reads each record's
    "multi_currency": False,  # True where the org has several currencies: read CurrencyIsoCode
    "lookup": "field",  # how to find a partner's Account: "field" or "website"
    "lookup_field": "Partner_Key__c",
    "tier_field": "Partner_Tier__c",
    "status_field": "",  # "" → "active" when IsPartner, else "inactive"
    "partner_type_field": "Type",
    "region_field": "Partner_Region__c",
    "agreement_status_field": "Partner_Agreement_Status__c",
    "agreement_start_field": "Partner_Agreement_Start__c",
    "agreement_end_field": "Partner_Agreement_End__c",
    "deal_partner_field": "PartnerAccountId",
    "deal_registration_object": "Opportunity",  # or "Lead"
    "deal_registration_stage": "Prospecting",
    # The deal registration's status (a picklist on Opportunity), read to leave rejected and
    # expired registrations out of conflicts and written when the vendor decides a conflict;
    # "" where the org keeps none (then the hub cannot write decisions back).
    "registration_status_field": "Registration_Status__c",
    "registration_pending_value": "Submitted",
    "registration_approved_value": "Approved",
    "registration_rejected_value": "Rejected",
    "registration_expired_value": "Expired",
    "rebate_object": "Rebate__c",
    "rebate_partner_field": "Partner_Account__c",
    "rebate_amount_field": "Amount__c",
    "rebate_status_field": "Status__c",
    "rebate_period_end_field": "Period_End__c",
    "rebate_invoice_field": "Invoice_Submitted__c",
    "coop_budget_type": "Co-Operated Budget",  # PartnerMarketingBudget.Type meaning co-op
    "case_partner_field": "AccountId",
    "case_satisfied_field": "Satisfied__c",  # boolean survey answer on Case
    "renewal_type": "Renewal",  # Opportunity.Type of renewals, for retention
    "service_days": 90,
    "claim_deadline_field": "",  # PartnerFundClaim has none as standard; a custom date field
    "activity_days": 730,  # how far back Tasks and Events are read
    "activity_vendor_field": "With_Vendor__c",  # Activity checkbox: with the vendor's field team
    "partner_profile_id": "",  # the Profile new partner users get; "" → users are only updated
}

_SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


class SalesforceConnector:
    """A PRM connector for one Salesforce org."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._options = {**DEFAULTS, **config.options}
        unknown = set(config.options) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown Salesforce option(s): {', '.join(sorted(unknown))}")
        for name, value in self._options.items():
            if name.endswith("_field") and value:
                field(str(value))
        self._salesforce = SalesforceAPI(config, http, str(self._options["api_version"]))

    def _opt(self, name: str) -> str:
        return str(self._options[name])

    # --- the PRM interface ----------------------------------------------------

    async def probe(self) -> str:
        await self._salesforce.query("SELECT Id FROM Account LIMIT 1")
        where = await self._salesforce.instance_url()
        return f"Salesforce API v{self._opt('api_version')} at {where}, authenticated"

    async def partner_account(self, partner: PartnerRef) -> PartnerAccount | None:
        try:
            account_id = await self._account_id(partner)
        except NotConfigured:
            return None
        fields = ["Id", "Name", "IsPartner", "Owner.Email", "Owner.Name"] + [
            self._opt(name)
            for name in (
                "tier_field",
                "status_field",
                "partner_type_field",
                "region_field",
                "agreement_status_field",
                "agreement_start_field",
                "agreement_end_field",
            )
            if self._opt(name)
        ]
        rows = await self._salesforce.query(
            f"SELECT {', '.join(dict.fromkeys(fields))} FROM Account WHERE Id = {quote(account_id)}"
        )
        if not rows:
            return None
        row = rows[0]
        where = "Account"
        status = self._text(row, "status_field", where)
        if not self._opt("status_field"):
            status = "active" if shapes.as_bool(row.get("IsPartner", False), where) else "inactive"
        return PartnerAccount(
            id=shapes.text(row, "Id", where),
            name=shapes.text(row, "Name", where),
            tier=self._text(row, "tier_field", where),
            status=status,
            agreement_status=self._text(row, "agreement_status_field", where),
            agreement_start=self._date(row, "agreement_start_field", where),
            agreement_end=self._date(row, "agreement_end_field", where),
            partner_type=self._text(row, "partner_type_field", where),
            region=self._text(row, "region_field", where),
            owner_email=_related_text(row, "Owner", "Email", where).lower(),
            owner_name=_related_text(row, "Owner", "Name", where),
        )

    async def deals(self, partner: PartnerRef) -> list[Deal]:
        account_id = await self._account_id(partner)
        partner_field = field(self._opt("deal_partner_field"))
        status_field = self._opt("registration_status_field")
        rows = await self._salesforce.query(
            "SELECT Id, Name, AccountId, Account.Name, Account.Website, Amount, StageName,"
            f" IsClosed, IsWon, CreatedDate, CloseDate, Owner.Email, {partner_field}"
            f"{f', {field(status_field)}' if status_field else ''}{self._currency}"
            f" FROM Opportunity WHERE {partner_field} = {quote(account_id)}"
            " ORDER BY CreatedDate DESC"
        )
        deals = []
        for n, row in enumerate(rows):
            where = f"Opportunity[{n}]"
            is_closed = shapes.as_bool(shapes.member(row, "IsClosed", where), where)
            close_date = row.get("CloseDate")
            deals.append(
                Deal(
                    id=shapes.text(row, "Id", where),
                    name=shapes.text(row, "Name", where),
                    customer=_related_text(row, "Account", "Name", where),
                    amount=self._money(row, "Amount", where),
                    stage=shapes.text(row, "StageName", where),
                    is_closed=is_closed,
                    is_won=shapes.as_bool(shapes.member(row, "IsWon", where), where),
                    registered_at=_datetime(row["CreatedDate"], f"{where}.CreatedDate"),
                    closed_at=_midnight(shapes.iso_date(close_date, f"{where}.CloseDate"))
                    if is_closed and close_date
                    else None,
                    partner_account_id=account_id,
                    owner_email=_related_optional(row, "Owner", "Email", where),
                    customer_account_id=shapes.optional_text(row, "AccountId", where),
                    customer_domain=_related_optional(row, "Account", "Website", where),
                    registration_status=self._registration_status(row, where),
                )
            )
        return deals

    async def decide_registration(self, partner: PartnerRef, deal_id: str, decision: str) -> None:
        status_field = self._opt("registration_status_field")
        if not status_field:
            raise NotConfigured(f"{self.config.name}: no registration_status_field is configured")
        if decision not in ("pending", "approved", "rejected"):
            raise ValueError(f"not a registration decision: {decision!r}")
        if not _SALESFORCE_ID.match(deal_id):
            raise ValueError(f"not a Salesforce record id: {deal_id[:40]!r}")
        await self._salesforce.update(
            "Opportunity",
            deal_id,
            {field(status_field): self._opt(f"registration_{decision}_value")},
        )

    def _registration_status(self, row: Mapping[str, Any], where: str) -> str:
        """The registration's status in the hub's words, from the org's picklist values."""
        raw = self._text(row, "registration_status_field", where)
        if not raw:
            return ""
        for state in ("approved", "rejected", "expired", "pending"):
            if raw == self._opt(f"registration_{state}_value"):
                return state
        return "pending"

    async def register_deal(
        self, partner: PartnerRef, person: PersonRef, registration: DealRegistration
    ) -> Deal:
        account_id = await self._account_id(partner)
        description = (
            f"Customer: {registration.customer}\nContact: {registration.contact_email}\n"
            f"Registered by: {person.email}\n{registration.notes}"
        ).strip()
        target = self._opt("deal_registration_object")
        if target == "Lead":
            record: dict[str, Any] = {
                "LastName": registration.contact_email.split("@")[0] or registration.customer,
                "Company": registration.customer,
                "Email": registration.contact_email,
                "Description": description,
                "PartnerAccountId": account_id,
            }
        else:
            record = {
                "Name": registration.name,
                "StageName": self._opt("deal_registration_stage"),
                "CloseDate": registration.expected_close.isoformat(),
                "Amount": str(registration.amount.amount),
                "Description": description,
                field(self._opt("deal_partner_field")): account_id,
            }
        body = await self._salesforce.create(field(target), record)
        answer = shapes.obj(body, "create result")
        if answer.get("success") is not True:
            raise BackendError(f"{self.config.name}: {target} was not created")
        return Deal(
            id=shapes.text(answer, "id", "create result"),
            name=registration.name,
            customer=registration.customer,
            amount=registration.amount,
            stage=self._opt("deal_registration_stage") if target != "Lead" else "Registered",
            is_closed=False,
            is_won=False,
            registered_at=datetime.now(UTC),
            closed_at=None,
            partner_account_id=account_id,
            owner_email=person.email,
        )

    async def rebates(self, partner: PartnerRef) -> list[Rebate]:
        if not self._opt("rebate_object"):
            return []
        account_id = await self._account_id(partner)
        names = ("amount", "status", "period_end", "invoice")
        amount, status, period_end, invoice = (field(self._opt(f"rebate_{n}_field")) for n in names)
        rows = await self._salesforce.query(
            f"SELECT Id, Name, {amount}, {status}, {period_end}, {invoice}{self._currency}"
            f" FROM {field(self._opt('rebate_object'))}"
            f" WHERE {field(self._opt('rebate_partner_field'))} = {quote(account_id)}"
            f" ORDER BY {period_end} DESC"
        )
        return [
            Rebate(
                id=shapes.text(row, "Id", f"rebate[{n}]"),
                name=shapes.text(row, "Name", f"rebate[{n}]"),
                amount=self._money(row, amount, f"rebate[{n}]"),
                status=shapes.text(row, status, f"rebate[{n}]").lower(),
                period_end=shapes.iso_date(row.get(period_end), f"rebate[{n}].{period_end}"),
                invoice_submitted=shapes.as_bool(row.get(invoice) or False, f"rebate[{n}]"),
            )
            for n, row in enumerate(rows)
        ]

    async def fund_allocations(self, partner: PartnerRef) -> list[FundAllocation]:
        account_id = await self._account_id(partner)
        rows = await self._salesforce.query(
            "SELECT Id, Title, Amount, Budget.Type, Budget.StartDate, Budget.EndDate"
            f"{self._currency} FROM PartnerFundAllocation WHERE ChannelPartnerId = {quote(account_id)}"
        )
        today = datetime.now(UTC).date()
        allocations = []
        for n, row in enumerate(rows):
            where = f"PartnerFundAllocation[{n}]"
            budget = shapes.obj(shapes.member(row, "Budget", where), f"{where}.Budget")
            start = shapes.iso_date(budget.get("StartDate"), f"{where}.Budget.StartDate")
            end = shapes.iso_date(budget.get("EndDate"), f"{where}.Budget.EndDate")
            status = "upcoming" if today < start else "expired" if today > end else "active"
            allocations.append(
                FundAllocation(
                    id=shapes.text(row, "Id", where),
                    fund_type=self._fund_type(budget, where),
                    amount=self._money(row, "Amount", where),
                    start=start,
                    end=end,
                    status=status,
                )
            )
        return allocations

    async def fund_requests(self, partner: PartnerRef) -> list[FundRequest]:
        account_id = await self._account_id(partner)
        rows = await self._salesforce.query(
            "SELECT Id, Title, RequestedAmount, Amount, Status, CreatedDate, AllocationId,"
            f" Budget.Type{self._currency} FROM PartnerFundRequest WHERE ChannelPartnerId = {quote(account_id)}"
            " ORDER BY CreatedDate DESC"
        )
        requests = []
        for n, row in enumerate(rows):
            where = f"PartnerFundRequest[{n}]"
            requests.append(
                FundRequest(
                    id=shapes.text(row, "Id", where),
                    fund_type=self._fund_type(row.get("Budget"), where),
                    title=shapes.text(row, "Title", where),
                    amount=self._money(row, "RequestedAmount", where),
                    status=(shapes.optional_text(row, "Status", where) or "draft").lower(),
                    requested_at=_datetime(row.get("CreatedDate"), f"{where}.CreatedDate"),
                    allocation_id=shapes.optional_text(row, "AllocationId", where),
                )
            )
        return requests

    async def fund_claims(self, partner: PartnerRef) -> list[FundClaim]:
        account_id = await self._account_id(partner)
        deadline = self._opt("claim_deadline_field")
        fields = f"Id, Title, Amount, Status, CreatedDate, RequestId, Budget.Type{self._currency}"
        rows = await self._salesforce.query(
            f"SELECT {fields}{f', {deadline}' if deadline else ''} FROM PartnerFundClaim"
            f" WHERE ChannelPartnerId = {quote(account_id)} ORDER BY CreatedDate DESC"
        )
        claims = []
        for n, row in enumerate(rows):
            where = f"PartnerFundClaim[{n}]"
            status = (shapes.optional_text(row, "Status", where) or "draft").lower()
            claims.append(
                FundClaim(
                    id=shapes.text(row, "Id", where),
                    fund_type=self._fund_type(row.get("Budget"), where),
                    title=shapes.text(row, "Title", where),
                    amount=self._money(row, "Amount", where),
                    status=status,
                    submitted_at=None
                    if status == "draft"
                    else _datetime(row.get("CreatedDate"), f"{where}.CreatedDate"),
                    claim_deadline=self._date(row, "claim_deadline_field", where),
                    request_id=shapes.optional_text(row, "RequestId", where),
                )
            )
        return claims

    async def service_metrics(self, partner: PartnerRef) -> ServiceMetrics | None:
        account_id = await self._account_id(partner)
        days = int(self._options["service_days"])
        satisfied = field(self._opt("case_satisfied_field"))
        cases = await self._salesforce.query(
            f"SELECT Id, CreatedDate, ClosedDate, IsClosed, {satisfied} FROM Case"
            f" WHERE {field(self._opt('case_partner_field'))} = {quote(account_id)}"
            f" AND CreatedDate = LAST_N_DAYS:{days}"
        )
        renewals = await self._salesforce.query(
            f"SELECT Id, IsWon FROM Opportunity WHERE {field(self._opt('deal_partner_field'))}"
            f" = {quote(account_id)} AND Type = {quote(self._opt('renewal_type'))}"
            f" AND IsClosed = true AND CloseDate = LAST_N_DAYS:{days}"
        )
        if not cases and not renewals:
            return None
        hours: list[Decimal] = []
        answers: list[bool] = []
        for n, row in enumerate(cases):
            where = f"Case[{n}]"
            if row.get(satisfied) is not None:
                answers.append(shapes.as_bool(row[satisfied], f"{where}.{satisfied}"))
            if row.get("ClosedDate"):
                opened = _datetime(row.get("CreatedDate"), f"{where}.CreatedDate")
                closed = _datetime(row["ClosedDate"], f"{where}.ClosedDate")
                hours.append(Decimal((closed - opened).total_seconds()) / 3600)
        won = sum(shapes.as_bool(row.get("IsWon"), "renewal") for row in renewals)
        today = datetime.now(UTC).date()
        return ServiceMetrics(
            period_start=today - timedelta(days=days),
            period_end=today,
            satisfaction=_share(sum(answers), len(answers)),
            responses=len(answers),
            median_resolution_hours=Decimal(median(hours)).quantize(Decimal("0.1"))
            if hours
            else Decimal(0),
            retention=_share(won, len(renewals)),
            cases_closed=len(hours),
            renewals_due=len(renewals),
            renewals_won=won,
        )

    async def sales_activities(self, partner: PartnerRef) -> list[SalesActivity]:
        account_id = await self._account_id(partner)
        return await read_sales_activities(
            self._salesforce,
            account_id,
            int(self._options["activity_days"]),
            self._opt("activity_vendor_field"),
        )

    async def content(self) -> list[ContentRecord]:
        """The latest version of every file in the org's libraries."""
        portal = (self.config.portal_url or await self._salesforce.instance_url()).rstrip("/")
        return await read_files(self._salesforce, portal, self._opt("file_duration_field"))

    # --- reading records ------------------------------------------------------

    async def provision_person(self, person: PersonRef, account: PersonAccount) -> str:
        """The person's partner user (:mod:`salesforce_users`); its User Id."""

        async def partner_account_id() -> str | None:
            return await self._account_id(person.partner) if person.partner else None

        return await provision_partner_user(
            self._salesforce,
            account,
            partner_account_id=partner_account_id,
            profile_id=self._opt("partner_profile_id"),
        )

    async def _account_id(self, partner: PartnerRef) -> str:
        known = partner.external_id(self.config.name)
        if known:
            return known
        if self._opt("lookup") == "website":
            if not partner.domain:
                raise NotConfigured(f"{self.config.name}: no domain for {partner.slug!r}")
            condition = f"Website LIKE {like_ending(partner.domain)}"
        else:
            condition = f"{field(self._opt('lookup_field'))} = {quote(partner.slug)}"
        rows = await self._salesforce.query(f"SELECT Id FROM Account WHERE {condition} LIMIT 2")
        if len(rows) != 1:
            found = "no Account" if not rows else "more than one Account"
            raise NotConfigured(f"{self.config.name}: {found} for partner {partner.slug!r}")
        return shapes.text(rows[0], "Id", "Account")

    def _text(self, row: Mapping[str, Any], option: str, where: str) -> str:
        name = self._opt(option)
        return (shapes.optional_text(row, name, where) or "") if name else ""

    def _date(self, row: Mapping[str, Any], option: str, where: str) -> date | None:
        name = self._opt(option)
        if not name or row.get(name) is None:
            return None
        return shapes.iso_date(row[name], f"{where}.{name}")

    @property
    def _currency(self) -> str:
        """The currency field to select, where the org has several currencies turned on."""
        return ", CurrencyIsoCode" if self._opt("multi_currency").lower() == "true" else ""

    def _money(self, row: Mapping[str, Any], name: str, where: str) -> Money:
        amount = row.get(name)
        currency = row.get("CurrencyIsoCode") or self._opt("currency")
        value = Decimal(0) if amount is None else shapes.as_decimal(amount, f"{where}.{name}")
        try:
            return Money(value, str(currency))
        except ValueError:
            raise MalformedResponse(f"{where}: bad currency {str(currency)[:8]!r}") from None

    def _fund_type(self, budget: Any, where: str) -> FundType:
        kind = shapes.obj(budget, f"{where}.Budget").get("Type") if budget is not None else None
        return FundType.COOP if kind == self._opt("coop_budget_type") else FundType.MDF


def _datetime(value: Any, where: str) -> datetime:
    return shapes.iso_datetime(value, where)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _related_text(row: Mapping[str, Any], relation: str, name: str, where: str) -> str:
    return _related_optional(row, relation, name, where) or ""


def _related_optional(row: Mapping[str, Any], relation: str, name: str, where: str) -> str | None:
    related = row.get(relation)
    if related is None:
        return None
    return shapes.optional_text(shapes.obj(related, f"{where}.{relation}"), name, where)


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001")) if whole else Decimal(0)
