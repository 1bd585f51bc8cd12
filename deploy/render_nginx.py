#!/usr/bin/env python
"""Write the nginx configuration of QCDC Survey from deploy/nginx/qcdc.conf.template.

Production (Debian, run as root; see docs/DEPLOYING.md):

    python deploy/render_nginx.py --ports 8501,8502 --server-name khaosat.bacgiang.gov.vn \\
        --out /etc/nginx/sites-available/qcdc
    # after certbot: add --tls-cert /etc/letsencrypt/live/<name>/fullchain.pem \\
    #                    --tls-key /etc/letsencrypt/live/<name>/privkey.pem

Tests and benchmarks (a complete nginx.conf for a non-daemon nginx on loopback):

    python deploy/render_nginx.py --ports 8711,8712 --listen 127.0.0.1:8780 \\
        --standalone /tmp/qcdc-nginx --out /tmp/qcdc-nginx/nginx.conf
    nginx -p /tmp/qcdc-nginx -c /tmp/qcdc-nginx/nginx.conf

``--static`` is the lightened copy of Streamlit's bundle that deploy/prepare_static.py writes
(default /opt/qcdc/static, the default of both scripts); nginx serves the pages' HTML, the
favicon and /static/ from it. Rendering fails if that folder was not prepared.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import os
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "qcdc.conf.template"
DEFAULT_ACCESS_LOG = "/var/log/nginx/qcdc.access.log"
# (package, page) of the custom components drawn in frames: the sign-in cookie's
COMPONENT_PAGES = [("extra_streamlit_components",
                    "CookieManager/frontend/build/index.html")]
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
DEFAULT_STATIC = Path("/opt/qcdc/static")  # deploy/prepare_static.py DEFAULT_OUT
STAMP = ".qcdc-static.json"                # written by deploy/prepare_static.py
# Debian's libnginx-mod-http-brotli-static (its package also enables it in modules-enabled/)
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def check_static_dir(static_dir: Path) -> Path:
    """The prepared copy, absolute; raises if deploy/prepare_static.py has not written it."""
    static_dir = Path(static_dir).resolve()
    if not (static_dir / STAMP).is_file() or not (static_dir / "index.html").is_file():
        raise FileNotFoundError(
            f"{static_dir} is not a prepared copy of Streamlit's bundle: run "
            f"deploy/prepare_static.py --out {static_dir} first")
    return static_dir


def component_pages() -> list[Path]:
    """The pages of the custom components the app draws in frames (the sign-in cookie's, from
    streamlit-authenticator): their inline scripts must be allowed by the CSP too."""
    pages = []
    for package, page in COMPONENT_PAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"{package} is not installed: pip install -r requirements.txt")
        pages.append(Path(list(spec.submodule_search_locations)[0]) / page)
    return pages


def app_page_scripts() -> tuple[str, ...]:
    """The app's own page scripts (app/ui/core/page_scripts.py: constant texts)."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    from app.ui.core.page_scripts import SCRIPTS
    return SCRIPTS


def inline_script_hashes(static_dir: Path) -> list[str]:
    """CSP sources ('sha256-...') of every inline script the browser runs: the pages of the
    prepared copy and of the components, and the app's own page scripts. Rendered again after
    an upgrade, like the copy."""
    bodies: list[str] = []
    for page in [static_dir / "index.html", *component_pages()]:
        bodies += INLINE_SCRIPT.findall(page.read_text(encoding="utf-8"))
    out: list[str] = []
    for body in [*bodies, *app_page_scripts()]:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        if f"'sha256-{digest}'" not in out:
            out.append(f"'sha256-{digest}'")
    return out


def content_security_policy(static_dir: Path) -> str:
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'", *inline_script_hashes(static_dir)])
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; "
            "font-src 'self' data:; "
            "connect-src 'self'; "
            "media-src 'self' data: blob:; "
            "worker-src 'self' blob:; "
            "frame-src 'self'; "
            "object-src 'none'; "
            "base-uri 'self'; "
            "form-action 'self'; "
            "frame-ancestors 'self'")


