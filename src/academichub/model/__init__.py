"""The domain records every layer shares: papers and their authors, the report of a run; works, readers,
radars, subscriptions and deliveries as stored (in model.works, model.accounts, model.delivery).

A leaf package: it imports nothing of AcademicHub, so sources, ingest, storage and the services
can all use it without an arrow pointing the wrong way.
"""

from academichub.model.paper import (
    ANNOUNCE_TYPES,
    ID_KINDS,
    SERVER_NAMES,
    Author,
    Paper,
    Rejected,
    as_json_dict,
    not_a_paper,
    source_label,
    work_public_id,
)
from academichub.model.report import RunReport

__all__ = ["ANNOUNCE_TYPES", "ID_KINDS", "SERVER_NAMES", "Author", "Paper", "Rejected", "RunReport", "as_json_dict", "not_a_paper", "source_label",
           "work_public_id"]
