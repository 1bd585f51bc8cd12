"""The body of pages/admin/qr.py: the communes' QR codes, the printable list, a ZIP of the
PNGs and the A4 posters, all with the app's one public address (``QCDC_PUBLIC_URL``; in demo
mode the address this browser used). Without an address nothing is printed."""
from __future__ import annotations

import streamlit as st

from app.admin.poster import poster_pdf
from app.admin.qr import qr_png, survey_url
from app.admin.qr_bundle import build_qr_bundle
from app.core.campaigns import active_campaign
from app.core.i18n import t
from app.core.reference import geography
from app.core.settings import read_settings
from app.ui.core.public_url import address_caption, require_address

ALL = "__all__"


def render(scope) -> None:
    st.title(t("qr.title"))
    address = require_address(t("public_url.what.qr"))
    if address is None:
        st.stop()
    base_url = address.url
    address_caption(address)

    st.subheader(t("qr.list_title"))
    if st.button(t("qr.generate"), type="primary", key="qr_generate"):
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

    geo = geography()
    districts = {d.code: d.full_name for d in geo.districts}
    st.subheader(t("poster.section"))
    st.caption(t("poster.help_text"))
    a, b = st.columns(2)
    pdcode = a.selectbox(t("common.district"), [ALL, *districts], key="poster_district",
                         format_func=lambda c: t("poster.all_province") if c == ALL
                         else districts[c])
    communes = list(geo.communes) if pdcode == ALL else geo.communes_of(pdcode)
    names = {c.code: c.full_name for c in communes}
    pick = b.selectbox(t("common.commune"), [ALL, *names], key="poster_commune",
                       format_func=lambda c: t("poster.all_of", n=len(communes))
                       if c == ALL else names[c])
    chosen = communes if pick == ALL else [c for c in communes if c.code == pick]
    if st.button(t("poster.make", n=len(chosen)), key="poster_make",
                 icon=":material/print:"):
        active = active_campaign()
        camp = active.campaign if active else None
        with st.status(t("poster.making"), expanded=True) as status:
            bar = st.progress(0.0)
            data = poster_pdf(base_url, chosen, start=camp.start_date if camp else None,
                              end=camp.end_date if camp else None,
                              demo=read_settings().demo_mode,
                              progress=lambda d, n: bar.progress(d / max(n, 1)))
            name = "ap_phich_qr_" + ("tat_ca" if len(chosen) > 1 else chosen[0].code) + ".pdf"
            st.session_state["poster_file"] = ((base_url, pdcode, pick), data, name)
            status.update(label=t("poster.ready", n=len(chosen)), state="complete",
                          expanded=False)
    held = st.session_state.get("poster_file")
    if held and held[0] == (base_url, pdcode, pick):
        st.download_button(t("poster.download"), held[1], file_name=held[2],
                           mime="application/pdf", icon=":material/download:",
                           type="primary", key="poster_download", on_click="ignore")

    st.subheader(t("qr.preview"))
    dcode = st.selectbox(t("common.district"), list(districts), format_func=districts.get,
                         key="qr_preview_district")
    cols = st.columns(3)
    for i, c in enumerate(geo.communes_of(dcode)):
        with cols[i % 3]:
            st.image(qr_png(base_url, c), caption=f"{c.full_name} ({c.code})")
            st.caption(survey_url(base_url, c.code))
