"""Files data managers maintain: the inspector roster, the subjects' local designations, the
matter list, the object library and joint cross-department plans.

`import_roster` / `import_designations` / `import_matters` / `import_objects` load a CSV or
XLSX file all-or-nothing (FileRefused lists every bad row); `inspectors` and `designations_on`
read what was loaded.
"""

from ssj_bridge.intake.apply import (
    ImportResult,
    current_user,
    import_designations,
    import_joint_plans,
    import_matters,
    import_objects,
    import_roster,
)
from ssj_bridge.intake.designations import DESIGNATION_COLUMNS
from ssj_bridge.intake.files import FileRefused
from ssj_bridge.intake.queries import designations, designations_on, inspectors
from ssj_bridge.intake.roster import ROSTER_COLUMNS

__all__ = [
    "DESIGNATION_COLUMNS", "ROSTER_COLUMNS", "FileRefused", "ImportResult", "current_user",
    "designations", "designations_on", "import_designations", "import_joint_plans",
    "import_matters", "import_objects",
    "import_roster", "inspectors",
]
