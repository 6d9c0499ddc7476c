"""A document's HTML printed to PDF by headless Chromium.

Chromium rather than WeasyPrint (docs/design/documents.md): the browser tests look at the
documents in Chromium on a screen, on a phone and in print emulation, and the PDF is printed
by the same engine from the same file, so what the tests check is what the bureau files. It
honours `@page` size, margins and margin boxes (unit, period, page x of y), fonts are the
machine's own (a CJK font must be installed: Debian `fonts-wqy-microhei` or
`fonts-noto-cjk`), and it needs no Python package with native libraries of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ssj_bridge.errors import ConfigurationError, SsjError
from ssj_bridge.report.output import report_file

SETTING = "SSJ_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0  # seconds for one document


class PrintFailed(SsjError):
    """Chromium ran but wrote no PDF."""


def find_chromium(configured: str | None = None) -> str:
    """The Chromium to print with: SSJ_CHROMIUM, else the first found on PATH."""
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ConfigurationError(f"{SETTING}={configured}: no such program", SETTING)
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ConfigurationError("printing a PDF needs Chromium: install it (Debian: apt-get "
                             f"install chromium) or set {SETTING} to its path", SETTING)


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None,
              timeout: float = TIMEOUT) -> Path:
    """Print `html` (a file) to `pdf` on the pages its stylesheet sets (A4); written whole or
    not at all."""
    program = find_chromium(chromium)
    pdf = pdf.expanduser()
    with report_file(pdf):
        pdf.parent.mkdir(parents=True, exist_ok=True)
        probe = pdf.with_name(f".{pdf.name}.tmp")
        probe.touch()  # a folder that cannot be written: said before Chromium is started
    with tempfile.TemporaryDirectory(prefix="ssj-print-") as profile:
        partial = Path(profile) / "out.pdf"
        command = [program, "--headless", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
                   # The document's own header and footer (its @page boxes), not Chromium's.
                   "--no-pdf-header-footer", f"--user-data-dir={profile}",
                   f"--print-to-pdf={partial}", html.resolve().as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(2, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            probe.unlink(missing_ok=True)
            raise PrintFailed(f"Chromium did not print {html.name} within {timeout:.0f} s") from None
        if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
            probe.unlink(missing_ok=True)
            raise PrintFailed(f"Chromium could not print {html.name} (exit {done.returncode}): "
                              f"{done.stderr.strip()[-500:]}")
        shutil.move(partial, probe)
    os.replace(probe, pdf)
    return pdf.resolve()


def write_outputs(html_text: str, *, html: Path | None, pdf: Path | None,
                  chromium: str | None = None) -> list[Path]:
    """Write a document as HTML (`html`) and/or PDF (`pdf`); the paths written, HTML first.
    A PDF without an HTML path is printed from a temporary copy that is then removed."""
    from ssj_bridge.report.paper import write_document

    written = []
    source = write_document(html_text, html) if html is not None else None
    if source is not None:
        written.append(source)
    if pdf is not None:
        if source is not None:
            written.append(print_pdf(source, pdf, chromium=chromium))
        else:
            with tempfile.TemporaryDirectory(prefix="ssj-document-") as folder:
                temporary = write_document(html_text, Path(folder) / f"{pdf.stem}.html")
                written.append(print_pdf(temporary, pdf, chromium=chromium))
    return written
