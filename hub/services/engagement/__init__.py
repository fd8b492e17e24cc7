"""Engagement: activity evaluation, the points ledger, badges, leaderboards, recognition,
next best actions and pulse surveys. Each idea has its own module; see the module docs.
"""
