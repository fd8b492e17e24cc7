"""Partner timeline and hand-over: notes, reassignment in the hub, the inherited partner's briefing."""
