"""The conformance suite, run on a freshly scaffolded adapter with its default fixtures, fails
when a classic adapter bug is put into it: each bug below is injected on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from scaffold_support import point_tests_at_spec, run_suite

from ssj_bridge.scaffold import AdapterNames, new_adapter

NAME = "acme"
PACKAGE = f"ssj_adapter_{NAME}"

# bug → (file of the package, text as generated, text with the bug). Each replaced text must
# occur in the generated file, so a change of the templates cannot silently disarm a bug.
BUGS: dict[str, tuple[str, str, str]] = {
    "no re-auth on 401": (
        "client.py", "token = self._replace_token(token)", "token = token"),
    "Retry-After ignored": (
        "client.py", "retry_after=retry_after_seconds(response)", "retry_after=None"),
    "a new idempotency key per retry": (
        "sink.py", "self.client.save_subject(item.request_id,",
        "self.client.save_subject(__import__('uuid').uuid4().hex,"),
    "a bad USCC mapped": (
        "mapping.py", 'context={"allowed_usccs": allowed_usccs}',
        'context={"allowed_usccs": type("All", (), {"__contains__": lambda s, x: True})()}'),
    "the last page dropped": (
        "stream.py", "            yield list(data[\"items\"])\n"
                     "            after = data.get(\"next\")\n            if not after:\n"
                     "                return\n",
        "            after = data.get(\"next\")\n            if not after:\n"
        "                return\n            yield list(data[\"items\"])\n"),
    "a cursor that never advances": (
        "stream.py", "batch.cursor = latest", "batch.cursor = cursor"),
    "a cursor from the local clock": (
        "stream.py", "batch.cursor = latest",
        "batch.cursor = iso_beijing(__import__('ssj_bridge.api').api.beijing_now())"),
}


# bug → (the generated hostile case that must catch it, file, text as generated, text with
# the bug): each case is run alone against the adapter with the bug, so it is that case, not
# another check, that fails it.
CAUGHT_BY_HOSTILE_CASES: dict[str, tuple[str, str, str, str]] = {
    "a short page taken for the last": (
        "test_short_pages_mid_listing_do_not_end_it", "stream.py",
        "            if not after:\n",
        "            if not after or len(data[\"items\"]) < self.config.page_size:\n"),
    "records without their version": (
        "test_stale_and_duplicate_records_leave_the_newest_stored", "mapping.py",
        "return Fetched(key, payload, content_hash(payload), task, source)",
        "return Fetched(key, payload, content_hash(payload), task, None)"),
    "a content hash that differs each time a record is read": (
        "test_stale_and_duplicate_records_leave_the_newest_stored", "mapping.py",
        "return Fetched(key, payload, content_hash(payload), task, source)",
        "return Fetched(key, payload, content_hash(payload + __import__('os').urandom(4)), "
        "task, source)"),
    "an undeclared code taken as success": (
        "test_an_undeclared_error_code_fails_the_run_clearly", "client.py",
        "        raise PermanentError(message, platform=PLATFORM, code=code)\n",
        "        return envelope.get(\"data\")\n"),
    "an undeclared code retried as if busy": (
        "test_an_undeclared_error_code_fails_the_run_clearly", "client.py",
        "        raise PermanentError(message, platform=PLATFORM, code=code)\n",
        "        raise TransientError(message, platform=PLATFORM, code=code)\n"),
}


def inject(root: Path, file: str, good: str, bad: str) -> None:
    """Put a bug into the generated package: `good`, as generated, becomes `bad`."""
    path = root / PACKAGE / file
    text = path.read_text(encoding="utf-8")
    assert good in text, f"{file} no longer holds {good!r}"
    path.write_text(text.replace(good, bad), encoding="utf-8")


def scaffold(where: Path) -> Path:
    """The generated package, its tests pointed at its own spec (it is not pip-installed)."""
    names = AdapterNames.of(NAME, region="371000")
    written = new_adapter(names, where)
    root = where / names.dist
    assert all(root in path.parents for path in written)
    point_tests_at_spec(root, NAME, PACKAGE)
    return root


@pytest.mark.slow
def test_the_scaffolded_adapter_passes_the_suite_as_generated(tmp_path: Path) -> None:
    done = run_suite(scaffold(tmp_path), "-x")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("bug", list(BUGS))
def test_the_suite_fails_an_adapter_with(bug: str, tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    inject(root, *BUGS[bug])
    done = run_suite(root, "-x")
    assert done.returncode == 1, (f"the suite passed an adapter with {bug}:\n"
                                  + done.stdout[-3000:] + done.stderr[-1000:])


@pytest.mark.slow
@pytest.mark.parametrize("bug", list(CAUGHT_BY_HOSTILE_CASES))
def test_a_generated_hostile_case_fails_an_adapter_with(bug: str, tmp_path: Path) -> None:
    check, *change = CAUGHT_BY_HOSTILE_CASES[bug]
    root = scaffold(tmp_path)
    assert run_suite(root, "-k", check).returncode == 0, f"{check} fails the generated adapter"
    inject(root, *change)
    done = run_suite(root, "-k", check)
    assert done.returncode == 1 and "1 failed" in done.stdout, (
        f"{check} passed an adapter with {bug}:\n" + done.stdout[-3000:] + done.stderr[-1000:])
