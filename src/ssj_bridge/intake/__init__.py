"""Files data managers maintain: the inspector roster and the subjects' local designations.

`import_roster` / `import_designations` load a CSV or XLSX file all-or-nothing (FileRefused
lists every bad row); `inspectors` and `designations_on` read what was loaded.
"""

from ssj_bridge.intake.apply import ImportResult, current_user, import_designations, import_roster
from ssj_bridge.intake.designations import DESIGNATION_COLUMNS
from ssj_bridge.intake.files import FileRefused
from ssj_bridge.intake.queries import designations, designations_on, inspectors
from ssj_bridge.intake.roster import ROSTER_COLUMNS

__all__ = [
    "DESIGNATION_COLUMNS", "ROSTER_COLUMNS", "FileRefused", "ImportResult", "current_user",
    "designations", "designations_on", "import_designations", "import_roster", "inspectors",
]
