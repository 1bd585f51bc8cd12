"""AppTest tests of the overview, map, warnings and results pages (real entry script, demo data)."""
from __future__ import annotations

import pytest

from app.core import access, demo
from app.core.fmt import fmt_int
from app.core.reference import geography
from app.monitoring.stats import overview
from tests.apptest import app_for, keyed_frame, select_row, texts
from tests.dashboard_helpers import HUYEN, TINH


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _charts(at) -> list:
    return at.get("vega_lite_chart")


def _open_tab(at, label: str):
    """Choose an overview tab, as a click on it does (only the open tab is drawn)."""
    at.session_state["dash_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def test_roles_that_see_the_dashboards():
    for key in ("overview", "map", "warnings"):
        spec = access.page(key)
        assert {r for r in ("admin", "province", "farmers", "district") if access.allowed(spec, r)}\
            == {"admin", "province", "farmers", "district"}
        assert not access.allowed(spec, "commune") and not access.allowed(spec, "public")
    assert access.allowed(access.page("results"), "commune")


def test_overview_province_figures_charts_and_table(demo_db):
    at = app_for("pages/monitor/overview.py", user="demo.tinh", timeout=90)
    assert not at.exception, at.exception
    kpi = overview(TINH).kpi
    m = _metrics(at)
    assert m["Tổng số phiếu"] == fmt_int(kpi["answers_total"])
    assert m["Xã có phiếu"] == f"{fmt_int(kpi['communes_with_answers'])}/209"
    assert m["Lượt người đến"] == fmt_int(kpi["visits_total"])
    assert any(label.startswith("Báo cáo") for label in m)
    # the first tab only: answers, index and ratio per district; the other tabs are not drawn
    # (nor sent) until chosen
    assert [tab.label for tab in at.tabs] == ["Theo đơn vị", "Theo thời gian",
                                              "Kết quả từng câu hỏi", "Bảng các xã"]
    assert len(_charts(at)) == 3
    body = texts(at)
    assert "Số phiếu theo huyện" in body and "Câu 1." not in body
    assert not at.get("arrow_data_frame") and not at.multiselect
    assert at.toggle(key="dash_live").value is True
    _open_tab(at, "Theo thời gian")
    assert len(_charts(at)) == 2  # by day, by hour
    assert "Số phiếu theo huyện" not in texts(at)
    _open_tab(at, "Kết quả từng câu hỏi")
    assert "Câu 1." in texts(at) and _charts(at)
    _open_tab(at, "Bảng các xã")
    table = keyed_frame(at, "dash_tbl")
    assert len(table) == 209
    assert not _charts(at)
    # the figures above the tabs are the same whichever tab is open
    assert _metrics(at)["Tổng số phiếu"] == fmt_int(kpi["answers_total"])


def test_overview_district_user_only_sees_its_communes(demo_db):
    at = app_for("pages/monitor/overview.py", user="demo.huyen", timeout=90)
    assert not at.exception
    assert "Số phiếu theo xã" in texts(at)
    _open_tab(at, "Bảng các xã")
    table = keyed_frame(at, "dash_tbl")
    assert set(table["code"]) == {c.code for c in geography().communes_of("213")}
    assert _metrics(at)["Tổng số phiếu"] == fmt_int(overview(HUYEN).kpi["answers_total"])
    # the district picker is fixed to the user's own district
    assert at.selectbox(key="dash_own_district").disabled


def test_drill_down_to_a_commune_and_filters_survive_a_pause(demo_db):
    at = app_for("pages/monitor/overview.py", user="demo.tinh", timeout=90)
    _open_tab(at, "Bảng các xã")
    at.text_input(key="dash_tbl_search").set_value("Trần Phú").run()
    table = keyed_frame(at, "dash_tbl")
    assert list(table["code"]) == [demo.RATIO_HIGH]
    at.toggle(key="dash_live").set_value(False).run()      # pause the live refresh
    assert at.text_input(key="dash_tbl_search").value == "Trần Phú"
    assert list(keyed_frame(at, "dash_tbl")["code"]) == [demo.RATIO_HIGH]
    # choose the row, open the commune
    select_row(at, "dash_tbl", 0)
    at.button(key="dash_tbl_open").click().run()
    assert not at.exception
    assert at.selectbox(key="xa").value == demo.RATIO_HIGH
    body = texts(at)
    assert "Đánh giá" in body and "Phường Trần Phú" in body
    one = overview(TINH, commune_code=demo.RATIO_HIGH).kpi
    assert _metrics(at)["Tổng số phiếu"] == fmt_int(one["answers_total"])


def test_district_choice_narrows_the_overview(demo_db):
    at = app_for("pages/monitor/overview.py", user="demo.hoind", timeout=90)
    _open_tab(at, "Bảng các xã")
    at.selectbox(key="huyen").set_value("215").run()
    assert not at.exception
    table = keyed_frame(at, "dash_tbl")
    assert set(table["code"]) == {c.code for c in geography().communes_of("215")}
    d = overview(TINH, district_code="215").kpi
    assert _metrics(at)["Tổng số phiếu"] == fmt_int(d["answers_total"])


def test_map_page_draws_the_map_for_each_metric(demo_db):
    at = app_for("pages/monitor/map.py", user="demo.tinh", timeout=90)
    assert not at.exception
    assert len(_charts(at)) == 1
    for metric in ("ratio", "index", "completeness"):
        at.segmented_control(key="dash_map_metric").set_value(metric).run()
        assert not at.exception
        spec = str(_charts(at)[0].proto.spec)
        assert "geoshape" in spec and "longitude" in spec
    assert "gần đúng" in texts(at)


def _warn_table(at):
    return next(df for df in at.dataframe
                if str(getattr(df, "key", "") or "").startswith("warn_table_"))


def test_warnings_page_lists_planted_anomalies_and_marks_reviewed(demo_db):
    at = app_for("pages/monitor/warnings.py", user="demo.tinh", timeout=90)
    assert not at.exception
    table = _warn_table(at).value
    kinds = set(table["kind"])
    assert {"Nhiều phiếu từ một trình duyệt", "Phiếu sao chép giống nhau",
            "Phiếu bất thường từ một địa chỉ mạng"} <= kinds
    assert kinds & {"Phiếu quá nhiều so với lượt đến", "Phiếu vượt lượt đến, có phiếu bất thường"}
    scores = [float(x.split("·")[1].replace(",", ".")) for x in table["severity"] if "·" in x]
    assert len(scores) >= 4 and scores == sorted(scores, reverse=True)     # ranked by score
    from app.core import demo
    from app.core.fmt import fmt_date
    from app.monitoring.warnings import compute_warnings
    from tests.dashboard_helpers import TINH
    w = next(w for w in compute_warnings(TINH) if w.kind == "browser"
             and w.commune_code == demo.BURST)
    key = w.key
    at.session_state["warn_selected"] = key
    at.run()
    body = texts(at)
    assert "một trình duyệt" in body and "Các thao tác dưới đây áp dụng cho cảnh báo" in body
    assert "Phường Lê Lợi" in body
    at.text_input(key="warn_note").set_value("Máy tính bảng của tổ công tác").run()
    at.button(key="warn_exclude").click().run()
    assert not at.exception
    assert "Đã loại các phiếu của cảnh báo «Nhiều phiếu từ một trình duyệt – Phường Lê Lợi" \
        in texts(at)
    assert at.text_input(key="warn_note").value == ""      # a fresh note for the next action
    at.segmented_control(key="warn_state").set_value("all").run()
    t2 = _warn_table(at).value
    row = t2[(t2["kind"] == "Nhiều phiếu từ một trình duyệt") & (t2["commune"] == "Phường Lê Lợi")
             & (t2["day"] == fmt_date(w.day))]
    n = len(w.response_ids)
    assert list(row["sheets"]) == [f"{n} ({n} đã loại)"]
    # the warning read stays on screen after the list changed, and a mark lands on it
    at.text_input(key="warn_note").set_value("Đã xác minh với tổ công tác").run()
    at.button(key="warn_mark").click().run()
    from sqlmodel import select

    from db.engine import session_scope
    from db.models import WarningReview
    with session_scope() as s:
        marks = s.exec(select(WarningReview)).all()
    assert [(m.warning_key, m.note) for m in marks] == [(key, "Đã xác minh với tổ công tác")]


def test_warnings_page_is_read_only_for_farmers(demo_db):
    at = app_for("pages/monitor/warnings.py", user="demo.hoind", timeout=90)
    from app.monitoring.warnings import compute_warnings
    from tests.dashboard_helpers import HOIND
    at.session_state["warn_selected"] = compute_warnings(HOIND)[0].key
    at.run()
    assert not at.exception
    assert "chỉ được xem" in texts(at)
    assert not [b for b in at.button if b.key in ("warn_mark", "warn_exclude")]


@pytest.mark.parametrize("kind,mime", [("xlsx", "spreadsheetml"), ("pdf", "pdf")])
def test_results_page_ranks_and_exports(demo_db, kind, mime):
    at = app_for("pages/monitor/results.py", user="demo.huyen", timeout=120)
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["district"]) <= {"Thành phố Bắc Giang"}
    at.button(key=f"results_{kind}").click().run()
    assert not at.exception
    dl = [d for d in at.download_button if d.key == f"results_dl_{kind}"]
    assert dl


