"""The demo LRS's catalogue: the academy's courses, assessments, badges and short videos.

Ids, names in English and German, and the canonical definitions the sandbox's
Activities resource answers; who watched which video lately (the demo cast).
"""

from __future__ import annotations

from typing import Any

ACADEMY = "https://academy.vendor.example/"
ACTIVITIES = ACADEMY + "xapi/activities/"
ADL = "http://adlnet.gov/expapi/verbs/"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
BADGE_TYPE = "http://activitystrea.ms/schema/1.0/badge"
EARNED = "http://id.tincanapi.com/verb/earned"
LEVEL = "https://academy.vendor.example/xapi/extensions/level"
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
COURSES = (
    ("partner-onboarding", "Partner Onboarding"),
    ("product-fundamentals", "Product Fundamentals"),
    ("solution-selling", "Solution Selling"),
    ("security-essentials", "Security Essentials"),
    ("implementation-specialist", "Implementation Specialist"),
    ("cloud-migration", "Cloud Migration Playbook"),
)
# German names, so the activities' language maps carry both of the library's languages.
GERMAN_NAMES = {
    "partner-onboarding": "Partner-Onboarding",
    "product-fundamentals": "Produktgrundlagen",
    "solution-selling": "Lösungsvertrieb",
    "security-essentials": "Sicherheit: die Grundlagen",
    "implementation-specialist": "Implementierungsspezialist",
    "cloud-migration": "Leitfaden Cloud-Migration",
}
VIDEO_TYPE = "https://w3id.org/xapi/video/activity-type/video"
VIDEO_LENGTH = "https://w3id.org/xapi/video/extensions/length"
WATCH = "https://academy.vendor.example/watch/"
TAGS = "https://academy.vendor.example/xapi/extensions/library-tags"
# Videos meant for some readers only, by the tags the library reads (the rest: anyone).
VIDEO_TAGS = {"deal-registration-explained": ["persona:sales_rep", "persona:partner_owner"]}
# The academy's short videos: slug, length in seconds, then name and description per language.
VIDEOS = (
    ("restore-a-server-in-four-minutes", 238, {
        "en-US": ("Restoring a server in four minutes",
                  "A whole server back from its cloud backup, shown on a customer's system."),
        "de-DE": ("Einen Server in vier Minuten wiederherstellen",
                  "Ein ganzer Server aus seiner Cloud-Sicherung zurück, gezeigt am System "
                  "eines Kunden."),
    }),
    ("ransomware-recovery-walkthrough", 540, {
        "en-US": ("Ransomware recovery walkthrough",
                  "A full restore after a ransomware attack, step by step."),
        "de-DE": ("Wiederherstellung nach Ransomware",
                  "Eine vollständige Wiederherstellung nach einem Ransomware-Angriff, Schritt "
                  "für Schritt."),
    }),
    ("deal-registration-explained", 175, {
        "en-US": ("Deal registration explained",
                  "How registering a deal protects it, in under three minutes."),
    }),
)  # fmt: skip
# Who watched which video how many days ago (cast only; the verb says how far).
WATCHED = (
    ("support@acme.example", "restore-a-server-in-four-minutes", 3, "completed"),
    ("marketer@globex.example", "restore-a-server-in-four-minutes", 5, "completed"),
    ("rep@globex.example", "ransomware-recovery-walkthrough", 12, "initialized"),
    ("owner@acme.example", "deal-registration-explained", 20, "completed"),
)
CERTIFICATIONS = (
    ("certified-sales-associate", "Certified Sales Associate", "Associate"),
    (
        "certified-implementation-professional",
        "Certified Implementation Professional",
        "Professional",
    ),
)


def definitions() -> dict[str, dict[str, Any]]:
    """The canonical definition of every activity the store's statements name, by id."""
    found: dict[str, dict[str, Any]] = {}
    for slug, name in COURSES:
        names = {"en-US": name, "de-DE": GERMAN_NAMES[slug]}
        found[ACTIVITIES + "course/" + slug] = {
            "name": names, "type": COURSE_TYPE, "moreInfo": ACADEMY + "course/" + slug,
        }  # fmt: skip
        found[ACTIVITIES + "assessment/" + slug] = {
            "name": {tag: f"{text}: {'final assessment' if tag == 'en-US' else 'Abschlusstest'}"
                     for tag, text in names.items()},
            "type": ASSESSMENT_TYPE,
            "moreInfo": ACADEMY + "course/" + slug + "/assessment",
        }  # fmt: skip
    for slug, name, level in CERTIFICATIONS:
        found[ACTIVITIES + "badge/" + slug] = {
            "name": {"en-US": name}, "type": BADGE_TYPE, "extensions": {LEVEL: level},
        }  # fmt: skip
    for slug, length, _ in VIDEOS:
        texts = video_names(slug)
        found[ACTIVITIES + "video/" + slug] = {
            "name": {tag: name for tag, (name, _) in texts.items()},
            "description": {tag: text for tag, (_, text) in texts.items()},
            "type": VIDEO_TYPE,
            "moreInfo": WATCH + slug,
            "extensions": {VIDEO_LENGTH: length}
            | ({TAGS: VIDEO_TAGS[slug]} if slug in VIDEO_TAGS else {}),
        }
    return found


def video_names(slug: str) -> dict[str, tuple[str, str]]:
    return next(texts for known, _, texts in VIDEOS if known == slug)
