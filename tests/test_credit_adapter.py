"""The credit adapter against a mocked service: paging, safe XML, errors, retries, level words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from ssj_bridge.errors import (
    ConfigurationError,
    ExitCode,
    PermanentError,
    PlatformUnavailable,
    TransientError,
)
from ssj_bridge.model import CreditRecord, CreditTier, RiskClass
from ssj_bridge.model.identifiers import uscc_check_character
from ssj_bridge.platform.adapter import AdapterContext, Batch, Fetched, Rejected
from ssj_bridge.settings import PlatformSettings
from ssj_bridge.store.credit_writer import credit_record_key
from ssj_credit.client import CreditClient
from ssj_credit.config import CreditConfig
from ssj_credit.mapping import map_evaluation, map_risk
from ssj_credit.plugin import CreditAdapter
from ssj_credit.stream import EvaluationStream, RiskClassStream
from ssj_credit.vocabulary import SCHEMES
from ssj_credit.xmldoc import DocumentRefused, parse

BASE = "http://credit.test"
EVALUATIONS = f"{BASE}/credit/v2/evaluations"
RISKS = f"{BASE}/credit/v2/risk-classes"
KEY = "k-credit-0123456789"


def uscc(n: int) -> str:
    body = f"9137100{n:010d}"
    return body + uscc_check_character(body)


def row(n: int = 1, **elements: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {"TYSHXYDM": uscc(n), "QYMC": f"威海某{n}化工有限公司",
                                   "XZQHDM": "371002", "PJND": "2024", "PJDJ": "环保诚信企业",
                                   "FBRQ": "2025-03-15", "YXQZ": "2026-03-14", "ZT": "1"}
    base.update(elements)
    return base


def xml_row(values: dict[str, str | None]) -> str:
    return "<ROW>" + "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None) + "</ROW>"


def document(rows: list[dict[str, str | None]], *, total: int | None = None, page: int = 1,
             size: int = 2) -> bytes:
    total = len(rows) if total is None else total
    return (f'<?xml version="1.0" encoding="GB18030"?>\n<DATA total="{total}" page="{page}" '
            f'size="{size}">' + "".join(xml_row(r) for r in rows) + "</DATA>").encode("gb18030")


def xml_response(body: bytes, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body,
                          headers={"Content-Type": "application/xml", **headers})


def error_response(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = (f'<?xml version="1.0" encoding="GB18030"?><ERROR><CODE>{code}</CODE><MSG>{message}'
            "</MSG></ERROR>").encode("gb18030")
    return xml_response(body, status, **headers)


def config(**overrides: Any) -> CreditConfig:
    values: dict[str, Any] = {"base_url": BASE, "api_key": KEY, "page_size": 2,
                              "retry_backoff": 0.01, "deadline": 10, "years": [2024]}
    values.update(overrides)
    return CreditConfig.model_validate(values)


def context(**fields: Any) -> AdapterContext:
    return AdapterContext(platform="credit", section=PlatformSettings(**fields),
                          region_code="371000")


def read(stream: EvaluationStream | RiskClassStream) -> list[Batch]:
    return list(stream.read(None))


def records(batches: list[Batch]) -> list[Fetched]:
    return [r for b in batches for r in b.records]


def rejects(batches: list[Batch]) -> list[Rejected]:
    return [r for b in batches for r in b.rejects]


# -- paging ------------------------------------------------------------------------------------


@respx.mock
def test_every_page_is_read_with_the_api_key_until_a_page_without_row() -> None:
    pages = {1: [row(1), row(2)], 2: [row(3), row(4)], 3: []}
    route = respx.get(EVALUATIONS).mock(side_effect=lambda request: xml_response(
        document(pages[int(request.url.params["page"])], total=4,
                 page=int(request.url.params["page"]))))
    cfg = config()
    batches = read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert [r.record.uscc for r in records(batches)] == [uscc(n) for n in (1, 2, 3, 4)]
    assert route.call_count == 3
    for call in route.calls:
        assert call.request.headers["X-Api-Key"] == KEY
        assert call.request.url.params["regionCode"] == "371000"
        assert call.request.url.params["year"] == "2024"
        assert call.request.url.params["size"] == "2"
    assert batches[-1].cursor is not None and not batches[-1].records


@respx.mock
def test_a_short_last_page_ends_the_feed_without_another_call() -> None:
    pages = {1: [row(1), row(2)], 2: [row(3)]}
    route = respx.get(RISKS).mock(side_effect=lambda request: xml_response(document(
        [{"TYSHXYDM": r["TYSHXYDM"], "FXFL": "B", "FLRQ": "2025-06-30"}
         for r in pages[int(request.url.params["page"])]], total=3)))
    cfg = config()
    batches = read(RiskClassStream(CreditClient(cfg), cfg, context()))
    assert len(records(batches)) == 3
    assert route.call_count == 2
    assert batches[0].total == 3


@respx.mock
def test_each_configured_year_is_read() -> None:
    route = respx.get(EVALUATIONS).mock(side_effect=lambda request: xml_response(document(
        [row(1, PJND=request.url.params["year"])])))
    cfg = config(years="2023, 2024,2025")
    batches = read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert sorted(r.record.year for r in records(batches)) == [2023, 2024, 2025]  # type: ignore[attr-defined]
    assert [c.request.url.params["year"] for c in route.calls] == ["2023", "2024", "2025"]


def test_default_years_are_this_beijing_year_and_the_two_before() -> None:
    from datetime import date

    assert config(years=None).evaluation_years(date(2026, 1, 5)) == [2024, 2025, 2026]


@respx.mock
def test_a_page_with_fewer_rows_than_its_total_promises_is_retried_not_taken_as_the_end() -> None:
    answers = iter([document([row(1)], total=4), document([row(1), row(2)], total=4),
                    document([row(3), row(4)], total=4, page=2), document([], total=4, page=3)])
    route = respx.get(EVALUATIONS).mock(side_effect=lambda request: xml_response(next(answers)))
    cfg = config()
    batches = read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert len(records(batches)) == 4
    assert route.call_count == 4


# -- truncated documents ---------------------------------------------------------------------


@respx.mock
def test_truncated_document_is_transient_then_the_retry_succeeds() -> None:
    whole = document([row(1), row(2)], total=2)
    cut_after_a_row = whole[: whole.index(b"</ROW>") + len(b"</ROW>")]
    answers = iter([cut_after_a_row, whole[: len(whole) // 2], whole, document([], total=2, page=2)])
    route = respx.get(EVALUATIONS).mock(side_effect=lambda request: xml_response(next(answers)))
    cfg = config()
    batches = read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert len(records(batches)) == 2
    assert route.call_count == 4  # page 1 three times, then the page past the end


@respx.mock
def test_a_document_that_always_arrives_cut_off_is_unavailable_never_a_short_page() -> None:
    whole = document([row(1), row(2)], total=2)
    cut = whole[: whole.index(b"</ROW>") + len(b"</ROW>")]
    respx.get(EVALUATIONS).mock(return_value=xml_response(cut))
    cfg = config(deadline=1)
    stream = EvaluationStream(CreditClient(cfg), cfg, context())
    with pytest.raises(PlatformUnavailable, match="not a complete XML document"):
        read(stream)


# -- hostile documents ---------------------------------------------------------------------------


def test_parser_refuses_a_doctype_with_an_external_entity_without_resolving_it(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (f'<?xml version="1.0" encoding="GB18030"?>\n<!DOCTYPE DATA [<!ENTITY x SYSTEM '
            f'"file://{secret}">]><DATA total="1"><ROW><QYMC>&x;</QYMC></ROW></DATA>'
            ).encode("gb18030")
    with pytest.raises(DocumentRefused, match="DOCTYPE") as caught:
        parse(body, max_bytes=1 << 20, what="evaluations 2024 page 1")
    assert "TOP-SECRET-VALUE" not in str(caught.value)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_parser_refuses_a_doctype_in_a_wide_encoding(tmp_path: Path, encoding: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n<!DOCTYPE DATA [<!ENTITY x '
            f'SYSTEM "file://{secret}">]><DATA total="1"><ROW><QYMC>&x;</QYMC></ROW></DATA>'
            ).encode(encoding)
    with pytest.raises(DocumentRefused) as caught:
        parse(body, max_bytes=1 << 20, what="evaluations 2024 page 1")
    assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_a_doctype_found_only_after_parsing_is_still_refused(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    # Were the scan before parsing to miss it, the parsed document's info still refuses it,
    # and its entity is left unresolved.
    import ssj_bridge.platform.safexml as safexml
    import ssj_credit.xmldoc as xmldoc

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    monkeypatch.setattr(safexml, "_sniffable", lambda body: "")
    body = (f'<?xml version="1.0" encoding="GB18030"?>\n<!DOCTYPE DATA [<!ENTITY x SYSTEM '
            f'"file://{secret}">]><DATA total="1"><ROW><QYMC>&x;</QYMC></ROW></DATA>'
            ).encode("gb18030")
    with pytest.raises(DocumentRefused, match="DOCTYPE") as caught:
        xmldoc.parse(body, max_bytes=1 << 20, what="evaluations 2024 page 1")
    assert "TOP-SECRET-VALUE" not in str(caught.value)


@pytest.mark.parametrize("encoding", ["GB18030", "UTF-16"])
def test_parser_refuses_entity_expansion_bombs(encoding: str) -> None:
    laughs = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">'
                                           for i in range(1, 10))
    body = (f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE DATA [{laughs}]>'
            '<DATA total="1"><ROW><QYMC>&l9;</QYMC></ROW></DATA>').encode(encoding)
    with pytest.raises(DocumentRefused):
        parse(body, max_bytes=1 << 20, what="risk-classes page 1")


@pytest.mark.parametrize("declared", ["ISO-8859-1", "latin1", "Big5", "UTF-16"])
def test_a_document_declaring_an_encoding_credit_md_does_not_allow_is_a_transient_error(
        declared: str) -> None:
    """GB18030 bytes under another encoding's prolog would parse into a garbled name."""
    body = (f'<?xml version="1.0" encoding="{declared}"?><DATA total="1"><ROW>'
            "<QYMC>威海某化工有限公司</QYMC></ROW></DATA>").encode("gb18030")
    with pytest.raises(TransientError, match=f"declares encoding '{declared}'"):
        parse(body, max_bytes=1 << 20, what="evaluations 2024 page 1")


