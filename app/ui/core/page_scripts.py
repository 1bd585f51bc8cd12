"""The few scripts the app's own pages run in the browser, each a constant text.

Behind the shipped nginx the Content-Security-Policy runs an inline script only if its hash is
listed (deploy/render_nginx.py adds the hashes of ``SCRIPTS``), so a script's text never
changes with the data: what it works on travels in ``data-`` attributes of an element drawn
with it, and ``html_with_script`` draws both in one ``st.html``. Streamlit runs the script each
time that element's content changes (a new value, a new tap), not on every rerun.
"""
from __future__ import annotations

import html
import json

# Keeps the cookies named in <span data-qcdc-cookies='{"name": [value or null, days]}'>
# (app/ui/survey/browser_memory.py).
COOKIES = (
    "(function(){var s=location.protocol==='https:'?';Secure':'';"
    "document.querySelectorAll('[data-qcdc-cookies]').forEach(function(e){"
    "var v=JSON.parse(e.getAttribute('data-qcdc-cookies'));"
    "for(var k in v){var x=v[k][0];document.cookie=k+'='+(x===null?'':x)+';path=/;SameSite=Lax'"
    "+s+';max-age='+(x===null?0:v[k][1]*86400);}});})();")

# Keeps the sign-in cookie named in <span data-qcdc-sign-in='[name, signed token, seconds]'>
# (app/ui/core/session.py, keep_sign_in_cookie): first-party, whole site, SameSite=Strict as
# streamlit-authenticator's cookie component wrote it, Secure over HTTPS.
SIGN_IN_COOKIE = (
    "(function(){var s=location.protocol==='https:'?';Secure':'';"
    "document.querySelectorAll('[data-qcdc-sign-in]').forEach(function(e){"
    "var v=JSON.parse(e.getAttribute('data-qcdc-sign-in'));"
    "document.cookie=v[0]+'='+v[1]+';path=/;SameSite=Strict'+s+';max-age='+v[2];});})();")

# Brings the first question that still needs an answer into view (app/ui/survey/survey_form.py).
SCROLL_TO_ERROR = (
    "setTimeout(function(){var e=document.querySelector('[data-qcdc-err]');"
    "if(e){e.scrollIntoView({block:'center'});}},150);")

# The office screen (app/ui/survey/screen_view.py): asks the server's health address every two
# seconds and, after two failures in a row, shows the element [data-qcdc-offline] (a plain
# Vietnamese "the server is unreachable, the printed QR still works"); hides it once the server
# answers again. One watcher per page, whatever Streamlit redraws.
SCREEN_WATCH = (
    "(function(){if(window.qcdcWatch){return;}window.qcdcWatch=1;var bad=0;"
    "function show(on){document.querySelectorAll('[data-qcdc-offline]').forEach(function(e){"
    "e.style.display=on?'flex':'none';});}"
    "setInterval(function(){fetch('_stcore/health',{cache:'no-store'}).then(function(r){"
    "bad=r.ok?0:bad+1;show(bad>=2);}).catch(function(){bad+=1;show(bad>=2);});},2000);})();")

# Has the browser fetch, while the user types, the script chunks the staff start pages need
# (<span data-qcdc-preload='["ArrowVegaLiteChart.C1pLU68S.js", ...]'>, app/ui/core/preload.py):
# one <link rel="modulepreload"> per file, once per page, from the folder of the page's main
# script: static/js, or the bundled copy's static/js-<hash> behind nginx
# (deploy/bundle_first_load.py: the same file names, importing the page's bundle).
PRELOAD = (
    "(function(){var m=document.querySelector('script[type=\"module\"][src]');"
    "var b=m&&/\\/static\\/[\\w-]+\\/[^\\/]+$/.test(m.src)?m.src.replace(/[^\\/]+$/,''):'./static/js/';"
    "document.querySelectorAll('[data-qcdc-preload]').forEach(function(e){"
    "JSON.parse(e.getAttribute('data-qcdc-preload')).forEach(function(f){"
    "if(!/^[\\w.-]+\\.js$/.test(f)||document.querySelector('link[data-qcdc-chunk=\"'+f+'\"]')){return;}"
    "var l=document.createElement('link');l.rel='modulepreload';l.crossOrigin='anonymous';"
    "l.href=b+f;l.setAttribute('data-qcdc-chunk',f);document.head.appendChild(l);"
    "});});})();")

SCRIPTS = (COOKIES, SIGN_IN_COOKIE, SCROLL_TO_ERROR, SCREEN_WATCH, PRELOAD)


def html_with_script(script: str, data: dict[str, object]) -> str:
    """A hidden element carrying `data` (as data- attributes) and one of ``SCRIPTS``."""
    if script not in SCRIPTS:
        raise ValueError("page scripts are constants of app/ui/core/page_scripts.py")
    attrs = " ".join(f"data-{name}='{html.escape(json.dumps(value), quote=True)}'"
                     for name, value in data.items())
    return f'<span hidden {attrs}></span><script data-qcdc="script">{script}</script>'
