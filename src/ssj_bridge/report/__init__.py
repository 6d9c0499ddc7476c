"""Reports and documents on the store for data managers and the bureau's files.

- `compliance.py` gathers the quarter's figures into `ComplianceReport` (`as_json()`);
- `html.py` renders it as the compliance report document (`templates/compliance.html.j2`,
  charts from `charts.py`);
- `draw_documents.py`: the announcement of a draw's commitments and the record the witness
  signs; `publication_list.py`: the quarter's results publication list;
- `paper.py`: what every document shares (the A4 page, the letterhead, the words), and
  `pdf.py`: a document printed to PDF by headless Chromium (docs/design/documents.md);
- `breaks_export.py` writes the reconciliation breaks as CSV or XLSX.
"""