@pytest.mark.parametrize(("declared", "codec"), [
    ('encoding="GB18030"', "gb18030"), ("encoding='gbk'", "gbk"), ('encoding="UTF-8"', "utf-8"),
    ("", "utf-8")])
def test_the_encodings_credit_md_allows_are_read(declared: str, codec: str) -> None:
    body = (f'<?xml version="1.0" {declared}?><DATA total="1"><ROW>'
            "<QYMC>威海某化工有限公司</QYMC></ROW></DATA>").encode(codec)
    root = parse(body, max_bytes=1 << 20, what="evaluations 2024 page 1")
    assert root.findtext("ROW/QYMC") == "威海某化工有限公司"


def test_parser_refuses_a_document_over_the_size_cap_unparsed() -> None:
    body = document([row(n) for n in range(1, 200)], total=199)
    with pytest.raises(DocumentRefused, match="MAX_DOCUMENT_BYTES"):
        parse(body, max_bytes=4096, what="evaluations 2024 page 1")


@respx.mock
def test_a_document_with_a_doctype_is_refused_once_and_never_retried(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (f'<?xml version="1.0" encoding="GB18030"?>\n<!DOCTYPE DATA [<!ENTITY x SYSTEM '
            f'"file://{secret}">]><DATA total="1"><ROW><TYSHXYDM>{uscc(1)}</TYSHXYDM>'
            "<QYMC>&x;</QYMC><PJND>2024</PJND><PJDJ>合格</PJDJ></ROW></DATA>").encode("gb18030")
    route = respx.get(EVALUATIONS).mock(return_value=xml_response(body))
    cfg = config()
    with pytest.raises(DocumentRefused) as caught:
        read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert route.call_count == 1
    assert "TOP-SECRET-VALUE" not in str(caught.value)
    assert caught.value.exit_code == ExitCode.UNAVAILABLE


@respx.mock
def test_a_response_larger_than_the_cap_is_refused_while_streaming() -> None:
    body = document([row(n) for n in range(1, 200)], total=199)
    respx.get(EVALUATIONS).mock(return_value=xml_response(body))
    cfg = config(max_document_bytes=4096)
    with pytest.raises(DocumentRefused, match="4096"):
        CreditClient(cfg).evaluations("371000", 2024, page=1, size=2)


# -- error documents -------------------------------------------------------------------------------


@respx.mock
def test_401_is_a_configuration_error_naming_the_api_key_setting() -> None:
    route = respx.get(EVALUATIONS).mock(return_value=error_response(401, "401", "API key 无效"))
    cfg = config()
    with pytest.raises(ConfigurationError) as caught:
        CreditClient(cfg).evaluations("371000", 2024, page=1, size=2)
    assert caught.value.exit_code == ExitCode.CONFIGURATION == 78
    assert caught.value.setting == "SSJ_CREDIT__API_KEY"
    assert "SSJ_CREDIT__API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)
    assert route.call_count == 1


@respx.mock
def test_400_is_permanent_and_not_retried() -> None:
    route = respx.get(EVALUATIONS).mock(return_value=error_response(400, "400", "year 必须为 4 位年度"))
    cfg = config()
    with pytest.raises(PermanentError, match="HTTP 400 CODE 400 year 必须为 4 位年度"):
        CreditClient(cfg).evaluations("371000", 2024, page=1, size=2)
    assert route.call_count == 1


@respx.mock
def test_500_and_gateway_pages_are_retried_then_succeed() -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
    answers = iter([error_response(500, "500", "系统内部错误"),
                    httpx.Response(502, content=html, headers={"Content-Type": "text/html"}),
                    httpx.Response(200, content=html, headers={"Content-Type": "text/html"}),
                    xml_response(document([row(1)]))])
    route = respx.get(EVALUATIONS).mock(side_effect=lambda request: next(answers))
    cfg = config()
    page = CreditClient(cfg).evaluations("371000", 2024, page=1, size=2)
    assert len(page.rows) == 1
    assert route.call_count == 4


@respx.mock
def test_503_maintenance_is_retried_after_its_retry_after() -> None:
    answers = iter([error_response(503, "503", "系统维护中", **{"Retry-After": "0"}),
                    xml_response(document([row(1)]))])
    route = respx.get(EVALUATIONS).mock(side_effect=lambda request: next(answers))
    cfg = config()
    assert len(CreditClient(cfg).evaluations("371000", 2024, page=1, size=2).rows) == 1
    assert route.call_count == 2


@respx.mock
def test_503_asking_longer_than_the_cap_makes_the_service_unavailable_at_once() -> None:
    route = respx.get(EVALUATIONS).mock(
        return_value=error_response(503, "503", "系统维护中", **{"Retry-After": "3600"}))
    cfg = config(max_retry_after=60)
    with pytest.raises(PlatformUnavailable, match="Retry-After"):
        CreditClient(cfg).evaluations("371000", 2024, page=1, size=2)
    assert route.call_count == 1


@respx.mock
def test_a_dropped_connection_is_transient() -> None:
    answers = iter([httpx.RemoteProtocolError("peer closed connection without sending complete "
                                              "message body"),
                    xml_response(document([row(1)]))])

    def answer(request: httpx.Request) -> httpx.Response:
        item = next(answers)
        if isinstance(item, Exception):
            raise item
        return item

    route = respx.get(EVALUATIONS).mock(side_effect=answer)
    cfg = config()
    assert len(CreditClient(cfg).evaluations("371000", 2024, page=1, size=2).rows) == 1
    assert route.call_count == 2


# -- mapping and level words --------------------------------------------------------------------


CODES_MD = {
    "cn-words": {"环保诚信企业": "EXCELLENT", "环境诚信企业": "EXCELLENT", "环保良好企业": "GOOD",
                 "合格": "GOOD", "环保警示企业": "WARNING", "风险": "WARNING",
                 "环保不良企业": "POOR", "不良": "POOR"},
    "colours": {"绿色": "EXCELLENT", "绿牌": "EXCELLENT", "蓝色": "GOOD", "蓝牌": "GOOD",
                "黄色": "WARNING", "黄牌": "WARNING", "红色": "POOR", "红牌": "POOR",
                "黑色": "SEVERE", "黑牌": "SEVERE"},
    "letters": {"A": "EXCELLENT", "B": "GOOD", "C": "WARNING", "D": "POOR"},
}


def test_the_vocabulary_is_exactly_the_table_of_codes_md() -> None:
    assert {s: {w: t.value for w, t in words.items()} for s, words in SCHEMES.items()} == CODES_MD


@pytest.mark.parametrize(("scheme", "word", "tier"),
                         [(s, w, t) for s, words in CODES_MD.items() for w, t in words.items()])
def test_each_level_word_maps_to_its_tier_and_keeps_the_raw_word(scheme: str, word: str,
                                                                  tier: str) -> None:
    mapped = map_evaluation(row(PJDJ=f" {word} "), scheme, frozenset())
    assert isinstance(mapped, Fetched)
    record = mapped.record
    assert isinstance(record, CreditRecord)
    assert (record.level, record.scheme, record.tier) == (word, scheme, CreditTier(tier))


@pytest.mark.parametrize(("scheme", "word"), [("cn-words", "绿色"), ("cn-words", "优秀企业"),
                                              ("colours", "环保诚信企业"), ("colours", "绿"),
                                              ("letters", "E"), ("letters", "AA"),
                                              ("letters", "合格")])
def test_a_word_the_configured_scheme_does_not_know_is_set_aside_naming_it(scheme: str,
                                                                         word: str) -> None:
    mapped = map_evaluation(row(7, PJDJ=word), scheme, frozenset())
    assert isinstance(mapped, Rejected)
    assert mapped.key == f"{uscc(7)}/2024/2025-03-15"
    assert mapped.reason.startswith(f"evaluation {uscc(7)}/2024: PJDJ {word!r} is not a level of "
                                    f"the {scheme} scheme")
    assert "UNRATED" not in mapped.reason


def test_full_width_letters_are_read_as_letters() -> None:
    mapped = map_evaluation(row(PJDJ="Ｂ"), "letters", frozenset())
    assert isinstance(mapped, Fetched) and mapped.record.tier is CreditTier.GOOD  # type: ignore[attr-defined]


def test_a_missing_level_is_set_aside_never_unrated() -> None:
    mapped = map_evaluation(row(PJDJ=None), "cn-words", frozenset())
    assert isinstance(mapped, Rejected) and "PJDJ is missing" in mapped.reason


def test_withdrawn_expiring_and_open_ended_rows_map_their_status_and_dates() -> None:
    withdrawn = map_evaluation(row(ZT="0"), "cn-words", frozenset())
    open_ended = map_evaluation(row(YXQZ=None, ZT=None, QYMC=None, XZQHDM=None), "cn-words",
                                frozenset())
    assert isinstance(withdrawn, Fetched) and isinstance(open_ended, Fetched)
    assert withdrawn.record.in_force is False  # type: ignore[attr-defined]
    assert open_ended.record.in_force is True  # type: ignore[attr-defined]
    assert open_ended.record.valid_until is None  # type: ignore[attr-defined]
    assert str(withdrawn.record.valid_until) == "2026-03-14"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("elements", "reason"), [
    ({"ZT": "2"}, "ZT '2' is not 1 (in force) or 0 (withdrawn)"),
    ({"YXQZ": "2026/03/14"}, "YXQZ '2026/03/14' is not a date (YYYY-MM-DD)"),
    ({"PJND": "24"}, "PJND '24' is not a year (YYYY)"),
    ({"XZQHDM": "37100"}, "XZQHDM '37100': region code '37100' is not 6 digits"),
    ({"TYSHXYDM": uscc(1)[:17] + "0"}, "TYSHXYDM"),
    ({"TYSHXYDM": None}, "TYSHXYDM is missing"),
])
def test_bad_fields_are_set_aside_naming_element_and_value(elements: dict[str, str | None],
                                                          reason: str) -> None:
    mapped = map_evaluation(row(**elements), "cn-words", frozenset())
    assert isinstance(mapped, Rejected)
    assert reason in mapped.reason


