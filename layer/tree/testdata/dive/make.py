#!/usr/bin/env python3
"""Writes the docker-archive images of this directory (see README.md).

Each image is a legacy `docker save` layout: <n>/layer.tar, config.json
(named by its sha256), manifest.json. Layers are written with Python's
tarfile in GNU format, fixed mtimes and owners, so the files are
reproducible byte for byte.
"""
import hashlib, io, json, tarfile

MTIME = 1700000000

def entry(tf, name, kind="f", size=0, link="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = MTIME, 0, 0, "root", "root"
    ti.mode = mode
    data = None
    if kind == "f":
        ti.type, ti.size = tarfile.REGTYPE, size
        data = io.BytesIO(bytes((i * 7 + len(name)) % 251 for i in range(size)))
    elif kind == "d":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    elif kind == "s":
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, link, 0o777
    elif kind == "h":
        ti.type, ti.linkname = tarfile.LNKTYPE, link
    tf.addfile(ti, data)

def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for e in entries:
            entry(tf, *e)
    return buf.getvalue()

def image(path, layers):
    tars = [layer(l) for l in layers]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "layer %d" % i} for i in range(len(tars))],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = ["%d/layer.tar" % i for i in range(len(tars))]
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["test:latest"], "Layers": names}]).encode()
    with tarfile.open(path, mode="w", format=tarfile.GNU_FORMAT) as out:
        for name, data in list(zip(names, tars)) + [(config_name, config), ("manifest.json", manifest)]:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), MTIME
            out.addfile(ti, io.BytesIO(data))

# A file overwritten twice, one directory deleted after being filled.
image("overwrite.tar", [
    [("etc", "d"), ("etc/os-release", "f", 60), ("data", "d"), ("data/big", "f", 2000), ("data/keep", "f", 100)],
    [("data", "d"), ("data/big", "f", 3000)],
    [("data", "d"), ("data/big", "f", 3000), ("data/new", "f", 10)],
])

# Files and directories deleted by whiteouts, one of a path that never
# existed, and a directory replaced by a file and back.
image("deletes.tar", [
    [("app", "d"), ("app/a", "f", 500), ("app/b", "f", 700), ("app/sub", "d"), ("app/sub/c", "f", 900), ("x", "d"), ("x/y", "f", 40)],
    [("app", "d"), ("app/.wh.b", "f", 0), ("app/.wh.ghost", "f", 0)],
    [(".wh.app", "f", 0), ("x", "f", 30)],
    [(".wh.x", "f", 0), ("x", "d"), ("x/z", "f", 20), ("app", "d"), ("app/a", "f", 5)],
])

# An opaque directory hiding what the base put there.
image("opaque.tar", [
    [("opt", "d"), ("opt/x", "d"), ("opt/x/1", "f", 1000), ("opt/x/2", "f", 2000), ("opt/x/sub", "d"), ("opt/x/sub/3", "f", 300)],
    [("opt", "d"), ("opt/x", "d"), ("opt/x/.wh..wh..opq", "f", 0), ("opt/x/4", "f", 400)],
])

# Hard links: one keeping a deleted file's bytes alive, one across layers.
image("hardlinks.tar", [
    [("bin", "d"), ("bin/tool", "f", 1500, "", 0o755), ("bin/alias", "h", 0, "bin/tool"), ("usr", "d"), ("usr/lib", "d"), ("usr/lib/x", "f", 800)],
    [("bin", "d"), ("bin/.wh.tool", "f", 0)],
    [("usr", "d"), ("usr/lib", "d"), ("usr/lib/y", "h", 0, "usr/lib/x")],
    [("usr", "d"), ("usr/lib", "d"), ("usr/lib/.wh.x", "f", 0), ("bin", "d"), ("bin/alias", "f", 10)],
])

# Symlink chains: relative, absolute, through a symlinked directory, one
# re-pointed by a later layer, a loop, one climbing above the root; a
# file overwritten, then deleted; whiteouts of paths that never existed,
# in a directory and at the root.
image("chains.tar", [
    [("usr", "d"), ("usr/lib", "d"), ("usr/lib/libz.so.1.2", "f", 600), ("usr/lib/libz.so.1", "s", 0, "libz.so.1.2"),
     ("usr/lib/libz.so", "s", 0, "/lib/libz.so.1"), ("lib", "s", 0, "usr/lib"), ("etc", "d"),
     ("etc/libz", "s", 0, "../lib/libz.so"), ("data", "d"), ("data/log", "f", 2000), ("data/keep", "f", 50)],
    [("data", "d"), ("data/log", "f", 2500), ("usr", "d"), ("usr/lib", "d"), ("usr/lib/a", "s", 0, "b"),
     ("usr/lib/b", "s", 0, "a"), ("usr/lib/up", "s", 0, "../../../../usr/lib/libz.so.1.2")],
    [("data", "d"), ("data/.wh.log", "f", 0), ("usr", "d"), ("usr/lib", "d"), ("usr/lib/libz.so.1.3", "f", 700),
     ("usr/lib/libz.so.1", "s", 0, "libz.so.1.3")],
    [("usr", "d"), ("usr/.wh.nothere", "f", 0), (".wh.ghostdir", "f", 0), ("data", "d"), ("data/.wh.never", "f", 0)],
])
