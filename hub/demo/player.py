"""The demo's stand-in for an LMS player: following a "watch" link into the Moodle portal
records an xAPI ``completed`` statement in the LRS sandbox, as Moodle's xAPI log store would
when a learner finishes the video. Demo code only: never imported by a production process."""

from __future__ import annotations

import base64

from hub.resources import Hub

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


async def watched(hub: Hub, email: str, name: str, activity_id: str) -> bool:
    """Send ``completed`` for ``activity_id`` by ``email`` to the demo LRS; whether it took it."""
    lrs = next((c for c in hub.backends.all() if c.config.adapter == "xapi"), None)
    if lrs is None:
        return False
    config = lrs.config
    login = f"{config.auth.get('username', '')}:{config.secrets.get('password', '')}"
    response = await hub.http.post(
        config.base_url.rstrip("/") + "/statements",
        json={
            "actor": {"objectType": "Agent", "name": name, "mbox": f"mailto:{email}"},
            "verb": {"id": COMPLETED, "display": {"en-US": "completed"}},
            "object": {"objectType": "Activity", "id": activity_id},
        },
        headers={
            "Authorization": "Basic " + base64.b64encode(login.encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
        },
        timeout=config.timeout,
    )
    return response.status_code == 200