def test_an_allowed_code_that_fails_the_check_flows() -> None:
    code = uscc(1)[:17] + ("0" if uscc(1)[17] != "0" else "1")
    mapped = map_evaluation(row(TYSHXYDM=code), "cn-words", frozenset({code}))
    assert isinstance(mapped, Fetched)


def test_keys_are_the_ones_the_store_writes() -> None:
    evaluation = map_evaluation(row(TYSHXYDM=f" {uscc(3).lower()} "), "cn-words", frozenset())
    risk = map_risk({"TYSHXYDM": uscc(3), "FXFL": "c", "FLRQ": "2025-06-30"}, frozenset())
    open_risk = map_risk({"TYSHXYDM": uscc(3), "FXFL": "D"}, frozenset())
    assert isinstance(evaluation, Fetched) and isinstance(risk, Fetched)
    assert isinstance(open_risk, Fetched)
    assert evaluation.key == f"{uscc(3)}/2024/2025-03-15"
    assert risk.key == f"{uscc(3)}/2025-06-30"
    assert open_risk.key == f"{uscc(3)}/"
    for fetched in (evaluation, risk, open_risk):
        assert fetched.key == credit_record_key(fetched.record)  # type: ignore[arg-type]
    assert risk.record.risk_class is RiskClass.HIGH  # type: ignore[attr-defined]