def test_results_page_for_a_commune_shows_only_its_own_row(demo_db):
    at = app_for("pages/monitor/results.py", user="demo.xa", timeout=60)
    assert not at.exception
    at.toggle(key="results_show_all").set_value(True).run()
    table = at.dataframe[0].value
    assert list(table["name"]) == ["Phường Thọ Xương"]
    assert "không được xuất" in texts(at)


def test_address_drills_down_and_out_of_scope_codes_are_ignored(demo_db):
    at = app_for("pages/monitor/overview.py", user="demo.tinh", timeout=90)
    at.query_params["huyen"] = "213"
    at.query_params["xa"] = demo.RATIO_HIGH
    at.run()
    assert not at.exception
    assert at.selectbox(key="huyen").value == "213"
    assert at.selectbox(key="xa").value == demo.RATIO_HIGH
    assert "Chỉ số của xã" in [t.label for t in at.tabs]
    # a district user handed another district's commune in the address stays on its own
    at = app_for("pages/monitor/overview.py", user="demo.huyen", timeout=90)
    at.query_params["xa"] = "07243"
    at.run()
    assert not at.exception
    assert at.selectbox(key="xa").value is None
    _open_tab(at, "Bảng các xã")
    assert set(keyed_frame(at, "dash_tbl")["code"]) == \
        {c.code for c in geography().communes_of("213")}


