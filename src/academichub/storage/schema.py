"""SQLAlchemy Core tables; Alembic migrations create them, code reads them from here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A moment stored in UTC and read back with its zone on every database: SQLite keeps no zone
    and gave times back naive, so the API wrote them without one on SQLite and with +00:00 on
    PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        # SQLite stores the wall time it is given: an aware time of another zone is turned to UTC first.
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

works = sa.Table(
    "works",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("arxiv_id", sa.String(64), unique=True),
    sa.Column("arxiv_version", sa.Integer),
    sa.Column("doi", sa.String(255), unique=True),
    sa.Column("pmid", sa.String(32), unique=True),
    sa.Column("openalex_id", sa.String(32), unique=True),
    # The item URL, the identity of journal-feed items that carry no DOI.
    sa.Column("url", sa.String(1000), unique=True),
    sa.Column("title", sa.Text, nullable=False),
    # Folded title and first author's family name: how versions without shared ids are found.
    sa.Column("title_key", sa.String(300), nullable=False, server_default="", index=True),
    sa.Column("first_author_key", sa.String(200), nullable=False, server_default="", index=True),
    sa.Column("abstract", sa.Text, nullable=False, server_default=""),
    sa.Column("primary_category", sa.String(64)),
    sa.Column("venue", sa.String(1000)),
    sa.Column("journal_ref", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("submitted", sa.Date),
    sa.Column("updated", sa.Date),
    sa.Column("announced", sa.Date),
    sa.Column("published", sa.Date),
    sa.Column("feed_date", sa.Date, nullable=False, index=True),
    sa.Column("announce_type", sa.String(16)),
    sa.Column("license", sa.String(1000)),
    sa.Column("links", sa.JSON, nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False, index=True),
)
# The few works whose comment mentions a withdrawal (6 of 51,698): found without reading every row.
# A literal, not a bound parameter: the planners use a partial index only for a query whose WHERE
# is the index's own (SQLite read every row again with the pattern bound).
WITHDRAWN_HINT = sa.func.lower(works.c.comment).like(sa.literal_column("'%withdrawn%'"))
sa.Index("ix_works_withdrawn", works.c.id, sqlite_where=WITHDRAWN_HINT, postgresql_where=WITHDRAWN_HINT)

work_ids = sa.Table(
    "work_ids",
    metadata,
    # Every identifier known for a work (its primary ids and e.g. a preprint's journal DOI);
    # one identifier names one work, which is what merging relies on.
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(1000), primary_key=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), nullable=False, index=True),
)

work_authors = sa.Table(
    "work_authors",
    metadata,
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("name_key", sa.String(1000), nullable=False, index=True),
    sa.Column("orcid", sa.String(32)),
    sa.Column("affiliations", sa.JSON, nullable=False),
)

work_categories = sa.Table(
    "work_categories",
    metadata,
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True, index=True),
    sa.Column("is_primary", sa.Boolean, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("language", sa.String(8)),
    sa.Column("is_local", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("password_hash", sa.String(200)),  # argon2id; None for the local user
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
)

radars = sa.Table(
    "radars",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    # Bumped on every subscription change, so a stale current batch is re-ranked.
    sa.Column("subs_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("user_id", "name"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(500), nullable=False),
    sa.Column("value_key", sa.String(500), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("radar_id", "kind", "value_key"),
)

feed_batches = sa.Table(
    "feed_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("period", sa.String(40), nullable=False),
    sa.Column("anchor_date", sa.Date),
    sa.Column("subs_version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # Bumped when the batch is re-ranked in place, so a cached rendering of it can tell.
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("radar_id", "number"),
)

batch_items = sa.Table(
    "batch_items",
    metadata,
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("feed_batches.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True,
              index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
)

source_state = sa.Table(
    "source_state",
    metadata,
    # One row per harvested stream, e.g. "arxiv:listing:cs.AI+cs.CL" or "crossref:issn:0028-0836".
    sa.Column("source_key", sa.String(300), primary_key=True),
    sa.Column("source", sa.String(32), nullable=False, index=True),
    sa.Column("cursor", sa.Text),
    sa.Column("window_start", sa.Date),
    sa.Column("window_end", sa.Date),
    sa.Column("harvested_through", sa.Date),
    sa.Column("etag", sa.String(500)),
    sa.Column("last_modified", sa.String(100)),
    sa.Column("next_check_at", UtcDateTime()),
    sa.Column("consecutive_errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("last_error_kind", sa.String(32)),
    sa.Column("last_run_at", UtcDateTime()),
    sa.Column("last_success_at", UtcDateTime()),
    sa.Column("last_new_at", UtcDateTime()),
)

source_runs = sa.Table(
    "source_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_key", sa.String(300), nullable=False, index=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("fetched", sa.Integer, nullable=False),
    sa.Column("new", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("merged", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("rejected_reasons", sa.JSON, nullable=False),
    # Records that are not papers (notices, data sets, books): left out on purpose, not a fault.
    sa.Column("left_out", sa.Integer, nullable=False, server_default="0"),
    sa.Column("left_out_reasons", sa.JSON, nullable=False, server_default="{}"),
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("not_modified", sa.Boolean, nullable=False, server_default=sa.false()),
)

work_vectors = sa.Table(
    "work_vectors",
    metadata,
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    # The model that made the vector: another model re-embeds (rows of both may coexist).
    sa.Column("model", sa.String(100), primary_key=True),
    sa.Column("vector", sa.LargeBinary, nullable=False),  # float32, L2-normalised
    # counters["features"] when written: a process holding the matrix loads only newer rows.
    sa.Column("stamp", sa.BigInteger, nullable=False, server_default="0", index=True),
)

library_items = sa.Table(
    "library_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("source", sa.String(300), nullable=False),  # the file name or "orcid:<iD>"
    sa.Column("item_key", sa.String(500), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("authors", sa.JSON, nullable=False),
    sa.Column("year", sa.Integer),
    sa.Column("doi", sa.String(255)),
    sa.Column("arxiv_id", sa.String(64)),
    sa.Column("abstract", sa.Text, nullable=False, server_default=""),
    sa.Column("venue", sa.String(1000)),
    sa.Column("added", sa.Date),
    # The stored work it is, when one matched; otherwise its own vector stands for it.
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="SET NULL"), index=True),
    sa.Column("match", sa.String(16), nullable=False),
    sa.Column("model", sa.String(100)),
    sa.Column("vector", sa.LargeBinary),
    sa.Column("imported_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("user_id", "source", "item_key"),
    sqlite_autoincrement=True,  # ids never reused after a delete: (count, newest id) is a version
)

author_decisions = sa.Table(
    "author_decisions",
    metadata,
    # A reader's answer to "是这位 … 吗?" for one paper, asked once and remembered.
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("same_person", sa.Boolean, nullable=False),
    sa.Column("decided_at", UtcDateTime(), nullable=False),
)

author_profiles = sa.Table(
    "author_profiles",
    metadata,
    # What is known of a followed author beyond the name: ids given by the reader.
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("orcid", sa.String(32)),
    sa.Column("openalex_id", sa.String(32)),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # One row per reader, paper and action: two likes sent at once stored two rows (PostgreSQL).
    sa.Index("uq_feedback_user_id_work_id_action", "user_id", "work_id", "action", unique=True),
    sqlite_autoincrement=True,  # ids never reused after a delete (undo): (count, newest id) is a version
)

briefings = sa.Table(
    "briefings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), nullable=False),
    sa.Column("period", sa.String(64), nullable=False),
    sa.Column("start", sa.Date),
    sa.Column("end", sa.Date),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    # Hash of everything the text depends on (papers, language, model, prompts): equal inputs reuse it.
    sa.Column("input_hash", sa.String(64), nullable=False, index=True),
    sa.Column("content", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_briefings_radar_created", "radar_id", "created_at"),
)

briefing_schedules = sa.Table(
    "briefing_schedules",
    metadata,
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("period", sa.String(64), nullable=False, server_default="day"),
    sa.Column("llm", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("last_anchor", sa.Date),  # the newest announcement day already briefed
)

sessions = sa.Table(
    "sessions",
    metadata,
    # sha256 of the cookie's token: a stolen database does not yield live sessions.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),  # shown in lists so a reader can tell tokens apart
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime()),
    sa.Column("revoked_at", UtcDateTime()),
)

feed_tokens = sa.Table(
    "feed_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
)

login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),  # "name:<n>|ip:<a>", "ip:<a>" or "name:<n>"
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("blocked_until", UtcDateTime(), nullable=False),  # next attempt from then
    sa.Column("last_failure_at", UtcDateTime(), nullable=True),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),  # email | feishu | dingtalk | wecom | slack
    sa.Column("target", sa.String(1000), nullable=False),  # an e-mail address or a webhook URL
    # The webhook's signing secret: kept as given, because each message is signed with it.
    sa.Column("secret", sa.String(500)),
    sa.Column("cadence", sa.String(8), nullable=False, server_default="daily"),  # daily | weekly
    sa.Column("lang", sa.String(8), nullable=False, server_default="zh"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("last_anchor", sa.Date),  # the newest announcement day already delivered
    sa.Column("last_sent_at", UtcDateTime()),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # One per radar, channel and target: a form sent twice kept two and sent every digest twice.
    sa.Index("uq_deliveries_radar_id_channel_target", "radar_id", "channel", "target", unique=True),
)

store_identity = sa.Table(
    "store_identity",
    metadata,
    # One row naming this database for what is kept beside it (the search index). Made with the
    # schema and carried by a copied file, a dump or a template copy, so their index stays current;
    # a database of its own (another store's index pointed at it) has another name.
    sa.Column("id", sa.String(32), primary_key=True),
)

counters = sa.Table(
    "counters",
    metadata,
    # Monotonic stamps shared by every process: a writer takes the next value under a row lock held
    # until it commits, so stamps become visible in order and "rows stamped after N" is exact.
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

feature_vocabularies = sa.Table(
    "feature_vocabularies",
    metadata,
    # A corpus-level TF-IDF vocabulary: works are featurised under one version; a refit builds the
    # next version in the background and the old one is served until the new one is ready.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.String(16), nullable=False),  # building | ready | retired
    sa.Column("documents", sa.Integer, nullable=False),  # works in the store when it was fitted
    sa.Column("terms", sa.LargeBinary, nullable=False),  # UTF-8 terms joined by newlines, column order
    sa.Column("idf", sa.LargeBinary, nullable=False),  # float32 per term
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

work_features = sa.Table(
    "work_features",
    metadata,
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("vocabulary", sa.Integer, sa.ForeignKey("feature_vocabularies.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("stamp", sa.BigInteger, nullable=False, index=True),  # counters["features"] at writing
    sa.Column("indices", sa.LargeBinary, nullable=False),  # int32 term columns
    sa.Column("data", sa.LargeBinary, nullable=False),  # float32 TF-IDF values (L2-normalised row)
)

seen_works = sa.Table(
    "seen_works",
    metadata,
    # A work shown to a radar, claimed once: the primary key is what makes concurrent 换一批 unable to
    # show a paper twice, and re-ranking a batch never releases a claim.
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("feed_batches.id", ondelete="CASCADE"), nullable=False,
              index=True),
    # What a radar claimed since a batch: a process keeps the seen set and reads only what is new.
    sa.Index("ix_seen_works_radar_batch", "radar_id", "batch_id"),
)

reader_models = sa.Table(
    "reader_models",
    metadata,
    # A radar's trained model, so that any process ranks with it; `inputs` says what it was trained on.
    sa.Column("radar_id", sa.Integer, sa.ForeignKey("radars.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("inputs", sa.String(300), nullable=False),
    sa.Column("vocabulary", sa.Integer, nullable=False),
    sa.Column("embedding", sa.String(100), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),  # empty | centroid | classifier
    sa.Column("sparse", sa.LargeBinary),  # float32 weights over the vocabulary
    sa.Column("sparse_bias", sa.Float, nullable=False),
    sa.Column("dense", sa.LargeBinary),  # float32 weights over the embedding
    sa.Column("dense_bias", sa.Float, nullable=False),
    sa.Column("positives", sa.JSON, nullable=False),  # [[work_id|null, title, kind], ...] for reasons
    sa.Column("positive_vectors", sa.LargeBinary),  # float32 rows of the positives' embeddings
    sa.Column("trained_at", UtcDateTime(), nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
)