def test_an_unknown_risk_letter_is_set_aside() -> None:
    mapped = map_risk({"TYSHXYDM": uscc(3), "FXFL": "E", "FLRQ": "2025-06-30"}, frozenset())
    assert isinstance(mapped, Rejected)
    assert mapped.reason == (f"risk {uscc(3)}/2025-06-30: FXFL 'E' is not one of A/B/C/D "
                             "(docs/platforms/codes.md)")


# -- the stream's handling of rows ------------------------------------------------------------------


@respx.mock
def test_elements_in_any_order_and_empty_elements_are_read() -> None:
    body = ('<?xml version="1.0" encoding="GB18030"?><DATA total="1" page="1" size="2"><ROW>'
            f"<ZT>1</ZT><YXQZ/><PJDJ>风险</PJDJ><QYMC></QYMC><FBRQ>2025-03-15</FBRQ>"
            f"<PJND>2024</PJND><SJLY>unknown</SJLY><TYSHXYDM>{uscc(5)}</TYSHXYDM></ROW></DATA>"
            ).encode("gb18030")
    respx.get(EVALUATIONS).mock(return_value=xml_response(body))
    cfg = config()
    [fetched] = records(read(EvaluationStream(CreditClient(cfg), cfg, context())))
    record = fetched.record
    assert isinstance(record, CreditRecord)
    assert (record.tier, record.name, record.valid_until) == (CreditTier.WARNING, None, None)


