"""Admin: the communes' QR codes, the printable PDF list and a ZIP of the PNGs."""
import streamlit as st

from app.admin.qr import qr_png, survey_url
from app.admin.qr_bundle import build_qr_bundle, valid_base_url
from app.core.campaigns import active_campaign
from app.core.i18n import t
from app.core.reference import geography
from app.ui.core.session import require_page

require_page("qr")
st.title(t("qr.title"))
active = active_campaign()
default_url = active.campaign.base_url if active else "http://localhost:8501"
base_url = st.text_input(t("qr.base_url"), value=default_url)
if not valid_base_url(base_url):
    st.error(t("qr.bad_url"))
    st.stop()

if st.button(t("qr.generate"), type="primary"):
    with st.status(t("qr.generating"), expanded=True) as status:
        bar = st.progress(0.0)
        bundle = build_qr_bundle(base_url, lambda done, total: bar.progress(done / total))
        st.session_state["qr_bundle"] = bundle
        status.update(label=t("qr.done", n=bundle.count), state="complete", expanded=False)

bundle = st.session_state.get("qr_bundle")
if bundle and bundle.base_url == base_url:
    c1, c2 = st.columns(2)
    c1.download_button(t("qr.download_pdf"), bundle.pdf, file_name="qr_codes.pdf",
                       mime="application/pdf", icon=":material/picture_as_pdf:")
    c2.download_button(t("qr.download_zip"), bundle.zip, file_name="qr_codes.zip",
                       mime="application/zip", icon=":material/folder_zip:")

st.subheader(t("qr.preview"))
geo = geography()
districts = {d.code: d.full_name for d in geo.districts}
dcode = st.selectbox(t("common.district"), list(districts), format_func=districts.get)
cols = st.columns(3)

for i, c in enumerate(geo.communes_of(dcode)):
    with cols[i % 3]:
        st.image(qr_png(base_url, c), caption=f"{c.full_name} ({c.code})")
        st.caption(survey_url(base_url, c.code))