def test_ranking_marks_communes_with_open_high_warnings(demo_db):
    """Issue 14 item 5: a commune with an open high warning is marked where it is ranked, and
    the counts say what they count."""
    from app.core import demo
    from app.core.reference import geography
    from app.monitoring.warnings import open_high_by_commune
    from tests.dashboard_helpers import TINH
    # by name and district: two communes are called "Xã Phúc Sơn"
    g = geography()

    def unit(code):
        return g.by_code[code].full_name, g.by_code[code].district_full_name
    flagged = {unit(c) for c in open_high_by_commune(TINH)}
    assert unit(demo.BURST) in flagged
    at = app_for("pages/monitor/results.py", user="demo.tinh", timeout=120)
    assert not at.exception
    at.toggle(key="results_show_all").set_value(True).run()    # every commune, ranked or not
    table = at.dataframe[0].value
    assert set(zip(*[table[table["integrity"] != ""][c] for c in ("name", "district")])) == flagged
    labels = [m.label for m in at.metric]
    assert "Xã đủ phiếu được xếp hạng" in labels and "Còn cảnh báo cao" in labels
    ranked = set(zip(*[table[table["rank"].notna()][c] for c in ("name", "district")]))
    ranked_metric = next(m for m in at.metric if m.label == "Xã đủ phiếu được xếp hạng")
    assert ranked_metric.value == f"{len(ranked)}/209"
    flagged_metric = next(m for m in at.metric if m.label == "Còn cảnh báo cao")
    assert flagged_metric.value == f"{len(ranked & flagged)}/{len(ranked)}"


def test_print_view_shows_every_section_and_whole_tables(demo_db):
    at = app_for("pages/monitor/overview.py", user="demo.huyen", timeout=90)
    at.toggle(key="dash_print").set_value(True).run()
    assert not at.exception
    assert not at.tabs  # every section in turn (a tab prints only when open)
    heads = [h.value for h in at.subheader]
    for title in ("Theo đơn vị", "Theo thời gian", "Kết quả từng câu hỏi", "Bảng các xã"):
        assert title in heads
    assert not [tg for tg in at.toggle if tg.key == "dash_live"]  # no refresh while printing
    table = at.table[0].value
    assert len(table) == len(geography().communes_of("213"))  # the whole table
    ratio = next(c for c in table.columns if c.startswith("Tỷ lệ"))
    assert any("," in v for v in table[ratio]) and not any("." in v for v in table[ratio])
    res = app_for("pages/monitor/results.py", user="demo.huyen", timeout=90)
    res.toggle(key="dash_print").set_value(True).run()
    assert not res.exception and len(res.table[0].value) > 0