@respx.mock
def test_an_unknown_word_sets_aside_that_record_only() -> None:
    respx.get(EVALUATIONS).mock(return_value=xml_response(
        document([row(1), row(2, PJDJ="优秀企业")], total=2)))
    cfg = config()
    batches = read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert [r.record.uscc for r in records(batches)] == [uscc(1)]
    [reject] = rejects(batches)
    assert reject.key == f"{uscc(2)}/2024/2025-03-15"
    assert "PJDJ '优秀企业'" in reject.reason and "cn-words" in reject.reason


@respx.mock
def test_two_rows_of_one_year_with_different_publication_dates_are_both_kept() -> None:
    respx.get(EVALUATIONS).mock(return_value=xml_response(document(
        [row(1, PJDJ="合格"), row(1, PJDJ="不良", FBRQ="2025-09-01")], total=2)))
    cfg = config()
    kept = records(read(EvaluationStream(CreditClient(cfg), cfg, context())))
    assert sorted(r.key for r in kept) == [f"{uscc(1)}/2024/2025-03-15",
                                           f"{uscc(1)}/2024/2025-09-01"]


@respx.mock
def test_a_row_repeated_across_pages_is_kept_once_and_a_conflicting_one_set_aside() -> None:
    pages = {1: [row(1), row(2)], 2: [row(1), row(2, PJDJ="不良")], 3: []}
    respx.get(EVALUATIONS).mock(side_effect=lambda request: xml_response(
        document(pages[int(request.url.params["page"])], total=4)))
    cfg = config()
    batches = read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert [r.key for r in records(batches)] == [f"{uscc(1)}/2024/2025-03-15",
                                                 f"{uscc(2)}/2024/2025-03-15"]
    [conflict] = rejects(batches)
    assert conflict.key == f"{uscc(2)}/2024/2025-03-15"
    assert "PJDJ=环保诚信企业" in conflict.reason and "PJDJ=不良" in conflict.reason


