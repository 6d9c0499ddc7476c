"""Reports on the store for data managers: the quarter's compliance (JSON, HTML), breaks (CSV, XLSX).

- `compliance.py` gathers the quarter's figures into `ComplianceReport` (`as_json()`);
- `html.py` renders it as one self-contained HTML file (`templates/compliance.html.j2`,
  charts from `charts.py`);
- `breaks_export.py` writes the reconciliation breaks as CSV or XLSX.
"""
