"""The names of the annual report (SPEC section 7) for the report tests:
its columns (applicant kinds and organisation categories), the outcomes
with their groups, and the appeal kinds."""

COLS = ["natural_person", "commercial", "research", "social_welfare",
        "legal_service", "other", "total"]
OUTCOMES = [
    "grant", "partial",
    "deny.state_secret", "deny.law_prohibited", "deny.security_stability",
    "deny.third_party", "deny.internal_affairs", "deny.process_info",
    "deny.enforcement_file", "deny.administrative_query",
    "unavailable.not_held", "unavailable.needs_creation", "unavailable.unclear",
    "not_processed.petition", "not_processed.repeat",
    "not_processed.publication", "not_processed.excessive",
    "not_processed.confirmation",
    "other.no_correction", "other.fee_unpaid", "other.other",
]
GROUPS = ["grant", "partial", "deny", "unavailable", "not_processed", "other"]
KINDS = ["reconsideration", "litigation", "litigation_after_reconsideration"]
