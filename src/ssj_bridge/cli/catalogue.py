"""The translation catalogue kept in step with the code: `python -m ssj_bridge.cli.catalogue`.

    python -m ssj_bridge.cli.catalogue update   # add new messages to the .po, drop gone ones
    python -m ssj_bridge.cli.catalogue check    # list what has no Chinese yet (exit 1 if any)

Messages come from four places: the core's code and templates (`_`, `N_`, `ngettext`,
`pgettext`, Jinja2's `{% trans %}`), every command's and option's help (the CLI tree), the
descriptions of the installed adapters (`ssj-bridge plugins`; one the catalogue does not know is
shown as its plugin wrote it), and the messages click words itself ("Usage:", "Missing option").
A message is complete when its Chinese is written and not marked fuzzy.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from ssj_bridge.i18n import CATALOGUES, DOMAIN

SOURCE = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHODS = [("**/scaffold/**", "ignore"), ("**.py", "python"),
           ("**/templates/**.j2", "jinja2")]
# click's modules whose messages a person sees (help pages and usage errors).
CLICK_FILES = ("core.py", "exceptions.py", "formatting.py", "parser.py", "types.py",
               "decorators.py", "termui.py")

HEADER = ("# Chinese (Simplified) of ssj-bridge's messages.\n"
          "# `python -m ssj_bridge.cli.catalogue update` adds new messages; `check` lists what "
          "has no Chinese yet.")

Message = tuple[str | tuple[str, ...], str | None]  # (id or (singular, plural), context)


def messages() -> Iterator[Message]:
    """Every message the catalogue must hold."""
    for _file, _line, text, _comments, context in extract_from_dir(
            SOURCE, METHODS, keywords=KEYWORDS, options_map={
                "**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}}):
        yield (tuple(text) if isinstance(text, list | tuple) else text), context
    yield from ((text, None) for text in help_messages())
    yield from ((text, None) for text in plugin_messages())
    import click

    base = Path(click.__file__).parent
    for name in CLICK_FILES:
        for _line, text, _comments, context in extract_from_file(
                "python", base / name, keywords={"_": None, "ngettext": (1, 2)}):
            yield (tuple(text) if isinstance(text, list | tuple) else text), context


def plugin_messages() -> list[str]:
    """What `ssj-bridge plugins` shows of the bundled adapters (their descriptions)."""
    from ssj_bridge.plugins.host import load_plugins

    host = load_plugins()
    return sorted({spec.description for spec in host.adapters.values()
                   if spec.description and type(spec.factory).__module__ != "__main__"})


def help_messages() -> list[str]:
    """The English help of every command and option (ssj_bridge.cli.localise)."""
    from ssj_bridge.cli import COMMANDS, cli
    from ssj_bridge.cli.localise import help_texts

    found = list(help_texts(cli))
    for name in COMMANDS:
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        if command is not None:
            found += help_texts(command)
    return found


def _first(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _key(message: Message) -> tuple[str, str | None]:
    text, context = message
    return (text[0] if isinstance(text, tuple) else text), context


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"[A-Za-z]")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([^)]*\)s|%s|%d")


def written_in_chinese(text: str) -> bool:
    """True for a message whose id is already Chinese (the filed documents' words): mostly
    Chinese outside its placeholders (a code or a command name may stand in it)."""
    bare = _PLACEHOLDER.sub("", text)
    first = next((char for char in bare if char.isalpha()), "")
    return bool(_CJK.match(first)) and 4 * len(_CJK.findall(bare)) > len(_LETTER.findall(bare))


def _strings(string: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else tuple(string or ("",))


def _as_written(text: str | tuple[str, ...]) -> str | tuple[str, ...]:
    """A new message's first Chinese: its own id when that is Chinese already, else none."""
    if isinstance(text, tuple):
        return tuple(text[0] if written_in_chinese(text[0]) else "" for _form in text)
    return text if written_in_chinese(text) else ""


def update(path: Path = CATALOGUES["zh"]) -> tuple[int, int]:
    """Bring the catalogue at `path` in step with the code: (added, removed)."""
    with path.open("rb") as handle:
        old = read_po(handle, locale="zh_CN", domain=DOMAIN)
    new = Catalog(locale="zh_CN", domain=DOMAIN, project="ssj-bridge",
                  charset="utf-8", fuzzy=False)
    new.mime_headers = old.mime_headers
    new.header_comment = HEADER
    wanted: dict[tuple[str, str | None], Message] = {}
    for message in messages():
        wanted.setdefault(_key(message), message)
    added = 0
    for (msgid, context), (text, _ctx) in sorted(wanted.items(),
                                                  key=lambda i: (i[0][1] or "", i[0][0])):
        kept = old.get(msgid, context=context)
        if kept is None:
            added += 1
        string = (kept.string if kept is not None and all(_strings(kept.string))
                  else _as_written(text))
        flags = kept.flags if kept is not None else ()
        new.add(text, string, context=context, flags=flags)
    removed = sum(1 for m in old if m.id and (_first(m.id), m.context) not in wanted)
    with path.open("wb") as handle:
        write_po(handle, new, width=100, omit_header=False, sort_output=False)
    return added, removed


def missing(path: Path = CATALOGUES["zh"]) -> list[str]:
    """Messages of the code with no Chinese (absent, empty or fuzzy), one line each."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN", domain=DOMAIN)
    problems = []
    seen = set()
    for message in messages():
        msgid, context = _key(message)
        if (msgid, context) in seen:
            continue
        seen.add((msgid, context))
        found = catalog.get(msgid, context=context)
        strings = (found.string if isinstance(found.string, tuple) else (found.string,)
                   ) if found is not None else ()
        where = f"[{context}] " if context else ""
        if found is None:
            problems.append(f"not in the catalogue: {where}{msgid!r}")
        elif found.fuzzy or not all(strings):
            problems.append(f"no Chinese yet: {where}{msgid!r}")
    return problems


def main(argv: list[str]) -> int:
    """`update` or `check`."""
    if argv[:1] == ["update"]:
        added, removed = update()
        print(f"{CATALOGUES['zh']}: {added} messages added, {removed} removed")
        return 0
    if argv[:1] == ["check"]:
        problems = missing()
        for line in problems:
            print(line)
        print(f"{len(problems)} messages without Chinese")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