@respx.mock
def test_a_service_that_ignores_the_page_parameter_does_not_loop() -> None:
    route = respx.get(EVALUATIONS).mock(return_value=xml_response(document([row(1), row(2)])))
    cfg = config()
    batches = read(EvaluationStream(CreditClient(cfg), cfg, context()))
    assert len(records(batches)) == 2
    assert route.call_count == 2


# -- configuration -------------------------------------------------------------------------------


def test_an_unknown_vocabulary_is_a_configuration_error_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError) as caught:
        CreditAdapter(context(base_url=BASE, api_key=KEY, vocabulary="stars"))
    assert caught.value.setting == "SSJ_CREDIT__VOCABULARY"
    assert caught.value.exit_code == 78


def test_a_missing_api_key_is_a_configuration_error_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError) as caught:
        CreditAdapter(context(base_url=BASE))
    assert caught.value.setting == "SSJ_CREDIT__API_KEY"


def test_the_adapter_reads_both_feeds_with_the_configured_vocabulary() -> None:
    adapter = CreditAdapter(context(base_url=BASE, api_key=KEY, vocabulary=" Colours "))
    try:
        assert adapter.config.vocabulary == "colours"
        assert [s.name for s in adapter.streams()] == ["evaluations", "risk-classes"]
        assert [s.entity for s in adapter.streams()] == ["evaluation", "risk"]
    finally:
        adapter.close()
