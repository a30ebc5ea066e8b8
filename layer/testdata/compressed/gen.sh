#!/usr/bin/env bash
# Regenerates the compressed fixtures of package layer with the real tools
# (see README.md). The payload is `seq 1 50000`, which the tests rebuild
# in Go to compute the expected diffID independently.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seq 1 50000 > "$tmp/seq"
head -c 150000 "$tmp/seq" > "$tmp/a"
tail -c +150001 "$tmp/seq" > "$tmp/b"

bzip2 -9 -c "$tmp/seq" > seq.bz2
pbzip2 -b1 -p2 -c "$tmp/seq" > seq.pbzip2.bz2             # one stream per 100 kB block
xz -6 -c "$tmp/seq" > seq.xz                                # one block, no sizes in its header
xz -T2 --block-size=65536 -c "$tmp/seq" > seq.T2.xz         # five blocks, sizes in headers
xz -C sha256 -c "$tmp/seq" > seq.sha256.xz
xz -C crc32 -c "$tmp/seq" > seq.crc32.xz
xz -C none -c "$tmp/seq" > seq.none.xz
{ xz -c "$tmp/a"; head -c 8 /dev/zero; xz -9 -c "$tmp/b"; head -c 4 /dev/zero; } > seq.concat-padded.xz
# pixz in tar mode appends a block listing the files: xz -dc outputs it
# after the tar, so it is part of the diffID.
mkdir "$tmp/t" && cp "$tmp/seq" "$tmp/t/seq"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$tmp/t" -cf "$tmp/seq.tar" seq
pixz -p2 < "$tmp/seq.tar" > seq.tar.pixz.xz
xz -dc seq.tar.pixz.xz | sha256sum | cut -d' ' -f1 > seq.tar.pixz.xz.sha256
# zstd: two frames of zstd -3 (each with its content size), then a frame
# of zstd --ultra -22 read from stdin, which asks for a 128 MiB window.
{ zstd -q -3 -c "$tmp/a"; zstd -q -3 -c "$tmp/b"; } > seq.2frames.zst
{ zstd -q -3 -c "$tmp/a"; zstd -q --ultra -22 -c < "$tmp/b"; } > seq.ultra-second.zst
zstd -q --long=27 -19 -c < "$tmp/seq" > seq.long27.zst
pzstd -q -p2 -c "$tmp/seq" > seq.pzstd.zst
head -c 1G /dev/zero | bzip2 -9 > zeros1g.bz2
# a small two-stream bzip2 file, a fuzz seed
{ seq 1 2000 | bzip2 -9; seq 2001 3000 | bzip2 -1; } > small.bz2
