"""Running the bridge: what the last runs did (`status`), whether a run can work (`check`),
and who is told when one fails (`alerts`)."""