def render_site(ports: list[int], *, listen: str = "80", server_name: str = "_",
                backend_host: str = "127.0.0.1", static_dir: Path | None = None,
                tls_cert: str | None = None, tls_key: str | None = None,
                brotli: bool | None = None, access_log: str | None = DEFAULT_ACCESS_LOG,
                tls_listen: str | None = None) -> str:
    """The site's server blocks. `tls_listen`: with a certificate, listen there (HTTPS and
    HTTP/2) instead of on 443 with port 80 redirected (benchmarks and tests on loopback).
    `brotli`: serve the copy's .br files (default: when the
    nginx module is installed). `access_log`: the file of the site's access log in the
    `qcdc_private` format (no query strings, no upload paths); None: nginx's own setting."""
    static_dir = check_static_dir(static_dir or DEFAULT_STATIC)
    if brotli is None:
        brotli = BROTLI_MODULE.is_file()
    servers = "\n".join(f"    server {backend_host}:{p} max_fails=3 fail_timeout=10s;"
                        for p in ports)
    hsts = ""
    if tls_cert and tls_key:
        hsts = '        add_header Strict-Transport-Security "max-age=31536000" always;'
        listen_lines = (f"    listen {tls_listen} ssl http2;" if tls_listen else
                        "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;")
        tls = (f"    ssl_certificate {tls_cert};\n    ssl_certificate_key {tls_key};\n"
               "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:qcdc_tls:10m;\n"
               "    ssl_session_timeout 1d;\n"
               '    add_header Strict-Transport-Security "max-age=31536000" always;')
        redirect = ("server {\n    listen 80;\n    listen [::]:80;\n"
                    f"    server_name {server_name};\n"
                    + (f"    access_log {access_log} qcdc_private;\n" if access_log else "") +
                    "    location /.well-known/acme-challenge/ { root /var/www/html; }\n"
                    "    location / { return 301 https://$host$request_uri; }\n}\n"
                    ) if not tls_listen else ""
        secure = "; Secure"
    else:
        listen_lines = f"    listen {listen};"
        tls, redirect, secure = "", "", ""
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {"@UPSTREAM_SERVERS@": servers, "@LISTEN@": listen_lines,
                       "@SERVER_NAME@": server_name, "@TLS@": tls,
                       "@HTTP_REDIRECT_SERVER@": redirect, "@COOKIE_SECURE@": secure,
                       "@STREAMLIT_STATIC@": str(static_dir)}.items():
        text = text.replace(key, value)
    text = text.replace("@HSTS@\n", hsts + "\n" if hsts else "")
    text = text.replace("@ACCESS_LOG@\n", f"    access_log {access_log} qcdc_private;\n"
                        if access_log else "")
    headers = [f'add_header Content-Security-Policy "{content_security_policy(static_dir)}" '
               "always;",
               'add_header X-Content-Type-Options "nosniff" always;',
               'add_header Referrer-Policy "same-origin" always;']
    first = text.index("@SECURITY_HEADERS@\n")  # the server's own, then each location's
    text = (text[:first] + "".join(f"    {h}\n" for h in headers)
            + text[first + len("@SECURITY_HEADERS@\n"):])
    text = text.replace("@SECURITY_HEADERS@\n", "".join(f"        {h}\n" for h in headers))
    text = text.replace("@BROTLI_STATIC@\n", "        brotli_static on;\n" if brotli else "")
    if "@" in "".join(line.split("#")[0] for line in text.splitlines()):
        raise ValueError("unfilled placeholder in the nginx template")
    return text


def render_standalone(site: str, prefix: Path, *, workers: int = 1,
                      access_log: bool = False) -> str:
    """A complete nginx.conf around `site` for a foreground nginx whose files live in `prefix`
    (`access_log`: logs/access.log with the upstream that served each request)."""
    prefix.mkdir(parents=True, exist_ok=True)
    for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (prefix / d).mkdir(exist_ok=True)
    mime = "/etc/nginx/mime.types"
    # started by root (CI): workers read the bundle wherever Python is installed (e.g. /root)
    user = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    # a standalone nginx reads no modules-enabled/: load the module the site uses
    modules = f"load_module {BROTLI_MODULE};\n" if "brotli_static on;" in site else ""
    return f"""# generated by deploy/render_nginx.py --standalone
{modules}{user}daemon off;
master_process on;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include {mime};
    default_type application/octet-stream;
    log_format qcdc '$upstream_addr $status "$request" $cookie_qcdc_route';
    access_log {f"{prefix}/logs/access.log qcdc" if access_log else "off"};
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ports", required=True, help="comma-separated ports of the app processes")
    p.add_argument("--backend-host", default="127.0.0.1")
    p.add_argument("--listen", default="80", help="nginx listen directive value (no TLS)")
    p.add_argument("--server-name", default="_")
    p.add_argument("--static", type=Path, default=DEFAULT_STATIC,
                   help=f"the copy written by deploy/prepare_static.py (default {DEFAULT_STATIC})")
    p.add_argument("--brotli", action=argparse.BooleanOptionalAction, default=None,
                   help="serve the copy's .br files (default: when nginx's brotli static "
                        f"module is installed, {BROTLI_MODULE})")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-listen", help="with a certificate: listen directive value of the "
                                         "HTTPS server instead of 443 (and no port-80 redirect), "
                                         "e.g. 127.0.0.1:8443 for bench/page_weight.py")
    p.add_argument("--standalone", type=Path, default=None,
                   help="write a complete nginx.conf whose pid/logs/temp files live here")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    ports = [int(x) for x in args.ports.split(",") if x.strip()]
    try:
        site = render_site(ports, listen=args.listen, server_name=args.server_name,
                           backend_host=args.backend_host, static_dir=args.static,
                           tls_cert=args.tls_cert, tls_key=args.tls_key, brotli=args.brotli,
                           tls_listen=args.tls_listen)
    except FileNotFoundError as e:
        p.error(str(e))
    text = render_standalone(site, args.standalone, workers=args.workers) \
        if args.standalone else site
    if args.out and args.out.exists() and not args.out.is_file():
        args.out.write_text(text, encoding="utf-8")  # a device or a pipe: write, never replace
    elif args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, args.out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
