"""The services homepage widgets call, bound to the hub's resources (see ``HubServices``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from hub import per_page
from hub.connectors.backends import Backends
from hub.connectors.records import PartnerRef, PersonRef
from hub.db import Database
from hub.db.models import IdentityProvider
from hub.personas.audience import Requester
from hub.services import engagement_home, field_team, partner_activity
from hub.services.action_facts import gather_facts
from hub.services.content.audience import Reader
from hub.services.content.for_you import ForYou, for_you
from hub.services.engagement import nba, recognition
from hub.services.engagement.budgets import BudgetStatus
from hub.services.engagement.leaderboards import Scope
from hub.services.engagement.nba import SuggestedAction
from hub.services.engagement.periods import PeriodKind
from hub.services.engagement.recognition import Recipient
from hub.services.engagement.surveys import DueSurvey
from hub.services.engagement_home import BoardView, RecognitionView, Standing
from hub.services.field_team import Contact
from hub.services.partner_activity import ActivityItem
from hub.services.program import views
from hub.services.program.views import Program
from hub.services.questions import answering, timing
from hub.services.questions.answering import ExpertQueue
from hub.store import KeyValueStore


class HomepageServices:
    """Implements :class:`hub.widgets.base.HubServices` over the hub's database and store."""

    def __init__(self, db: Database, store: KeyValueStore, backends: Backends) -> None:
        self.db = db
        self.store = store
        self.backends = backends

    async def program(self, user_id: int, now: datetime) -> Program:
        # My Partners, Dormant Partners and the next best action read it once per page.
        return await per_page.once(
            ("program", user_id), lambda: views.program(self.db, user_id, now)
        )

    async def field_team(self, partner_org_id: int | None) -> list[Contact]:
        return await field_team.shared_field_team(self.db, partner_org_id)

    async def recent_activity(self, limit: int) -> list[ActivityItem]:
        async with self.db.session() as session:
            return await partner_activity.recent_activity(session, limit)

    async def content_for_you(self, reader: Reader, user_id: int, now: datetime) -> ForYou:
        async with self.db.session() as session:
            return await for_you(session, reader, user_id, now)

    async def next_actions(
        self,
        subject: Requester,
        *,
        reads: Sequence[str],
        partner: PartnerRef | None,
        person: PersonRef,
        now: datetime,
        limit: int,
        locale: str,
    ) -> list[SuggestedAction]:
        facts = await gather_facts(
            self.backends, reads=reads, partner=partner, person=person, tier=subject.tier, now=now
        )
        if "dormant_partners" in reads:
            facts["dormant_partners"] = (await self.program(subject.user_id, now)).counts()[
                "dormant"
            ]
        if "giving_budget" in reads:
            giving = await engagement_home.shared_giving(self.db, subject.user_id, now)
            facts["budget_available"] = giving.budget.available
        if "kudos_awaiting_approval" in reads:
            facts["kudos_awaiting_approval"] = len(await recognition.pending_kudos(self.db))
        if "expert_questions" in reads:
            overdue, hours = await timing.overdue_for(self.db, subject.user_id, now)
            facts["questions_waiting_too_long"], facts["question_wait_hours"] = overdue, hours
        if "identity_providers" in reads:
            async with self.db.session() as session:
                facts["partner_identity_providers"] = await session.scalar(
                    select(func.count()).select_from(IdentityProvider)
                )
        return await nba.next_best_actions(
            self.db, subject, facts, now=now, limit=limit, store=self.store, locale=locale
        )

    async def standing(self, user_id: int, now: datetime) -> Standing:
        return await engagement_home.standing(self.db, user_id, now)

    async def leaderboard(
        self, user_id: int, scope: Scope, period: PeriodKind, now: datetime
    ) -> BoardView:
        return await engagement_home.board(
            self.db, self.store, user_id=user_id, scope=scope, period=period, now=now
        )

    async def recognition(
        self, user_id: int, partner_org_id: int | None, now: datetime
    ) -> RecognitionView:
        return await engagement_home.recognition_view(
            self.db, user_id=user_id, partner_org_id=partner_org_id, now=now
        )

    async def pulse_survey(
        self, subject: Requester, now: datetime
    ) -> tuple[DueSurvey | None, bool]:
        return await engagement_home.pulse_survey(self.db, subject, now)

    async def giving_budget(
        self, user_id: int, now: datetime
    ) -> tuple[BudgetStatus, list[Recipient], tuple[str, ...]]:
        return await engagement_home.budget_view(self.db, user_id=user_id, now=now)

    async def expert_queue(self, user_id: int) -> ExpertQueue:
        return await answering.expert_queue(self.db, user_id)

    async def questions_overdue(self, user_id: int, now: datetime) -> tuple[int, int]:
        return await timing.overdue_for(self.db, user_id, now)
