"""Daily reports and their photos: validation, cut-off, scoping, photo cleaning, feed,
completeness."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from PIL import ExifTags, Image
from sqlmodel import select

from app.core.auth import AuthError
from app.operations import photos
from app.operations.completeness import day_completeness, reported_by_day
from app.operations.daily_reports import answers_on_day, edit_state, feed, get_report, photo_bytes, save_report
from db.engine import data_dir, session_scope
from db.models import CommuneHourTally, DailyReport, ReportPhoto
from tests.commune_ops_helpers import HOIND, HUYEN, HUYEN_OTHER, TINH, XA, XA_OTHER, jpeg_with_gps, png_bomb, png_bytes

GOOD = {"visits": 40, "guided": 25, "helpers_on_duty": 3, "publicity": ["loa", "niem_yet"],
        "difficulties": "Sóng yếu buổi sáng.", "proposals": ""}


@pytest.fixture
def campaign(active):
    return active.campaign


@pytest.fixture
def today(campaign):
    return campaign.start_date + timedelta(days=1)


def at(day, hh=10, mm=0):
    return datetime.combine(day, time(hh, mm))


def _reports(code=None):
    with session_scope() as s:
        q = select(DailyReport)
        if code:
            q = q.where(DailyReport.commune_code == code)
        return list(s.exec(q).all())


# --- photos ---------------------------------------------------------------------------------

def test_photo_is_resized_reencoded_and_loses_gps_exif():
    data = jpeg_with_gps(orientation=6)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    p = photos.process_photo(data, "IMG_0001.jpg")
    out = Image.open(io.BytesIO(p.image))
    assert out.format == "JPEG"
    assert max(out.size) == photos.MAX_SIDE
    assert out.size == (1200, 1600)  # turned upright by its EXIF orientation first
    exif = out.getexif()
    assert len(exif) == 0 and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Exif" not in p.image and b"TestCam" not in p.image and b"Serial-XYZ" not in p.image
    thumb = Image.open(io.BytesIO(p.thumb))
    assert max(thumb.size) == photos.THUMB_SIDE and b"Exif" not in p.thumb


def test_png_with_transparency_becomes_jpeg():
    p = photos.process_photo(png_bytes(), "a.png")
    assert Image.open(io.BytesIO(p.image)).mode == "RGB"
    assert (p.width, p.height) == (300, 200)  # small images are not enlarged


@pytest.mark.parametrize("data,needle", [
    (b"", "tệp rỗng"),
    (b"this is not an image at all", "không phải là ảnh"),
    (jpeg_with_gps()[:4000], "bị hỏng"),
    (png_bomb(), "quá lớn"),
])
def test_bad_photos_are_refused_with_a_message(data, needle):
    with pytest.raises(photos.PhotoError) as exc:
        photos.process_photo(data, "anh.jpg")
    assert needle in str(exc.value) and "anh.jpg" in str(exc.value)


def test_oversize_photo_is_refused(monkeypatch):
    monkeypatch.setenv("QCDC_MAX_PHOTO_MB", "1")
    data = jpeg_with_gps()
    data += b"\0" * (1024 * 1024 + 1 - len(data))  # trailing bytes: a valid JPEG of 1 MB + 1
    with pytest.raises(photos.PhotoError) as exc:
        photos.process_photo(data, "big.jpg")
    assert "vượt quá 1 MB" in str(exc.value)
    monkeypatch.setenv("QCDC_MAX_PHOTO_MB", "10")
    assert photos.process_photo(data, "big.jpg").width == photos.MAX_SIDE


def test_non_jpeg_png_format_is_refused():
    img = Image.new("RGB", (50, 50))
    out = io.BytesIO()
    img.save(out, "GIF")
    with pytest.raises(photos.PhotoError) as exc:
        photos.process_photo(out.getvalue(), "x.gif")
    assert "GIF" in str(exc.value)


def test_heic_gives_a_clear_message_when_unsupported(monkeypatch):
    monkeypatch.setattr(photos, "HEIF_SUPPORTED", False)
    fake_heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 100
    with pytest.raises(photos.PhotoError) as exc:
        photos.process_photo(fake_heic, "IMG_1.HEIC")
    assert "HEIC" in str(exc.value)


# --- saving reports -------------------------------------------------------------------------

def test_report_with_photos_one_per_day(campaign, today):
    res = save_report(XA, campaign, None, today, GOOD,
                      [("a.jpg", jpeg_with_gps()), ("b.png", png_bytes())], now=at(today))
    assert res.ok and res.created and res.photos_added == 2 and not res.photo_errors
    view = get_report(XA, campaign.id, None, today)
    assert view.report.visits == 40 and view.publicity == ["niem_yet", "loa"]
    assert len(view.photos) == 2
    for p in view.photos:
        assert (data_dir() / p.path).is_file() and (data_dir() / p.thumb_path).is_file()
        assert b"Exif" not in (data_dir() / p.path).read_bytes()
    # saving again the same day updates the one report
    res = save_report(XA, campaign, None, today, {**GOOD, "visits": 55}, [],
                      remove_photo_ids=[view.photos[0].id], now=at(today, 12))
    assert res.ok and not res.created and res.photos_removed == 1
    assert len([r for r in _reports("07201") if r.day == today]) == 1
    view2 = get_report(XA, campaign.id, None, today)
    assert view2.report.visits == 55 and len(view2.photos) == 1
    assert not (data_dir() / view.photos[0].path).exists()  # the removed file is gone


def test_a_corrupt_photo_does_not_break_the_report(campaign, today):
    res = save_report(XA, campaign, None, today, GOOD,
                      [("ok.jpg", jpeg_with_gps()), ("hong.jpg", b"\xff\xd8\xff garbage"),
                       ("note.txt", b"hello")], now=at(today))
    assert res.ok and res.photos_added == 1
    assert len(res.photo_errors) == 2
    assert "hong.jpg" in res.photo_errors[0] and "note.txt" in res.photo_errors[1]
    assert len(get_report(XA, campaign.id, None, today).photos) == 1


def test_at_most_ten_photos(campaign, today):
    small = png_bytes((40, 30), "RGB")
    res = save_report(XA, campaign, None, today, GOOD,
                      [(f"p{i}.png", small) for i in range(12)], now=at(today))
    assert res.ok and res.photos_added == 10 and len(res.photo_errors) == 2
    assert "tối đa 10 ảnh" in res.photo_errors[0]
    with session_scope() as s:
        assert len(s.exec(select(ReportPhoto)).all()) == 10


@pytest.mark.parametrize("field,value,needle", [
    ("visits", -1, "không được nhỏ hơn 0"),
    ("guided", 2.5, "số nguyên"),
    ("helpers_on_duty", "ba", "số nguyên"),
    ("visits", None, "chưa nhập"),
    ("visits", True, "số nguyên"),
    ("publicity", ["tivi"], "không hợp lệ"),
    ("difficulties", "x" * 2001, "tối đa 2000"),
])
def test_invalid_fields_store_nothing(campaign, today, field, value, needle):
    res = save_report(XA, campaign, None, today, {**GOOD, field: value},
                      [("a.jpg", jpeg_with_gps())], now=at(today))
    assert not res.ok and needle in res.errors[field]
    assert not [r for r in _reports("07201") if r.day == today]
    with session_scope() as s:
        assert not s.exec(select(ReportPhoto)).all()


def test_implausible_numbers_are_saved_with_warnings(campaign, today):
    with session_scope() as s:
        s.add(CommuneHourTally(campaign_id=campaign.id, commune_code="07201", day=today, hour=9,
                               n=80))
    assert answers_on_day(XA, campaign.id, None, today) == (80, {9: 80})
    res = save_report(XA, campaign, None, today, {**GOOD, "visits": 10, "guided": 30},
                      [("a.jpg", jpeg_with_gps())], now=at(today))
    assert res.ok
    text = " ".join(res.warnings)
    assert "lớn hơn số lượt" in text and "cao hơn nhiều" in text
    res = save_report(XA, campaign, None, today, {**GOOD, "visits": 90}, [], now=at(today, 11))
    assert res.ok and not [w for w in res.warnings if "lượt" in w]


def test_no_photo_is_a_warning_not_an_error(campaign, today):
    res = save_report(XA, campaign, None, today, GOOD, [], now=at(today))
    assert res.ok and any("chưa có ảnh" in w for w in res.warnings)


def test_cutoff_makes_the_day_read_only_for_the_commune(campaign, today):
    assert save_report(XA, campaign, None, today, GOOD, [], now=at(today, 20, 59)).ok
    ok, why = edit_state(XA, campaign, today, at(today, 21, 0))
    assert not ok and "21:00" in why
    with pytest.raises(AuthError):
        save_report(XA, campaign, None, today, {**GOOD, "visits": 1}, [], now=at(today, 21, 0))
    with pytest.raises(AuthError):  # yesterday is past its cut-off too
        save_report(XA, campaign, None, campaign.start_date, GOOD, [], now=at(today, 9))
    with pytest.raises(AuthError):  # tomorrow has not started
        save_report(XA, campaign, None, today + timedelta(days=1), GOOD, [], now=at(today, 9))
    with pytest.raises(AuthError):  # outside the campaign
        save_report(XA, campaign, None, campaign.start_date - timedelta(days=1), GOOD, [],
                    now=at(campaign.start_date - timedelta(days=1), 9))
    assert get_report(XA, campaign.id, None, today).report.visits == 40


def test_commune_user_cannot_read_or_write_another_communes_report(campaign, today):
    assert save_report(XA_OTHER, campaign, None, today, GOOD, [("a.jpg", jpeg_with_gps())],
                       now=at(today)).ok
    other = get_report(XA_OTHER, campaign.id, None, today)
    with pytest.raises(AuthError):
        get_report(XA, campaign.id, "07243", today)
    with pytest.raises(AuthError):
        save_report(XA, campaign, "07243", today, {**GOOD, "visits": 999}, [], now=at(today))
    with pytest.raises(AuthError):
        answers_on_day(XA, campaign.id, "07243", today)
    with pytest.raises(AuthError):
        feed(XA, campaign.id)
    with pytest.raises(AuthError):
        day_completeness(XA, campaign, today)
    assert photo_bytes(XA, other.photos[0].id) is None
    assert photo_bytes(XA_OTHER, other.photos[0].id) is not None
    assert get_report(XA_OTHER, campaign.id, None, today).report.visits == 40
    # district and province users read but never write
    with pytest.raises(AuthError):
        save_report(HUYEN_OTHER, campaign, "07243", today, GOOD, [], now=at(today))
    assert photo_bytes(HUYEN, other.photos[0].id) is None  # 07243 is not in district 213
    assert photo_bytes(HUYEN_OTHER, other.photos[0].id, thumb=True) is not None


def test_feed_is_scoped_filtered_and_newest_first(campaign, today):
    assert save_report(XA, campaign, None, campaign.start_date, GOOD, [],
                       now=at(campaign.start_date, 9)).ok
    assert save_report(XA, campaign, None, today, GOOD, [("a.jpg", jpeg_with_gps())],
                       now=at(today, 9)).ok
    assert save_report(XA_OTHER, campaign, None, today, GOOD, [], now=at(today, 10)).ok
    items, total = feed(TINH, campaign.id)
    assert total == 3 and [i.commune.code for i in items] == ["07243", "07201", "07201"]
    assert items[1].photos and items[1].report.day == today and items[2].report.day < today
    items, total = feed(HUYEN, campaign.id)
    assert total == 2 and {i.commune.code for i in items} == {"07201"}
    assert feed(HUYEN, campaign.id, district_code="215") == ([], 0)
    assert feed(HUYEN, campaign.id, commune_code="07243") == ([], 0)
    assert feed(HOIND, campaign.id, district_code="215")[1] == 1
    assert feed(TINH, campaign.id, day=campaign.start_date)[1] == 1
    assert feed(TINH, campaign.id, commune_code="07201", day=today)[1] == 1


def test_completeness_per_district_with_contacts(campaign, today):
    from app.operations.roster import set_contact
    assert save_report(XA, campaign, None, today, GOOD, [("a.jpg", jpeg_with_gps())],
                       now=at(today)).ok
    assert set_contact(XA_OTHER, campaign, None, "Anh Tuấn", "0912111222").ok
    info = day_completeness(HUYEN, campaign, today)
    assert (info.reported, info.total) == (1, 16)
    assert "07201" in info.reported_codes and len(info.missing) == 15
    assert {m.commune.district_code for m in info.missing} == {"213"}
    assert info.districts[0].with_photos == 1
    prov = day_completeness(TINH, campaign, today)
    assert prov.total == 209 and len(prov.districts) == 10
    tuan = [m for m in prov.missing if m.commune.code == "07243"][0]
    assert (tuan.contact_name, tuan.contact_phone) == ("Anh Tuấn", "0912111222")
    assert day_completeness(HUYEN, campaign, today, district_code="215").total == 0
    days = reported_by_day(HUYEN, campaign)
    assert days[-1][1:] == (1, 16)
