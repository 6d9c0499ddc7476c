"""The province-wide deployment: every region of a province on one PostgreSQL.

Regions are data (`registry`): each has its policy, its settings file, its sync interval and a
schema of its own in the province database, holding exactly the tables a single-region store
has. Worker processes (`jobs`, procrastinate) run each region's sync as the same command cron
runs on a single host (`runner`), at the region's interval, never two of one region at once;
`status` shows every region side by side. The single-host path (one store, cron, SQLite by
default) does not use any of this.
"""

# Seconds between a region's syncs unless `regions add --interval` says otherwise: a quarter
# of an hour, as the single-host cron line. Here, not in `registry`, so that the command line
# can show it without loading the store.
DEFAULT_INTERVAL = 900
