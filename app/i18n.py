"""All user-interface strings, in one place, keyed by a stable name.

`t("key", **values)` returns the Vietnamese text (the only language shipped so far). An English
interface is a second dictionary with the same keys; `QCDC_LANG=en` would select it.
Questionnaire wording is data (db/seed/pks03.json, editable by admins), not here.
"""
from __future__ import annotations

import os

VI: dict[str, str] = {
    # --- common -------------------------------------------------------------------------
    "app.title": "Khảo sát thực hiện dân chủ ở cơ sở",
    "app.short": "QCDC Bắc Giang",
    "app.province": "Tỉnh Bắc Giang",
    "demo.banner": "CHẾ ĐỘ DEMO: dữ liệu và tài khoản trên trang này là dữ liệu mẫu, không phải số liệu thật.",
    "common.district": "Huyện, thị xã, thành phố",
    "common.commune": "Xã, phường, thị trấn",
    "common.choose": "Chọn…",
    "common.save": "Lưu",
    "common.cancel": "Hủy",
    "common.download": "Tải xuống",
    "common.no_data": "Chưa có dữ liệu.",
    "common.not_allowed": "Bạn không có quyền xem trang này.",
    "common.db_busy": "Hệ thống đang bận, vui lòng thử lại sau ít phút. Thông tin bạn đã nhập vẫn được giữ nguyên.",
    "common.server_busy": "Hệ thống đang bận, vui lòng thử lại sau 1 phút.",
    # --- navigation -----------------------------------------------------------------------
    "nav.home": "Trang chủ",
    "nav.survey": "Phiếu khảo sát",
    "nav.login": "Đăng nhập",
    "nav.logout": "Đăng xuất",
    "nav.account": "Tài khoản",
    "nav.qr": "Mã QR các xã",
    "nav.section.public": "Công khai",
    "nav.section.commune": "Tổ công tác xã",
    "nav.section.monitor": "Theo dõi, giám sát",
    "nav.section.board": "Ban Dân vận",
    "nav.section.admin": "Quản trị",
    # --- roles --------------------------------------------------------------------------
    "role.admin": "Quản trị hệ thống",
    "role.province": "Ban Dân vận Tỉnh ủy",
    "role.farmers": "Hội Nông dân tỉnh",
    "role.district": "Ban Chỉ đạo cấp huyện",
    "role.commune": "Tổ công tác cấp xã",
    # --- survey (public) ------------------------------------------------------------------
    "survey.heading": "Phiếu khảo sát ý kiến người dân",
    "survey.unit": "{commune}, {district}",
    "survey.campaign_dates": "Đợt khảo sát: {start} – {end}",
    "survey.bad_code": "Mã xã, phường, thị trấn «{code}» không hợp lệ. Mã gồm 5 chữ số, in dưới mã QR.",
    "survey.unknown_code": "Không tìm thấy xã, phường, thị trấn có mã «{code}» trong tỉnh Bắc Giang.",
    "survey.missing_code": "Đường dẫn chưa có mã xã, phường, thị trấn.",
    "survey.pick_unit": "Vui lòng chọn đơn vị nơi ông/bà làm thủ tục:",
    "survey.pick_go": "Mở phiếu khảo sát",
    "survey.no_campaign": "Hiện chưa có đợt khảo sát nào đang diễn ra.",
    "survey.not_started": "Đợt khảo sát «{name}» chưa bắt đầu. Phiếu sẽ mở từ ngày {start} đến hết ngày {end}. Xin cảm ơn ông/bà!",
    "survey.closed": "Đợt khảo sát «{name}» đã kết thúc (từ ngày {start} đến ngày {end}). Xin cảm ơn ông/bà đã quan tâm!",
    "survey.closed_now": "Đợt khảo sát vừa kết thúc nên phiếu chưa được ghi nhận. Xin cảm ơn ông/bà!",
    "survey.required_mark": "(bắt buộc)",
    "survey.section_other": "Ý kiến, kiến nghị",
    "survey.section_profile": "Thông tin thêm (không bắt buộc, không ghi tên)",
    "survey.multi_hint": "Có thể chọn nhiều ý.",
    "survey.submit": "Gửi phiếu khảo sát",
    "survey.errors_summary": "Còn {n} câu chưa trả lời hoặc chưa hợp lệ: {list}. Các câu trả lời khác vẫn được giữ nguyên.",
    "survey.error.required": "Vui lòng trả lời câu này.",
    "survey.error.invalid_option": "Lựa chọn không hợp lệ.",
    "survey.error.too_long": "Nội dung quá dài (tối đa {max} ký tự).",
    "survey.error.exclusive": "Không thể chọn «{label}» cùng với các ý khác.",
    "survey.error.rating_range": "Điểm phải từ {min} đến {max}.",
    "survey.error.unknown_question": "Câu hỏi không có trong phiếu.",
    "survey.thanks_title": "Cảm ơn ông/bà đã tham gia khảo sát!",
    "survey.thanks_body": "Phiếu của ông/bà đã được ghi nhận lúc {time}. Mã phiếu: {ref}.",
    "survey.thanks_again": "Trả lời phiếu mới",
    "survey.text_placeholder": "Nhập ý kiến (không bắt buộc)",
    "survey.rating_help": "{min} = {min_label}, {max} = {max_label}",
    "survey.saving": "Đang gửi phiếu…",
    # --- home -------------------------------------------------------------------------
    "home.intro": "Người dân quét mã QR tại bộ phận một cửa của xã, phường, thị trấn để trả lời phiếu khảo sát. Nếu không quét được mã, chọn đơn vị dưới đây.",
    "home.staff": "Cán bộ các cấp: đăng nhập để nhập báo cáo, theo dõi và quản trị.",
    # --- auth ---------------------------------------------------------------------------
    "auth.form_title": "Đăng nhập dành cho cán bộ",
    "auth.username": "Tên đăng nhập",
    "auth.password": "Mật khẩu",
    "auth.submit": "Đăng nhập",
    "auth.failed": "Tên đăng nhập hoặc mật khẩu không đúng.",
    "auth.locked": "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút.",
    "auth.disabled": "Tài khoản đã bị vô hiệu hóa. Liên hệ quản trị viên.",
    "auth.empty": "Vui lòng nhập tên đăng nhập và mật khẩu.",
    "auth.welcome": "Xin chào {name} ({role}).",
    "auth.demo_accounts": "Tài khoản demo (chỉ có ở chế độ demo)",
    "auth.demo_password": "Mật khẩu chung của các tài khoản demo: {password}",
    "auth.must_change": "Bạn cần đổi mật khẩu trước khi tiếp tục.",
    "auth.change_title": "Đổi mật khẩu",
    "auth.old_password": "Mật khẩu hiện tại",
    "auth.new_password": "Mật khẩu mới",
    "auth.new_password2": "Nhập lại mật khẩu mới",
    "auth.change_submit": "Đổi mật khẩu",
    "auth.changed": "Đã đổi mật khẩu.",
    "auth.mismatch": "Hai lần nhập mật khẩu mới không khớp.",
    "auth.wrong_old": "Mật khẩu hiện tại không đúng.",
    "auth.pw_rule": "Mật khẩu phải có ít nhất 8 ký tự, gồm cả chữ và số.",
    "auth.pw_same": "Mật khẩu mới phải khác mật khẩu hiện tại.",
    "auth.session_expired": "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại.",
    # --- QR admin -----------------------------------------------------------------------
    "qr.title": "Mã QR khảo sát của các xã, phường, thị trấn",
    "qr.base_url": "Địa chỉ gốc của trang khảo sát",
    "qr.generate": "Tạo mã QR và danh sách in",
    "qr.generating": "Đang tạo mã QR…",
    "qr.done": "Đã tạo {n} mã QR.",
    "qr.download_pdf": "Tải danh sách in (PDF)",
    "qr.download_zip": "Tải tất cả ảnh mã QR (ZIP)",
    "qr.preview": "Xem trước",
    "qr.bad_url": "Địa chỉ phải bắt đầu bằng http:// hoặc https://",
}

_LANGS = {"vi": VI}


def t(key: str, **values: object) -> str:
    table = _LANGS.get(os.environ.get("QCDC_LANG", "vi"), VI)
    text = table.get(key) or VI.get(key) or key
    return text.format(**values) if values else text
