#!/usr/bin/env python
"""Write ``<file>.gz`` beside every compressible file of Streamlit's static bundle.

Streamlit serves its bundle (about 2.2 MB for a first visit) uncompressed. nginx's
``gzip_static on`` (deploy/nginx/qcdc.conf.template, ``location /static/``) sends the .gz file
to every browser that accepts gzip, at no CPU cost per request. Run it after every
``pip install`` of streamlit (a new version has new file names):

    python deploy/precompress_static.py            # the installed streamlit package
    python deploy/precompress_static.py --check    # exit 1 if a .gz is missing or stale

Idempotent: a .gz newer than its source with the same content is left alone. Prints one JSON
line: files compressed, bytes before and after.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path

SUFFIXES = {".js", ".css", ".html", ".json", ".svg", ".map", ".txt", ".ttf", ".otf", ".wasm",
            ".mjs", ".xml", ".ico"}


def static_dir() -> Path:
    import streamlit
    return Path(streamlit.__file__).resolve().parent / "static"


def targets(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.stat().st_size >= 256:
            yield path


def precompress(root: Path, check: bool = False, level: int = 9) -> dict:
    done = stale = 0
    before = after = 0
    for path in targets(root):
        gz = path.with_name(path.name + ".gz")
        fresh = gz.exists() and gz.stat().st_mtime >= path.stat().st_mtime
        if check:
            stale += 0 if fresh else 1
            continue
        data = path.read_bytes()
        before += len(data)
        if not fresh:
            tmp = gz.with_name(gz.name + ".tmp")
            with open(tmp, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level,
                                   mtime=0) as f:
                    f.write(data)
            os.replace(tmp, gz)
            st = path.stat()
            os.utime(gz, (st.st_atime, max(st.st_mtime, gz.stat().st_mtime)))
            done += 1
        after += gz.stat().st_size
    return {"root": str(root), "compressed": done, "stale": stale,
            "bytes": before, "gz_bytes": after}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=None, help="default: streamlit/static")
    p.add_argument("--check", action="store_true")
    args = p.parse_args(argv)
    info = precompress(args.root or static_dir(), check=args.check)
    print(json.dumps(info))
    return 1 if args.check and info["stale"] else 0


if __name__ == "__main__":
    sys.exit(main())
