"""The store's tables. Migrations in `migrations/` create them; a test keeps the two equal.

Times are ISO-8601 strings with +08:00 (they sort as text and read the same on SQLite and
PostgreSQL); dates are DATE.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

TIME = String(32)

source_records = Table(
    "source_records", metadata,
    Column("platform", String(32), primary_key=True),
    Column("entity", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("payload", LargeBinary, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("source_time", TIME),
    Column("fetched_at", TIME, nullable=False),
)

permits = Table(
    "permits", metadata,
    Column("permit_no", String(22), primary_key=True),
    Column("uscc", String(18), nullable=False, index=True),
    Column("org_name", Text, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("address", Text),
    Column("industry_code", String(5)),
    Column("industry_name", Text),
    Column("management_class", String(8), nullable=False),
    Column("key_discharge_unit", Boolean, nullable=False),
    Column("pollutant_types", Text, nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("status", String(4), nullable=False),
    Column("longitude", Float),
    Column("latitude", Float),
    Column("update_time", TIME, nullable=False),
)

subjects = Table(
    "subjects", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", Text, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("industry_code", String(5)),
    Column("management_class", String(8)),
    Column("key_discharge_unit", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("permit_count", Integer, nullable=False),
    Column("updated_at", TIME, nullable=False),
    Index("ix_subjects_region", "region_code"),
)

cursors = Table(
    "cursors", metadata,
    Column("platform", String(32), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("value", Text),
    Column("updated_at", TIME, nullable=False),
)

quarantine = Table(
    "quarantine", metadata,
    Column("platform", String(32), primary_key=True),
    Column("entity", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("payload", LargeBinary),
    Column("first_seen", TIME, nullable=False),
    Column("last_seen", TIME, nullable=False),
    Column("count", Integer, nullable=False),
)

uscc_allowlist = Table(
    "uscc_allowlist", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("accepted_by", Text, nullable=False),
    Column("accepted_at", TIME, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(32), nullable=False),
    Column("started_at", TIME, nullable=False),
    Column("finished_at", TIME),
    Column("exit_code", Integer),
    Column("summary", Text),
    Column("host", Text),
    Column("pid", Integer),
)

credit_records = Table(
    "credit_records", metadata,
    Column("kind", String(16), primary_key=True),
    Column("record_key", String(128), primary_key=True),
    Column("uscc", String(18), nullable=False, index=True),
    Column("name", Text),
    Column("region_code", String(6)),
    Column("year", Integer),
    Column("level", Text),
    Column("scheme", String(16)),
    Column("tier", String(16)),
    Column("risk_class", String(16)),
    Column("published_on", Date),
    Column("valid_until", Date),
    Column("in_force", Boolean, nullable=False),
)

imports = Table(
    "imports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_hash", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", TIME, nullable=False),
)

designations = Table(
    "designations", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("tag", String(16), primary_key=True),
    Column("since_key", String(10), primary_key=True),  # `since` as text, '' when open
    Column("value", Text),
    Column("since", Date),
    Column("until", Date),
    Column("source", Text),
    Column("import_id", Integer),
)

inspectors = Table(
    "inspectors", metadata,
    Column("inspector_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("cert_no", Text),
    Column("org_code", Text),
    Column("region_code", String(6), nullable=False),
    Column("expertise", Text, nullable=False),  # `;`-joined
    Column("auxiliary", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("conflicts", Text, nullable=False),  # `;`-joined USCCs
    Column("import_id", Integer),
    Column("updated_at", TIME, nullable=False),
    # 威海 第十条's fields (migration 0013): 职务岗位, 在编在岗 …, 性别, 工作年限
    Column("post", Text),
    Column("staff_status", String(16)),
    Column("gender", String(4)),
    Column("service_years", Integer),
)

classifications = Table(
    "classifications", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("period", String(6), primary_key=True),
    Column("policy", String(32), nullable=False),
    Column("category", String(16)),
    Column("categories", Text, nullable=False),  # `;`-joined
    Column("reasons", Text, nullable=False),  # JSON: [{category, rule, clause, facts}]
    Column("classified_at", TIME, nullable=False),
    Index("ix_classifications_period", "period", "category"),
)

# -- writes to platforms, tasks, results, draws, publications (migration 0003) ------------------

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("key", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("content_hash", String(32), nullable=False),
    # pending → accepted | rejected; superseded when a newer version replaces a pending one
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("response", Text),
    Column("created_at", TIME, nullable=False),
    Column("updated_at", TIME, nullable=False),
    # The region a version's request id is derived with (NULL: rows older than the scope,
    # whose ids stay as they were); when the item first went out (the platform's memory of
    # its request id runs from then).
    Column("request_scope", String(16)),
    Column("first_sent_at", TIME),
    Index("ux_outbox_version", "platform", "entity", "key", "version", unique=True),
    Index("ix_outbox_pending", "platform", "status", "entity", "id"),
)

tasks = Table(
    "tasks", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("matter_code", String(32), nullable=False),
    Column("drawn_by", String(32), nullable=False),
    Column("draw_mode", String(8), nullable=False),
    Column("period", String(6), nullable=False),
    Column("category", String(16)),
    Column("planned_start", Date),
    Column("planned_end", Date),
    Column("draw_proof", Text),  # JSON
    Column("status", String(8), nullable=False),
    Column("origin", String(16), nullable=False),  # local | platform
    Column("update_time", TIME),
    Column("completed_on", Date),
    # migration 0014: a joint task's departments (`;`-joined org codes, lead first) and plan
    Column("departments", Text),
    Column("joint_plan", String(64)),
    Index("ix_tasks_period", "period", "region_code"),
)

assignments = Table(
    "assignments", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("uscc", String(64), primary_key=True),
    Column("inspector_ids", Text, nullable=False),  # `;`-joined
    Column("mode", String(8), nullable=False),
    Column("status", String(8), nullable=False),
    Index("ix_assignments_uscc", "uscc"),
)

results = Table(
    "results", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("uscc", String(64), primary_key=True),
    Column("result_id", String(64)),
    Column("version", Integer, nullable=False),
    Column("result_code", String(2), nullable=False),
    Column("inspected_on", Date, nullable=False),
    Column("inspector_ids", Text, nullable=False),
    Column("findings", Text, nullable=False),
    Column("rectification_due", Date),
    Column("case_no", Text),
    Column("origin", String(16), nullable=False),  # local | platform
    Column("update_time", TIME),
    Column("recorded_at", TIME, nullable=False),
    Index("ix_results_inspected", "inspected_on"),
)

result_versions = Table(
    "result_versions", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("uscc", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content", Text, nullable=False),  # JSON of the Result at that version
    Column("approved_by", Text),
    Column("reason", Text),
    Column("recorded_at", TIME, nullable=False),
)

draws = Table(
    "draws", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", Text, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("period", String(6), nullable=False),
    Column("matter_code", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("algorithm", String(32), nullable=False),
    Column("k", Integer, nullable=False),
    Column("candidates", Text, nullable=False),  # JSON list
    Column("candidates_hash", String(64), nullable=False),
    Column("inspector_candidates", Text, nullable=False),  # JSON: matching inputs (draw/records.py)
    Column("inspector_candidates_hash", String(64), nullable=False),
    Column("commitment", String(64), nullable=False),
    Column("secret", String(64), nullable=False),  # hex; revealed only through draw_proof
    Column("witness_entropy", Text),
    Column("witnessed", Boolean),
    Column("selected", Text),  # JSON list
    Column("groups", Text),  # JSON [{uscc, inspectorIds, mode}], after redraws
    Column("redraws", Text),  # JSON: recorded replacements after the draw
    Column("task_id", String(64)),
    Column("committed_at", TIME, nullable=False),
    Column("revealed_at", TIME),
    # JSON (migration 0013): the stratum the draw covers — {"region", "part", "directed",
    # "joint"}; NULL for a draw of the whole region and category
    Column("scope", Text),
    # JSON (migration 0014): a joint draw's other departments, each with its matching inputs
    # fixed at the commit and its groups and redraws once drawn; NULL for one department
    Column("departments", Text),
    Index("ix_draws_label", "label"),
)

publications = Table(
    "publications", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("uscc", String(64), primary_key=True),
    Column("inspected_on", Date, nullable=False),
    Column("result_code", String(2), nullable=False),
    Column("status", String(16), nullable=False),  # pending | published | rejected
    Column("completed_on", Date),
    Column("due", Date),
    Column("due_provisional", Boolean, nullable=False),
    Column("published_on", Date),
    Column("batch_no", String(64)),
    Column("error_code", String(8)),
    Column("error_message", Text),
    Column("updated_at", TIME, nullable=False),
)

# -- reconciliation (migration 0010) ------------------------------------------------------------

recon_runs = Table(
    "recon_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_at", TIME, nullable=False),
    Column("summary", Text),  # JSON of the run's summary
)

# One side of a comparison: the platform's listing or the store's records, normalised and hashed.
recon_staging = Table(
    "recon_staging", metadata,
    Column("run_id", Integer, nullable=False),
    Column("side", String(1), nullable=False),  # p: platform, s: store
    Column("platform", String(32), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("key", String(128), nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("version", String(40)),
    Column("fields", LargeBinary, nullable=False),
    # Covering, so the comparison reads the index alone, in key order.
    Index("ix_recon_staging", "run_id", "platform", "entity", "key", "side", "content_hash",
          "version"),
)

breaks = Table(
    "breaks", metadata,
    Column("platform", String(32), primary_key=True),
    Column("entity", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("kind", String(24), primary_key=True),
    Column("fields", Text),  # JSON {name: {store, platform}}
    Column("first_seen", TIME, nullable=False),
    Column("last_seen", TIME, nullable=False),
    Column("runs_open", Integer, nullable=False),
    Column("resolved_at", TIME),
    Column("last_run_id", Integer, nullable=False),
    Column("repaired_at", TIME),
)

# -- documents of many outbox items, answered later by a receipt (migration 0006) ---------------

# A batch is recorded with its number and exact document before it is sent, so a resumed run
# sends the same number with the same content, and polls its receipt instead of sending again.
outbox_batches = Table(
    "outbox_batches", metadata,
    Column("platform", String(32), primary_key=True),
    Column("batch_no", String(64), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("day", Date, nullable=False),  # the day the number was taken; numbers count per day
    Column("sequence", Integer, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("items", Integer, nullable=False),
    # prepared → submitted → done; refused (the document as a whole); abandoned (renumbered, split)
    Column("status", String(16), nullable=False),
    Column("polls", Integer, nullable=False),
    Column("error", Text),
    Column("created_at", TIME, nullable=False),
    Column("submitted_at", TIME),
    Column("last_polled_at", TIME),
    Column("finished_at", TIME),
    Index("ix_outbox_batches_status", "platform", "entity", "status"),
    Index("ix_outbox_batches_day", "platform", "day", "sequence"),
)

outbox_batch_items = Table(
    "outbox_batch_items", metadata,
    Column("platform", String(32), primary_key=True),
    Column("batch_no", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),  # 1-based, the item's place in the document
    Column("item_id", Integer, nullable=False),  # outbox.id
    Index("ix_outbox_batch_items_item", "item_id"),
)

# -- matters, object libraries, closed periods (migration 0013) ---------------------------------

# The 随机抽查事项清单 as a data manager imported it: one row per rule of a matter, in file order.
matters = Table(
    "matters", metadata,
    Column("matter_code", String(32), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("object_kind", String(32), nullable=False),
    Column("level", String(8), nullable=False),  # city | county: who draws
    Column("departments", Text, nullable=False),  # `;`-joined org codes
    Column("category", String(32), nullable=False),
    Column("period", String(16), nullable=False),
    Column("ratio", String(16), nullable=False),  # `25%`, `policy` or ''
    Column("min_count", Integer),
    Column("per_inspector", String(16), nullable=False),  # decimal or ''
    Column("mode", String(8), nullable=False),
    Column("basis", Text, nullable=False),
    Column("import_id", Integer),
    Column("updated_at", TIME, nullable=False),
)

# Object libraries no platform supplies; an object's key in draws and tasks is its USCC, or its
# objectId when it has none.
objects = Table(
    "objects", metadata,
    Column("kind", String(32), primary_key=True),
    Column("object_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("uscc", String(18)),
    Column("subkind", String(32), nullable=False),
    Column("since", Date),
    Column("until", Date),
    Column("source", Text),
    Column("import_id", Integer),
    Column("updated_at", TIME, nullable=False),
    Index("ix_objects_kind_region", "kind", "region_code"),
)

# What a quarter's plan stood on (JSON: per matter and region line, populations, inspectors and
# required counts): `open` while the quarter runs, `closed` once it has ended.
period_snapshots = Table(
    "period_snapshots", metadata,
    Column("period", String(6), primary_key=True),
    Column("policy", String(32), primary_key=True),
    Column("region_code", String(6), primary_key=True),
    Column("state", String(8), nullable=False),
    Column("content", Text, nullable=False),
    Column("taken_at", TIME, nullable=False),
    Column("closed_at", TIME),
)

# Changes to a closed quarter, recorded as corrections (e.g. a classification redone).
period_corrections = Table(
    "period_corrections", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(6), nullable=False),
    Column("what", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("recorded_at", TIME, nullable=False),
    Index("ix_period_corrections_period", "period"),
)

# -- what the work after the streams is up to date with (migration 0031) ------------------------

# A subject whose facts changed since classification and the library queue last looked at it;
# `claimed` is the generation a run took to work on (ssj_bridge.store.changes).
subject_changes = Table(
    "subject_changes", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("claimed", Integer),
)

# Per step after the streams: the period, policy and day it is up to date with (JSON).
derived_state = Table(
    "derived_state", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", TIME, nullable=False),
)

# -- the year around the draws (migration 0014) ---------------------------------------------------

# 跨部门联合抽查 plans as a data manager imported them (interface.md, `joint import`).
joint_plans = Table(
    "joint_plans", metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("lead_org", String(32), nullable=False),
    Column("partner_orgs", Text, nullable=False),  # `;`-joined org codes
    Column("matter_codes", Text, nullable=False),  # `;`-joined
    Column("period", String(32), nullable=False),  # YYYY, YYYYQn or YYYY-MM..YYYY-MM
    Column("share", String(16), nullable=False),  # a percentage, e.g. 15%
    Column("import_id", Integer),
    Column("updated_at", TIME, nullable=False),
)

# An annual plan filed with a higher level: when, to whom, by whom, and the plan as filed (JSON).
plan_filings = Table(
    "plan_filings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("policy", String(32), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("filed_to", Text, nullable=False),
    Column("filed_by", Text, nullable=False),
    Column("filed_on", Date, nullable=False),
    Column("filed_at", TIME, nullable=False),
    Column("content", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Index("ix_plan_filings_year", "year", "region_code"),
)

# A result kept out of publication, with the reason and who approved it.
withholdings = Table(
    "withholdings", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("uscc", String(64), primary_key=True),
    Column("result_id", String(64)),
    Column("reason", Text, nullable=False),
    Column("approved_by", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", TIME, nullable=False),
)

# A statutory document produced (ledger, statistics, annual report): for which period, when.
statutory_documents = Table(
    "statutory_documents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("document", String(64), nullable=False),
    Column("period", String(8), nullable=False),
    Column("policy", String(32), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("produced_on", Date, nullable=False),
    Column("produced_at", TIME, nullable=False),
    Column("files", Text, nullable=False),  # JSON list of paths written
    Column("content_hash", String(64), nullable=False),
    Index("ix_statutory_documents_period", "kind", "period"),
)
