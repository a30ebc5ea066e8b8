#!/usr/bin/env python3
"""Writes demo.tar, the image the README shows ls, cat, layers and waste on.

A legacy `docker save` layout (<n>/layer.tar, <config sha256>.json,
manifest.json, repositories), layers written with Python's tarfile in GNU
format, fixed mtimes and owners: `python3 make.py` reproduces it byte for
byte. Its four layers exercise what tardigest tells about contents: an
os-release file, a setuid and a world-writable file, a symlink and a hard
link, a large file overwritten by a later layer, a directory deleted by a
whiteout and another hidden by an opaque marker.
"""
import hashlib, io, json, tarfile

MTIME = 1704067200  # 2024-01-01T00:00:00Z

OS_RELEASE = b'''NAME="Tardigest Demo Linux"
ID=tdemo
VERSION_ID=1.0
PRETTY_NAME="Tardigest Demo Linux 1.0"
'''

def body(name, size):
    return bytes((i * 31 + len(name) * 7) % 251 for i in range(size))

def entry(tf, name, kind="f", size=0, link="", mode=None, data=None):
    ti = tarfile.TarInfo(name)
    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = MTIME, 0, 0, "root", "root"
    if kind == "f":
        data = data if data is not None else body(name, size)
        ti.type, ti.size, ti.mode = tarfile.REGTYPE, len(data), 0o644 if mode is None else mode
        tf.addfile(ti, io.BytesIO(data))
        return
    if kind == "d":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755 if mode is None else mode
    elif kind == "s":
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, link, 0o777
    elif kind == "h":
        ti.type, ti.linkname, ti.mode = tarfile.LNKTYPE, link, 0o755
    tf.addfile(ti)

def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for e in entries:
            entry(tf, *e[:5], **(e[5] if len(e) > 5 else {}))
    return buf.getvalue()

LAYERS = [
    ("ADD rootfs.tar /", [
        ("bin", "d"), ("bin/busybox", "f", 9000, "", 0o755), ("bin/sh", "s", 0, "busybox"),
        ("bin/su", "f", 3000, "", 0o4755),
        ("etc", "d"), ("etc/os-release", "f", 0, "", 0o644, {"data": OS_RELEASE}),
        ("etc/motd", "f", 0, "", 0o666, {"data": b"Welcome to the demo\n"}),
        ("tmp", "d", 0, "", 0o1777),
        ("var", "d"), ("var/cache", "d"), ("var/cache/apk", "d"), ("var/cache/apk/APKINDEX.tar.gz", "f", 6000),
    ]),
    ("RUN install app", [
        ("opt", "d"), ("opt/app", "d"), ("opt/app/bin", "d"), ("opt/app/bin/app", "f", 12000, "", 0o755),
        ("opt/app/data", "d"), ("opt/app/data/model.bin", "f", 40000),
        ("opt/app/lib", "d"), ("opt/app/lib/libapp.so.1", "f", 8000, "", 0o755),
        ("opt/app/lib/libapp.so", "h", 0, "opt/app/lib/libapp.so.1"),
        ("opt/app/plugins", "d"), ("opt/app/plugins/old-a.so", "f", 2500), ("opt/app/plugins/old-b.so", "f", 1500),
        ("var", "d"), ("var/cache", "d"), ("var/cache/apk", "d"), ("var/cache/apk/app-1.0.apk", "f", 15000),
    ]),
    ("RUN update model && rm -rf /var/cache/apk", [
        ("opt", "d"), ("opt/app", "d"), ("opt/app/data", "d"), ("opt/app/data/model.bin", "f", 41000),
        ("var", "d"), ("var/cache", "d"), ("var/cache/.wh.apk", "f"),
    ]),
    ("COPY plugins /opt/app/plugins", [
        ("opt", "d"), ("opt/app", "d"), ("opt/app/plugins", "d"), ("opt/app/plugins/.wh..wh..opq", "f"),
        ("opt/app/plugins/new.so", "f", 3000),
    ]),
]

def main():
    tars = [layer(entries) for _, entries in LAYERS]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["/opt/app/bin/app"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": by} for by, _ in LAYERS],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = ["%d/layer.tar" % i for i in range(len(tars))]
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["tardigest/demo:1.0"], "Layers": names}]).encode()
    repositories = json.dumps({"tardigest/demo": {"1.0": str(len(tars) - 1)}}).encode()
    with tarfile.open("demo.tar", mode="w", format=tarfile.GNU_FORMAT) as out:
        files = list(zip(names, tars)) + [(config_name, config), ("manifest.json", manifest), ("repositories", repositories)]
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), MTIME
            out.addfile(ti, io.BytesIO(data))

main()
