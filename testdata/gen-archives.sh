#!/usr/bin/env bash
# Regenerates every fixture under testdata/archives/ (except README.md) from
# scratch, plus one <fixture>.expected.json per fixture computed independently
# with sha256sum, gzip -dc, zstd -dc, jq and skopeo inspect, in the format of
# the shared fixtures (made with their tools/gen-expected.sh, which must be
# checked out beside this repository, or named by GEN_EXPECTED).
#
# Needs the Debian packages: skopeo umoci pigz zstd jq bzip2 xz-utils pixz
# (and GNU tar, gzip, coreutils). Not run by CI. No registry and no network are used.
#
# Determinism: fixed mtimes (@0), sorted names, gzip -n, fixed config
# timestamps. Re-running yields identical bytes for every fixture except
# oci-archive.tar, whose tar headers carry the wall-clock mtime that skopeo
# writes (its blobs, and so every value in its expected.json, are stable).
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/archives
for t in skopeo umoci pigz zstd jq gzip bzip2 xz pixz tar sha256sum od dd; do
  command -v "$t" >/dev/null || { echo "gen-archives.sh: missing tool: $t" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
# podman-multi.tar* is made by hand as root (see README.md): kept; and so
# are skopeo-dir-*, made by gen-skopeo-dir.sh (README-skopeo-dir.md).
find "$OUT" -mindepth 1 -maxdepth 1 ! -name README.md ! -name 'podman-multi.tar*' \
  ! -name 'skopeo-dir-*' ! -name README-skopeo-dir.md -exec rm -rf {} +
# Fixtures are byte-exact: no end-of-line conversion by git, ever.
printf '* -text\n' >"$OUT/.gitattributes"

POLICY=$WORK/policy.json
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$POLICY"
SKOPEO=(skopeo --policy "$POLICY")
# Deterministic GNU tar options (entry order is given explicitly or by --sort).
TARD=(--format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner)

# ---------------------------------------------------------------- helpers
# shellcheck source=fixture-lib.sh
source "$HERE/fixture-lib.sh"
# flip_byte FILE OFFSET XORMASK: xor one byte in place
flip_byte() {
  local f=$1 off=$2 mask=$3 old new
  old=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
  new=$((old ^ mask))
  printf "\\$(printf '%03o' "$new")" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
# tar_block ARCHIVE NAME: header block number of entry NAME (GNU tar -R)
tar_block() {
  tar -tvR -f "$1" | awk -v n="$2" '{ if ($NF == n) { b=$2; sub(":", "", b); print b; exit } }'
}
# first_regular_block ARCHIVE: header block of the first regular file entry
first_regular_block() {
  tar -tvR -f "$1" | awk '$3 ~ /^-/ { b=$2; sub(":", "", b); print b; exit }'
}

# image_json TAGS_JSON REFS_JSON CONFIG_FILE MANIFEST_DIGEST|"" PLATFORM|"" LAYERFILE...
image_json() {
  local tags=$1 refs=$2 cfg=$3 md=$4 plat=$5 layers
  shift 5
  layers=$(for f in "$@"; do layer_json "$f"; done | jq -s .)
  jq -n --argjson tags "$tags" --argjson refs "$refs" --arg id "sha256:$(sha "$cfg")" \
    --arg md "$md" --arg plat "$plat" --argjson layers "$layers" \
    '{repo_tags:$tags, ref_names:$refs, image_id:$id,
      manifest_digest:(if $md=="" then null else $md end),
      platform:(if $plat=="" then null else $plat end), layers:$layers}'
}

# oci_image_json LAYOUTDIR MANIFEST_DIGEST TAGS_JSON REFS_JSON PLATFORM|""
# Every digest is recomputed from the blob files, never copied from JSON.
oci_image_json() {
  local dir=$1 md=$2 tags=$3 refs=$4 plat=$5 mf cfg hex
  mf=$dir/blobs/sha256/${md#sha256:}
  [[ "sha256:$(sha "$mf")" == "$md" ]] || { echo "manifest blob $md does not hash to its name" >&2; exit 1; }
  cfg=$dir/blobs/sha256/$(jq -r '.config.digest' "$mf" | cut -d: -f2)
  local files=()
  for hex in $(jq -r '.layers[].digest' "$mf" | cut -d: -f2); do files+=("$dir/blobs/sha256/$hex"); done
  image_json "$tags" "$refs" "$cfg" "$md" "$plat" "${files[@]}"
}

# skopeo_json REF IMAGE_ID MANIFEST_DIGEST|"" : what skopeo inspect says
skopeo_json() {
  local ref=$1 id=$2 md=$3 idx=${4:-} cd="" rd="" rmt="" err=""
  if "${SKOPEO[@]}" inspect --config --raw "$ref" >"$WORK/sk.cfg" 2>"$WORK/sk.err"; then
    cd="sha256:$(sha "$WORK/sk.cfg")"
  else
    err=$(sed -e 's/^time="[^"]*" //' -e "s#$OUT/##g" "$WORK/sk.err" | head -c 300)
  fi
  if "${SKOPEO[@]}" inspect --raw "$ref" >"$WORK/sk.raw" 2>"$WORK/sk.err"; then
    rd="sha256:$(sha "$WORK/sk.raw")"
    rmt=$(jq -r '.mediaType // "(no mediaType field)"' "$WORK/sk.raw")
  else
    [[ -n $err ]] || err=$(sed -e 's/^time="[^"]*" //' -e "s#$OUT/##g" "$WORK/sk.err" | head -c 300)
  fi
  jq -n --arg ref "${ref//"$OUT/"/}" --arg id "$id" --arg md "$md" --arg cd "$cd" --arg rd "$rd" \
    --arg rmt "$rmt" --arg err "$err" --arg idx "$idx" \
    '{ref:$ref,
      config_digest:(if $cd=="" then null else $cd end),
      raw_manifest_digest:(if $rd=="" then null else $rd end),
      raw_manifest_media_type:(if $rmt=="" then null else $rmt end),
      config_matches_image_id:(if $cd=="" then null else ($cd==$id) end),
      raw_manifest_matches_manifest_digest:(if $rd=="" or $md=="" then null else ($rd==$md) end)}
     + (if $idx=="" then {} else {raw_manifest_matches_index_digest:(if $rd=="" then null else ($rd==$idx) end)} end)
     + (if $err=="" then {} else {error:$err} end)'
}

# skopeo_copy_json REF: does `skopeo copy REF oci:<tmp>` succeed? (skopeo
# verifies every blob it copies against its descriptor digest)
skopeo_copy_json() {
  local ref=$1 ok=true err=""
  rm -rf "$WORK/skcopy"
  if ! "${SKOPEO[@]}" copy -q "$ref" oci:"$WORK/skcopy":x >/dev/null 2>"$WORK/sk.err"; then
    ok=false
    err=$(sed -e 's/^time="[^"]*" //' -e "s#$OUT/##g" -e "s#$WORK/##g" "$WORK/sk.err" | head -c 300)
  fi
  rm -rf "$WORK/skcopy"
  jq -n --arg ref "${ref//"$OUT/"/}" --argjson ok "$ok" --arg err "$err" \
    '{ref:$ref, copy_to_oci_ok:$ok} + (if $err=="" then {} else {error:$err} end)'
}

# write_expected NAME CONTAINER FORMAT IMAGES_JSON INDEX_DIGESTS_JSON ABSENT_JSON SKOPEO_JSON [EXTRA_JSON]
# The skopeo_copy field is added from SKOPEO_JSON's ref ("$OUT/" restored).
write_expected() {
  local extra=${8:-'{}'} ref cp
  ref=$(jq -r .ref <<<"$7")
  ref=${ref/:/:$OUT/}
  cp=$(skopeo_copy_json "$ref")
  jq -n --arg f "$1" --arg c "$2" --arg fmt "$3" --argjson images "$4" --argjson idx "$5" \
    --argjson absent "$6" --argjson sk "$7" --argjson extra "$extra" --argjson cp "$cp" \
    '{fixture:$f, container:$c, format:$fmt, images:$images, index_digests:$idx,
      absent_platforms:$absent, skopeo:$sk, skopeo_copy:$cp} + $extra' >"$OUT/$1.expected.json"
}

# shared_format RECORD...: rewrites each record in the shared expected.json
# format. A layer that does not decode (gzip(corrupt)) has no diffID, so
# gen-expected.sh's hash of the bytes gzip -dc gave before failing, and the
# diff_id and media type mismatches it derives from it, are left out.
GEN_EXPECTED=${GEN_EXPECTED:-$HERE/../../shared/fixtures/tools/gen-expected.sh}
KEEP='["index_digests","absent_platforms","absent_blobs","mismatches","truncated_at","original_size","broken",
  "note","image_names","gzip_members","gzip_stream_valid","inner_tar_digest","inner_tar_size","symlinks",
  "symlink_before_target","skopeo","skopeo_copy","skopeo_oci_archive","skopeo_docker_archive","skopeo_per_image",
  "extracted_from","symlinks_kept","streams","decompressed_digest","decompressed_size","trailing_after_tar","xz_blocks"]'
shared_format() {
  local rec name
  for rec in "$@"; do
    name=$(basename "$rec" .expected.json)
    rm -rf "$WORK/real/$name" && mkdir -p "$WORK/real/$name"
    cp -a "$(dirname "$rec")/$name" "$WORK/real/$name/"
    (cd "$WORK/real" && bash "$GEN_EXPECTED" "$name" "$name" >/dev/null)
    jq --slurpfile old "$rec" --argjson keep "$KEEP" '
      del(.tools, .cross_check)
      | .images |= map(
          (any(.layers[]; .compression | endswith("(corrupt)"))) as $corrupt
          | .layers |= map(if .compression | endswith("(corrupt)") then .diff_id = null | .uncompressed_size = null else . end)
          | .problems |= map(select($corrupt and (.kind == "media_type_mismatch" or .kind == "diff_id_mismatch") | not)))
      | if any(.images[].layers[]; .compression | endswith("(corrupt)")) then .notes += ["a layer that does not decode (gzip(corrupt)) has no diff_id and no uncompressed_size, and so no diff_id_mismatch; its bytes are gzip (magic), so no media_type_mismatch either: corrupt_compression says it"] else . end
      + ($old[0] | with_entries(select(.key as $k | $keep | index($k))))
      | if ($old[0].container // "" | test("^tar[+](bzip2|xz)$")) then .container = $old[0].container else . end' \
      "$WORK/real/$name/expected.json" >"$rec.new"
    mv "$rec.new" "$rec"
  done
}

# ------------------------------------------------- 1. source image (umoci)
SRC=$WORK/src
umoci init --layout "$SRC"
umoci new --image "$SRC:v1"

L=$WORK/layers
mkdir -p "$L"/l1/etc "$L"/l1/bin
printf 'tardigest-fixture\n' >"$L/l1/etc/hostname"
printf 'NAME="tardigest fixture"\nID=fixture\nVERSION_ID=1\n' >"$L/l1/etc/os-release"
printf '#!/bin/sh\necho hello from layer one\n' >"$L/l1/bin/hello"
chmod 755 "$L/l1/bin/hello"
# layer 2: a symlink and (empty) directories
mkdir -p "$L"/l2/usr/share/doc/fixture "$L"/l2/usr/local/bin "$L"/l2/var/empty
printf 'This is layer two.\n' >"$L/l2/usr/share/doc/fixture/README"
ln -s ../../../bin/hello "$L/l2/usr/local/bin/hello"
mkdir -p "$L"/l3/app "$L"/l3/etc
printf 'key=value\nanswer=42\n' >"$L/l3/app/config.txt"
printf 'tardigest-fixture-v1\n' >"$L/l3/etc/hostname"
# layer 4: only used by the second image of multi-image.tar and by arm64
mkdir -p "$L"/l4/opt/extra
printf 'layer four\n' >"$L/l4/opt/extra/notes.txt"
: >"$L/l4/opt/extra/empty-file"
mkdir -p "$L"/l5/etc
printf 'tardigest-fixture-arm64\n' >"$L/l5/etc/hostname"
for i in 1 2 3 4 5; do
  (cd "$L/l$i" && find . -exec touch -h -d @0 {} + &&
    if [[ $i == 3 ]]; then bf=20; else bf=1; fi
    tar "${TARD[@]}" --sort=name --blocking-factor="$bf" -cf "$L/layer$i.tar" $(ls -A | sort))
done

for i in 1 2 3; do
  umoci raw add-layer --image "$SRC:v1" --history.created "2024-01-0${i}T00:00:00Z" \
    --history.created_by "layer $i: fixture" --history.author tardigest "$L/layer$i.tar"
done
umoci config --image "$SRC:v1" --no-history --config.cmd /bin/hello \
  --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.label org.tardigest.fixture=source \
  --author tardigest --created 2024-01-04T00:00:00Z --architecture amd64 --os linux
umoci gc --layout "$SRC"

# ------------------------------------------------------- 2. skopeo outputs
"${SKOPEO[@]}" copy -q oci:"$SRC":v1 oci:"$OUT/oci-gzip":v1
"${SKOPEO[@]}" copy -q --dest-compress-format zstd --dest-compress oci:"$SRC":v1 oci:"$OUT/oci-zstd":v1
# The ref names skopeo and podman write are whole references, with domain,
# port and tag (issue 11 #1): one image under two of them.
"${SKOPEO[@]}" copy -q oci:"$SRC":v1 oci:"$OUT/oci-refnames":localhost/tiny:v1
"${SKOPEO[@]}" copy -q oci:"$SRC":v1 oci:"$OUT/oci-refnames":registry.example.com:5000/team/tiny:1.0
"${SKOPEO[@]}" copy -q oci:"$SRC":v1 oci-archive:"$OUT/oci-archive.tar":v1
"${SKOPEO[@]}" copy -q oci:"$SRC":v1 docker-archive:"$OUT/docker-archive.tar":tardigest/fixture:v1
gzip -n -9 -c "$OUT/docker-archive.tar" >"$OUT/docker-archive.tar.gz"
zstd -q -19 -c "$OUT/docker-archive.tar" >"$OUT/docker-archive.tar.zst"
# Whole-archive bzip2 and xz (docker load accepts both), single stream ...
bzip2 -9 -c "$OUT/docker-archive.tar" >"$OUT/docker-archive.tar.bz2"
xz -9 -c "$OUT/docker-archive.tar" >"$OUT/docker-archive.tar.xz"
# ... and multi-stream: two complete streams back to back, split mid-entry at
# byte SPLIT (what pbzip2 writes for inputs over its block size, and what
# `cat a.xz b.xz` gives); the xz one mixes checks (crc32, then sha256) and its
# first stream has 4 KiB blocks (several blocks per stream).
SPLIT=20000
{ head -c "$SPLIT" "$OUT/docker-archive.tar" | bzip2 -9 -c
  tail -c +"$((SPLIT + 1))" "$OUT/docker-archive.tar" | bzip2 -9 -c; } >"$OUT/docker-archive-multistream.tar.bz2"
{ head -c "$SPLIT" "$OUT/docker-archive.tar" | xz -9 -c --check=crc32 --block-size=4KiB
  tail -c +"$((SPLIT + 1))" "$OUT/docker-archive.tar" | xz -9 -c --check=sha256; } >"$OUT/docker-archive-multistream.tar.xz"
# pixz in its default tar mode: CRC32, and after the tar's end-of-archive
# marker one more xz block holding pixz's file index (so the decompressed
# stream is the tar followed by index bytes, not the tar alone).
pixz -9 <"$OUT/docker-archive.tar" >"$OUT/docker-archive-pixz.tar.xz"

# Unpacked docker-archive: source of the uncompressed layers and config for
# the hand-built fixtures.
DA=$WORK/da
mkdir -p "$DA"
tar -xf "$OUT/docker-archive.tar" -C "$DA"
DA_CFG=$DA/$(jq -r '.[0].Config' "$DA/manifest.json")
DA_TAGS=$(jq -c '.[0].RepoTags' "$DA/manifest.json")
mapfile -t DA_LAYERS < <(jq -r '.[0].Layers[]' "$DA/manifest.json" | sed "s#^#$DA/#")
IMAGE_ID="sha256:$(sha "$DA_CFG")"
D1=$(sha "$L/layer1.tar") D2=$(sha "$L/layer2.tar") D3=$(sha "$L/layer3.tar")
D4=$(sha "$L/layer4.tar") D5=$(sha "$L/layer5.tar")
for i in 0 1 2; do
  cmp -s "${DA_LAYERS[$i]}" "$L/layer$((i + 1)).tar" || { echo "docker-archive layer $i differs from source tar" >&2; exit 1; }
done

# ------------------------------------------- 3. oci-archive-pigz.tar (hand)
P=$WORK/pigz
mkdir -p "$P/blobs/sha256"
# layer 1: two gzip members (split at half the tar), both by pigz
h=$(($(fsize "$L/layer1.tar") / 2))
{ head -c "$h" "$L/layer1.tar" | pigz -n -c; tail -c +"$((h + 1))" "$L/layer1.tar" | pigz -n -c; } >"$WORK/p1.gz"
# layer 2: three members (split at thirds): pigz, gzip -n, pigz
t=$(($(fsize "$L/layer2.tar") / 3))
{ head -c "$t" "$L/layer2.tar" | pigz -n -c
  head -c "$((2 * t))" "$L/layer2.tar" | tail -c +"$((t + 1))" | gzip -n -c
  tail -c +"$((2 * t + 1))" "$L/layer2.tar" | pigz -n -c; } >"$WORK/p2.gz"
# layer 3: one member, pigz independent blocks
pigz -n -c -i -b 32 <"$L/layer3.tar" >"$WORK/p3.gz"
for i in 1 2 3; do
  [[ "$(gzip -dc "$WORK/p$i.gz" | sha256sum | cut -d' ' -f1)" == "$(sha "$L/layer$i.tar")" ]]
  cp "$WORK/p$i.gz" "$P/blobs/sha256/$(sha "$WORK/p$i.gz")"
done
cp "$DA_CFG" "$P/blobs/sha256/$(sha "$DA_CFG")"
jq -cjn --arg cd "sha256:$(sha "$DA_CFG")" --argjson cs "$(fsize "$DA_CFG")" \
  --arg l1 "sha256:$(sha "$WORK/p1.gz")" --argjson s1 "$(fsize "$WORK/p1.gz")" \
  --arg l2 "sha256:$(sha "$WORK/p2.gz")" --argjson s2 "$(fsize "$WORK/p2.gz")" \
  --arg l3 "sha256:$(sha "$WORK/p3.gz")" --argjson s3 "$(fsize "$WORK/p3.gz")" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$cd,size:$cs},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l1,size:$s1},
            {mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l2,size:$s2},
            {mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l3,size:$s3}]}' >"$WORK/pigz-manifest.json"
PM=$(sha "$WORK/pigz-manifest.json")
cp "$WORK/pigz-manifest.json" "$P/blobs/sha256/$PM"
jq -cn --arg d "sha256:$PM" --argjson s "$(fsize "$WORK/pigz-manifest.json")" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json",
    manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
                annotations:{"org.opencontainers.image.ref.name":"v1"}}]}' >"$P/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$P/oci-layout"
find "$P" -type f -exec chmod 644 {} +
find "$P" -exec touch -h -d @0 {} +
(cd "$P" && tar "${TARD[@]}" --sort=name -cf "$OUT/oci-archive-pigz.tar" blobs index.json oci-layout)

# ------------------------------------------------ 4. multi-image.tar (hand)
# Docker <= 24 legacy layout with two images. The v1 ids here are
# sha256("v1id created=<image created> chain=<chainID> parent=<parent v1id>"):
# like Docker's, they depend on the image's created time, so the base layer
# shared by both images gets two different v1 ids, is stored once, and the
# second reference is a relative symlink. Entry order is explicit: image B's
# directories (with the symlink) come before image A's (with the target).
M=$WORK/multi
mkdir -p "$M"
chain() { # chain DIFFHEX... -> prints chainID hexes, one per line
  local c="" d
  for d in "$@"; do
    if [[ -z $c ]]; then c=$d; else c=$(sha_str "sha256:$c sha256:$d"); fi
    echo "$c"
  done
}
v1id() { sha_str "v1id created=$1 chain=$2 parent=$3"; }
# Image A = the docker-archive image (same config bytes, layers 1,2,3)
A_CREATED=$(jq -r .created "$DA_CFG")
cp "$DA_CFG" "$M/$(sha "$DA_CFG").json"
# Image B: layers 1,4; its own config (compact JSON, no trailing newline like Docker)
jq -cjn --arg d1 "sha256:$D1" --arg d4 "sha256:$D4" \
  '{architecture:"amd64",author:"tardigest",
    config:{Cmd:["/bin/cat","/opt/extra/notes.txt"],Env:["PATH=/usr/bin:/bin"],Labels:{"org.tardigest.fixture":"multi-b"}},
    created:"2024-02-01T00:00:00Z",
    history:[{created:"2024-01-01T00:00:00Z",created_by:"layer 1: fixture"},
             {created:"2024-02-01T00:00:00Z",created_by:"layer 4: fixture"}],
    os:"linux",rootfs:{type:"layers",diff_ids:[$d1,$d4]}}' >"$WORK/cfgB.json"
B_CFG_HEX=$(sha "$WORK/cfgB.json")
cp "$WORK/cfgB.json" "$M/$B_CFG_HEX.json"
B_CREATED=2024-02-01T00:00:00Z

declare -a A_IDS B_IDS
mk_v1() { # mk_v1 CREATED PARENT CHAIN -> prints v1id, creates dir with VERSION and json
  local id
  id=$(v1id "$1" "$3" "$2")
  mkdir -p "$M/$id"
  printf '1.0' >"$M/$id/VERSION"
  if [[ -n $2 ]]; then
    printf '{"id":"%s","parent":"%s","created":"%s","os":"linux"}' "$id" "$2" "$1" >"$M/$id/json"
  else
    printf '{"id":"%s","created":"%s","os":"linux"}' "$id" "$1" >"$M/$id/json"
  fi
  echo "$id"
}
parent=""
i=0
for c in $(chain "$D1" "$D2" "$D3"); do
  id=$(mk_v1 "$A_CREATED" "$parent" "$c")
  i=$((i + 1))
  cp "$L/layer$i.tar" "$M/$id/layer.tar"
  A_IDS+=("$id")
  parent=$id
done
parent=""
layers_b=(1 4)
j=0
for c in $(chain "$D1" "$D4"); do
  id=$(mk_v1 "$B_CREATED" "$parent" "$c")
  if [[ ${layers_b[$j]} == 1 ]]; then
    ln -s "../${A_IDS[0]}/layer.tar" "$M/$id/layer.tar"
  else
    cp "$L/layer${layers_b[$j]}.tar" "$M/$id/layer.tar"
  fi
  B_IDS+=("$id")
  parent=$id
  j=$((j + 1))
done
jq -cn --arg ca "$(sha "$DA_CFG").json" --arg cb "$B_CFG_HEX.json" \
  --arg a1 "${A_IDS[0]}/layer.tar" --arg a2 "${A_IDS[1]}/layer.tar" --arg a3 "${A_IDS[2]}/layer.tar" \
  --arg b1 "${B_IDS[0]}/layer.tar" --arg b2 "${B_IDS[1]}/layer.tar" \
  '[{Config:$ca,RepoTags:["tardigest/fixture:v1"],Layers:[$a1,$a2,$a3]},
    {Config:$cb,RepoTags:["tardigest/fixture:v2"],Layers:[$b1,$b2]}]' >"$M/manifest.json"
jq -cn --arg a "${A_IDS[2]}" --arg b "${B_IDS[1]}" \
  '{"tardigest/fixture":{v1:$a,v2:$b}}' >"$M/repositories"
{
  for id in "${B_IDS[@]}" "${A_IDS[@]}"; do
    printf '%s\n' "$id" "$id/VERSION" "$id/json" "$id/layer.tar"
  done
  printf '%s\n' "$(sha "$DA_CFG").json" "$B_CFG_HEX.json" manifest.json repositories
} >"$WORK/multi.list"
find "$M" -type f -exec chmod 644 {} +
find "$M" -exec touch -h -d @0 {} +
(cd "$M" && tar "${TARD[@]}" --no-recursion -cf "$OUT/multi-image.tar" -T "$WORK/multi.list")

# ---------------------------------------------------- 5. docker25.tar (hand)
# Docker 25-28 `docker save` (classic store) layout.
D25=$WORK/d25
mkdir -p "$D25/blobs/sha256"
for i in 1 2 3; do cp "$L/layer$i.tar" "$D25/blobs/sha256/$(sha "$L/layer$i.tar")"; done
cp "$DA_CFG" "$D25/blobs/sha256/$(sha "$DA_CFG")"
# legacy v1 JSON per layer, content-addressed, referenced by nothing
parent=""
for c in $(chain "$D1" "$D2" "$D3"); do
  id=$(v1id "$A_CREATED" "$c" "$parent")
  if [[ -n $parent ]]; then
    printf '{"id":"%s","parent":"%s","created":"%s","os":"linux"}' "$id" "$parent" "$A_CREATED" >"$WORK/v1.json"
  else
    printf '{"id":"%s","created":"%s","os":"linux"}' "$id" "$A_CREATED" >"$WORK/v1.json"
  fi
  cp "$WORK/v1.json" "$D25/blobs/sha256/$(sha "$WORK/v1.json")"
  parent=$id
done
jq -cjn --arg cd "sha256:$(sha "$DA_CFG")" --argjson cs "$(fsize "$DA_CFG")" \
  --arg l1 "sha256:$D1" --arg l2 "sha256:$D2" --arg l3 "sha256:$D3" \
  --argjson s1 "$(fsize "$L/layer1.tar")" --argjson s2 "$(fsize "$L/layer2.tar")" --argjson s3 "$(fsize "$L/layer3.tar")" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$cd,size:$cs},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar",digest:$l1,size:$s1},
            {mediaType:"application/vnd.oci.image.layer.v1.tar",digest:$l2,size:$s2},
            {mediaType:"application/vnd.oci.image.layer.v1.tar",digest:$l3,size:$s3}]}' >"$WORK/d25-manifest.json"
D25M=$(sha "$WORK/d25-manifest.json")
cp "$WORK/d25-manifest.json" "$D25/blobs/sha256/$D25M"
jq -cn --arg d "sha256:$D25M" --argjson s "$(fsize "$WORK/d25-manifest.json")" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json",
    manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
                annotations:{"io.containerd.image.name":"docker.io/library/fixture:v1",
                             "org.opencontainers.image.ref.name":"v1"}}]}' >"$D25/index.json"
jq -cn --arg c "blobs/sha256/$(sha "$DA_CFG")" --arg l1 "$D1" --arg l2 "$D2" --arg l3 "$D3" \
  --argjson s1 "$(fsize "$L/layer1.tar")" --argjson s2 "$(fsize "$L/layer2.tar")" --argjson s3 "$(fsize "$L/layer3.tar")" \
  'def src($h; $s): {("sha256:"+$h): {mediaType:"application/vnd.oci.image.layer.v1.tar",size:$s,digest:("sha256:"+$h)}};
   [{Config:$c, RepoTags:["fixture:v1"],
     Layers:["blobs/sha256/"+$l1,"blobs/sha256/"+$l2,"blobs/sha256/"+$l3],
     LayerSources:(src($l1;$s1)+src($l2;$s2)+src($l3;$s3))}]' >"$D25/manifest.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$D25/oci-layout"
jq -cn --arg t "$D3" '{fixture:{v1:$t}}' >"$D25/repositories"
find "$D25" -type f -exec chmod 644 {} +
find "$D25" -exec touch -h -d @0 {} +
(cd "$D25" && tar "${TARD[@]}" --sort=name -cf "$OUT/docker25.tar" blobs index.json manifest.json oci-layout repositories)

# ------------------------------------- 6. containerd-multiplatform.tar (hand)
# amd64 = the oci-gzip image (umoci/skopeo manifest, gzip layers), present;
# arm64 = a real but different manifest whose blobs are all left out.
CT=$WORK/ctd
mkdir -p "$CT/blobs/sha256"
OG=$OUT/oci-gzip
AMD_MD=$(jq -r '.manifests[0].digest' "$OG/index.json")
AMD_MF=$OG/blobs/sha256/${AMD_MD#sha256:}
cp "$AMD_MF" "$CT/blobs/sha256/"
for h in $(jq -r '.config.digest, .layers[].digest' "$AMD_MF" | cut -d: -f2); do cp "$OG/blobs/sha256/$h" "$CT/blobs/sha256/"; done
# arm64 image, built only to get honest digests for its descriptor
gzip -n -c "$L/layer1.tar" >"$WORK/arm1.gz"
gzip -n -c "$L/layer5.tar" >"$WORK/arm5.gz"
jq -c '.architecture="arm64" | .rootfs.diff_ids=["sha256:'"$D1"'","sha256:'"$D5"'"] | .history=.history[0:2]' "$DA_CFG" | tr -d '\n' >"$WORK/arm-cfg.json"
jq -cjn --arg cd "sha256:$(sha "$WORK/arm-cfg.json")" --argjson cs "$(fsize "$WORK/arm-cfg.json")" \
  --arg l1 "sha256:$(sha "$WORK/arm1.gz")" --argjson s1 "$(fsize "$WORK/arm1.gz")" \
  --arg l2 "sha256:$(sha "$WORK/arm5.gz")" --argjson s2 "$(fsize "$WORK/arm5.gz")" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$cd,size:$cs},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l1,size:$s1},
            {mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l2,size:$s2}]}' >"$WORK/arm-manifest.json"
ARM_MD=sha256:$(sha "$WORK/arm-manifest.json")
jq -cjn --arg a "$AMD_MD" --argjson asz "$(fsize "$AMD_MF")" \
  --arg r "$ARM_MD" --argjson rs "$(fsize "$WORK/arm-manifest.json")" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json",
    manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$a,size:$asz,platform:{architecture:"amd64",os:"linux"}},
               {mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$r,size:$rs,platform:{architecture:"arm64",os:"linux"}}]}' >"$WORK/ctd-index.json"
CTI=$(sha "$WORK/ctd-index.json")
cp "$WORK/ctd-index.json" "$CT/blobs/sha256/$CTI"
jq -cn --arg d "sha256:$CTI" --argjson s "$(fsize "$WORK/ctd-index.json")" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json",
    manifests:[{mediaType:"application/vnd.oci.image.index.v1+json",digest:$d,size:$s,
                annotations:{"io.containerd.image.name":"docker.io/library/fixture-multi:v1",
                             "org.opencontainers.image.ref.name":"v1"}}]}' >"$CT/index.json"
jq -cn --arg c "blobs/sha256/$(jq -r .config.digest "$AMD_MF" | cut -d: -f2)" \
  --argjson layers "$(jq -c '[.layers[].digest | "blobs/sha256/" + ltrimstr("sha256:")]' "$AMD_MF")" \
  '[{Config:$c, RepoTags:["fixture-multi:v1"], Layers:$layers}]' >"$CT/manifest.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$CT/oci-layout"
find "$CT" -type f -exec chmod 644 {} +
find "$CT" -exec touch -h -d @0 {} +
(cd "$CT" && tar "${TARD[@]}" --sort=name -cf "$OUT/containerd-multiplatform.tar" blobs index.json manifest.json oci-layout)

# --------------------------------------------------------- 7. tampered copies
DA_CFG_NAME=$(basename "$DA_CFG")
LAYER0_NAME=$(jq -r '.[0].Layers[0]' "$DA/manifest.json")

# tampered-layer-byte.tar: xor 0x20 into the 11th byte of the first regular
# file's content inside the first layer tar; patched in place in the outer
# tar, so every header (outer and inner) is untouched.
cp "$OUT/docker-archive.tar" "$OUT/tampered-layer-byte.tar"
ob=$(tar_block "$OUT/docker-archive.tar" "$LAYER0_NAME")
ib=$(first_regular_block "$L/layer1.tar")
FLIP_OFF=$(((ob + 1) * 512 + (ib + 1) * 512 + 10))
flip_byte "$OUT/tampered-layer-byte.tar" "$FLIP_OFF" 32

# tampered-config-name.tar: label value "source" -> "tamper" (same length)
# inside the config entry, patched in place; name and manifest.json unchanged.
cp "$OUT/docker-archive.tar" "$OUT/tampered-config-name.tar"
ob=$(tar_block "$OUT/docker-archive.tar" "$DA_CFG_NAME")
LABEL_KEY='"org.tardigest.fixture":"'
inner=$(grep -obaF "${LABEL_KEY}source\"" "$DA_CFG" | head -1 | cut -d: -f1)
off=$(((ob + 1) * 512 + inner + ${#LABEL_KEY}))
printf 'tamper' | dd of="$OUT/tampered-config-name.tar" bs=1 seek="$off" conv=notrunc status=none
tar -xOf "$OUT/tampered-config-name.tar" "$DA_CFG_NAME" >"$WORK/cfg-tampered-label.json"
grep -qF '"org.tardigest.fixture":"tamper"' "$WORK/cfg-tampered-label.json"

# tampered-diffid.tar: diff_ids[0] replaced, config renamed to its new
# sha256, manifest.json updated; same entry order as docker-archive.tar.
TD=$WORK/td
mkdir -p "$TD"
tar -xf "$OUT/docker-archive.tar" -C "$TD"
FAKE_D1=$(sha_str "tardigest tampered diff_id")
sed "s/sha256:$D1/sha256:$FAKE_D1/" "$TD/$DA_CFG_NAME" >"$WORK/cfg-tampered-diffid.json"
NEWCFG=$(sha "$WORK/cfg-tampered-diffid.json").json
rm -f "$TD/$DA_CFG_NAME"
cp "$WORK/cfg-tampered-diffid.json" "$TD/$NEWCFG"
chmod 444 "$TD/$NEWCFG"
sed -i "s/$DA_CFG_NAME/$NEWCFG/" "$TD/manifest.json"
tar -tf "$OUT/docker-archive.tar" | sed "s/^$DA_CFG_NAME\$/$NEWCFG/" >"$WORK/td.list"
(cd "$TD" && tar "${TARD[@]}" --no-recursion -cf "$OUT/tampered-diffid.tar" -T "$WORK/td.list")

# truncated.tar: cut half-way through the first layer entry's body
ob=$(tar_block "$OUT/docker-archive.tar" "$LAYER0_NAME")
TRUNC_AT=$(((ob + 1) * 512 + $(fsize "${DA_LAYERS[0]}") / 2 + 100))
head -c "$TRUNC_AT" "$OUT/docker-archive.tar" >"$OUT/truncated.tar"

# oci-gzip-flipped/: one byte (middle of the first layer blob) xor 0xff
cp -a "$OUT/oci-gzip" "$OUT/oci-gzip-flipped"
OGF_LAYER_HEX=$(jq -r '.layers[0].digest' "$AMD_MF" | cut -d: -f2)
OGF_BLOB=$OUT/oci-gzip-flipped/blobs/sha256/$OGF_LAYER_HEX
OGF_OFF=$(($(fsize "$OGF_BLOB") / 2))
flip_byte "$OGF_BLOB" "$OGF_OFF" 255

# ---------------------------------------------------- 8. expected values
NONE='[]'
# oci-gzip, oci-zstd (directories)
for name in oci-gzip oci-zstd; do
  md=$(jq -r '.manifests[0].digest' "$OUT/$name/index.json")
  img=$(oci_image_json "$OUT/$name" "$md" '[]' '["v1"]' "")
  id=$(jq -r .image_id <<<"$img")
  write_expected "$name" directory oci-layout "[$img]" "$NONE" "$NONE" \
    "$(skopeo_json "oci:$OUT/$name:v1" "$id" "$md")"
done

# oci-refnames (directory): one manifest listed twice, under two ref names
md=$(jq -r '.manifests[0].digest' "$OUT/oci-refnames/index.json")
img=$(oci_image_json "$OUT/oci-refnames" "$md" '[]' '["localhost/tiny:v1","registry.example.com:5000/team/tiny:1.0"]' "")
write_expected oci-refnames directory oci-layout "[$img]" "$NONE" "$NONE" \
  "$(skopeo_json "oci:$OUT/oci-refnames:localhost/tiny:v1" "$(jq -r .image_id <<<"$img")" "$md")" \
  '{"note":"skopeo copy oci:src:v1 oci:oci-refnames:REF for REF = localhost/tiny:v1 and registry.example.com:5000/team/tiny:1.0: index.json lists the one manifest twice, each ref name a whole reference"}'

# oci-archive.tar and oci-archive-pigz.tar
for name in oci-archive.tar oci-archive-pigz.tar; do
  X=$WORK/x-$name
  mkdir -p "$X"
  tar -xf "$OUT/$name" -C "$X"
  md=$(jq -r '.manifests[0].digest' "$X/index.json")
  img=$(oci_image_json "$X" "$md" '[]' '["v1"]' "")
  id=$(jq -r .image_id <<<"$img")
  extra='{}'
  if [[ $name == oci-archive-pigz.tar ]]; then
    extra=$(jq -n --arg a "sha256:$(sha "$WORK/p1.gz")" --arg b "sha256:$(sha "$WORK/p2.gz")" --arg c "sha256:$(sha "$WORK/p3.gz")" \
      '{gzip_members:{($a):2,($b):3,($c):1}}')
  fi
  write_expected "$name" tar oci-archive "[$img]" "$NONE" "$NONE" \
    "$(skopeo_json "oci-archive:$OUT/$name:v1" "$id" "$md")" "$extra"
done

# docker-archive.tar and its whole-archive compressed copies
DA_IMG=$(image_json "$DA_TAGS" '[]' "$DA_CFG" "" "" "${DA_LAYERS[@]}")
write_expected docker-archive.tar tar docker-archive "[$DA_IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "docker-archive:$OUT/docker-archive.tar" "$IMAGE_ID" "")" \
  '{"note":"skopeo raw_manifest_digest is of a v2s2 manifest skopeo synthesises; no manifest blob is stored"}'
[[ "$(gzip -dc "$OUT/docker-archive.tar.gz" | sha256sum | cut -d' ' -f1)" == "$(sha "$OUT/docker-archive.tar")" ]]
[[ "$(zstd -q -dc "$OUT/docker-archive.tar.zst" | sha256sum | cut -d' ' -f1)" == "$(sha "$OUT/docker-archive.tar")" ]]
for c in gz:tar+gzip zst:tar+zstd; do
  ext=${c%%:*}
  write_expected "docker-archive.tar.$ext" "${c#*:}" docker-archive "[$DA_IMG]" "$NONE" "$NONE" \
    "$(skopeo_json "docker-archive:$OUT/docker-archive.tar.$ext" "$IMAGE_ID" "")" \
    "$(jq -n --arg d "sha256:$(sha "$OUT/docker-archive.tar")" --argjson s "$(fsize "$OUT/docker-archive.tar")" \
      '{inner_tar_digest:$d, inner_tar_size:$s}')"
done
# bzip2 / xz: the same image; `streams` = complete compressed streams in the
# file, `decompressed_*` = the whole decompressed output (bzip2 -dc / xz -dc),
# which for pixz is longer than the tar (its index block follows the tar).
for f in docker-archive.tar.bz2:tar+bzip2:1 docker-archive-multistream.tar.bz2:tar+bzip2:2 \
  docker-archive.tar.xz:tar+xz:1 docker-archive-multistream.tar.xz:tar+xz:2 docker-archive-pixz.tar.xz:tar+xz:1; do
  IFS=: read -r name cont streams <<<"$f"
  case $cont in tar+bzip2) bzip2 -dc "$OUT/$name" >"$WORK/whole.out" ;; tar+xz) xz -dc "$OUT/$name" >"$WORK/whole.out" ;; esac
  head -c "$(fsize "$OUT/docker-archive.tar")" "$WORK/whole.out" | cmp -s - "$OUT/docker-archive.tar"
  xzinfo='{}'
  if [[ $cont == tar+xz ]]; then
    [[ $(xz --robot -l "$OUT/$name" | awk '$1=="totals"{print $2}') == "$streams" ]]
    xzinfo=$(xz --robot -l "$OUT/$name" | awk '$1=="totals"{print $3}' | jq -R '{xz_blocks:tonumber}')
  fi
  write_expected "$name" "$cont" docker-archive "[$DA_IMG]" "$NONE" "$NONE" \
    "$(skopeo_json "docker-archive:$OUT/$name" "$IMAGE_ID" "")" \
    "$(jq -n --arg d "sha256:$(sha "$OUT/docker-archive.tar")" --argjson s "$(fsize "$OUT/docker-archive.tar")" \
      --argjson n "$streams" --arg wd "sha256:$(sha "$WORK/whole.out")" --argjson ws "$(fsize "$WORK/whole.out")" \
      --argjson x "$xzinfo" \
      '{inner_tar_digest:$d, inner_tar_size:$s, streams:$n, decompressed_digest:$wd, decompressed_size:$ws,
        trailing_after_tar:($ws - $s)} + $x')"
done

# multi-image.tar
IMG_A=$(image_json '["tardigest/fixture:v1"]' '[]' "$M/$(sha "$DA_CFG").json" "" "" \
  "$L/layer1.tar" "$L/layer2.tar" "$L/layer3.tar")
IMG_B=$(image_json '["tardigest/fixture:v2"]' '[]' "$WORK/cfgB.json" "" "" "$L/layer1.tar" "$L/layer4.tar")
SK_A=$(skopeo_json "docker-archive:$OUT/multi-image.tar:@0" "$IMAGE_ID" "")
SK_B=$(skopeo_json "docker-archive:$OUT/multi-image.tar:@1" "sha256:$B_CFG_HEX" "")
write_expected multi-image.tar tar docker-archive "[$IMG_A,$IMG_B]" "$NONE" "$NONE" "$SK_A" \
  "$(jq -n --argjson b "$SK_B" --arg s "${B_IDS[0]}/layer.tar" --arg t "${A_IDS[0]}/layer.tar" \
     --argjson a "$SK_A" '{skopeo_per_image:[$a,$b], symlinks:{($s):("../"+$t)}, symlink_before_target:true}')"

# docker25.tar
D25_IMG=$(image_json '["fixture:v1"]' '["v1"]' "$DA_CFG" "sha256:$D25M" "" \
  "$L/layer1.tar" "$L/layer2.tar" "$L/layer3.tar")
write_expected docker25.tar tar docker-archive+oci-layout "[$D25_IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "docker-archive:$OUT/docker25.tar" "$IMAGE_ID" "sha256:$D25M")" \
  "$(jq -n --argjson o "$(skopeo_json "oci-archive:$OUT/docker25.tar" "$IMAGE_ID" "sha256:$D25M")" \
     --argjson u "$(for f in "$D25"/blobs/sha256/*; do h=$(basename "$f"); case $h in "$D1"|"$D2"|"$D3"|"$D25M"|"$(sha "$DA_CFG")") ;; *) echo "\"sha256:$h\"";; esac; done | jq -s 'sort')" \
     '{skopeo_oci_archive:$o, unreferenced_blobs:$u,
       note:"skopeo (docker-archive:) synthesises a v2s2 manifest from manifest.json, so its raw_manifest_digest differs from the stored Docker-made OCI manifest; read as oci-archive: it returns the stored manifest", image_names:["docker.io/library/fixture:v1"]}')"

# Extracted docker save (`tar -xf` into a directory): read like the tar.
# skopeo 1.9 has no transport for a docker-archive directory; for docker25
# the directory is also an OCI layout, so `oci:` gives a second opinion.
for src in docker-archive docker25; do
  X=$OUT/$src-extracted
  mkdir -p "$X"
  tar -xf "$OUT/$src.tar" -C "$X"
  find "$X" -type f -exec chmod 644 {} +
  find "$X" -type d -exec chmod 755 {} +
done
write_expected docker-archive-extracted directory docker-archive "[$DA_IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "docker-archive:$OUT/docker-archive-extracted" "$IMAGE_ID" "")" \
  '{"extracted_from":"docker-archive.tar","symlinks_kept":true,"note":"tar -xf of docker-archive.tar; each <v1id>/layer.tar is a relative symlink ../<diffID>.tar; file modes normalised to 0644 (git keeps no 0444)"}'
write_expected docker25-extracted directory docker-archive+oci-layout "[$D25_IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "oci:$OUT/docker25-extracted:v1" "$IMAGE_ID" "sha256:$D25M")" \
  '{"extracted_from":"docker25.tar","image_names":["docker.io/library/fixture:v1"]}'

# containerd-multiplatform.tar
CT_IMG=$(oci_image_json "$CT" "$AMD_MD" '["fixture-multi:v1"]' '["v1"]' linux/amd64)
CT_ID=$(jq -r .image_id <<<"$CT_IMG")
write_expected containerd-multiplatform.tar tar docker-archive+oci-layout "[$CT_IMG]" "[\"sha256:$CTI\"]" '["linux/arm64"]' \
  "$(skopeo_json "oci-archive:$OUT/containerd-multiplatform.tar:v1" "$CT_ID" "$AMD_MD" "sha256:$CTI")" \
  "$(jq -n --argjson d "$(skopeo_json "docker-archive:$OUT/containerd-multiplatform.tar" "$CT_ID" "")" \
     --arg arm "$ARM_MD" \
     '{skopeo_docker_archive:$d, absent_blobs:[$arm], image_names:["docker.io/library/fixture-multi:v1"],
       note:"skopeo.raw_manifest_digest is the image index (skopeo --raw returns the top-level index); config_digest is of the amd64 instance skopeo selects"}')"

# tampered fixtures
T_LAYERS=$WORK/tl
mkdir -p "$T_LAYERS"
tar -xOf "$OUT/tampered-layer-byte.tar" "$LAYER0_NAME" >"$T_LAYERS/l0.tar"
IMG=$(image_json "$DA_TAGS" '[]' "$DA_CFG" "" "" "$T_LAYERS/l0.tar" "${DA_LAYERS[1]}" "${DA_LAYERS[2]}")
write_expected tampered-layer-byte.tar tar docker-archive "[$IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "docker-archive:$OUT/tampered-layer-byte.tar" "$IMAGE_ID" "")" \
  "$(jq -n --arg c "sha256:$D1" --arg a "sha256:$(sha "$T_LAYERS/l0.tar")" --argjson off "$FLIP_OFF" \
     '{expect:"mismatch", broken:("one byte of file content (bin/hello) inside the first layer tar flipped (xor 0x20 at outer offset " + ($off|tostring) + "); its diffID no longer matches config rootfs.diff_ids[0]"),
       mismatches:[{what:"diff_id",layer:0,claimed:$c,actual:$a}]}')"

IMG=$(image_json "$DA_TAGS" '[]' "$WORK/cfg-tampered-diffid.json" "" "" "${DA_LAYERS[@]}")
write_expected tampered-diffid.tar tar docker-archive "[$IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "docker-archive:$OUT/tampered-diffid.tar" "sha256:${NEWCFG%.json}" "")" \
  "$(jq -n --arg c "sha256:$FAKE_D1" --arg a "sha256:$D1" \
     '{expect:"mismatch", broken:"config rootfs.diff_ids[0] replaced; config stored under its new sha256 name, so only the first layer diffID mismatches",
       mismatches:[{what:"diff_id",layer:0,claimed:$c,actual:$a}]}')"

IMG=$(image_json "$DA_TAGS" '[]' "$WORK/cfg-tampered-label.json" "" "" "${DA_LAYERS[@]}")
write_expected tampered-config-name.tar tar docker-archive "[$IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "docker-archive:$OUT/tampered-config-name.tar" "sha256:$(sha "$WORK/cfg-tampered-label.json")" "")" \
  "$(jq -n --arg c "sha256:${DA_CFG_NAME%.json}" --arg a "sha256:$(sha "$WORK/cfg-tampered-label.json")" \
     '{expect:"mismatch", broken:"config label value changed (source -> tamper) but the entry keeps its old <hex>.json name that manifest.json points at",
       mismatches:[{what:"config",claimed:$c,actual:$a}]}')"

write_expected truncated.tar tar docker-archive '[]' "$NONE" "$NONE" \
  "$(skopeo_json "docker-archive:$OUT/truncated.tar" "$IMAGE_ID" "")" \
  "$(jq -n --argjson at "$TRUNC_AT" --argjson full "$(fsize "$OUT/docker-archive.tar")" --arg e "$LAYER0_NAME" \
     '{expect:"malformed", broken:("docker-archive.tar cut at byte " + ($at|tostring) + " of " + ($full|tostring) + ", in the middle of the body of entry " + $e + "; no manifest.json"),
       truncated_at:$at, original_size:$full}')"

IMG=$(oci_image_json "$OUT/oci-gzip" "$AMD_MD" '[]' '["v1"]' "")
IMG=$(jq --argjson l "$(layer_json "$OGF_BLOB")" '.layers[0]=$l' <<<"$IMG")
write_expected oci-gzip-flipped directory oci-layout "[$IMG]" "$NONE" "$NONE" \
  "$(skopeo_json "oci:$OUT/oci-gzip-flipped:v1" "$IMAGE_ID" "$AMD_MD")" \
  "$(jq -n --arg c "sha256:$OGF_LAYER_HEX" --arg a "sha256:$(sha "$OGF_BLOB")" --argjson off "$OGF_OFF" \
       --argjson gz "$(if gzip -t "$OGF_BLOB" 2>/dev/null; then echo true; else echo false; fi)" \
     '{expect:"mismatch", broken:("byte " + ($off|tostring) + " of the first gzip layer blob xor 0xff; blob file keeps its old name"),
       gzip_stream_valid:$gz, mismatches:[{what:"layer_digest",layer:0,claimed:$c,actual:$a}]}')"

# archives-new/ keeps, same schema, the one fixture tardigest reads only
# with --max-expansion-ratio raised (its README says why): TestFixtures
# reads archives/ with the default limits.
NEW=$HERE/archives-new
mkdir -p "$NEW"
find "$NEW" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
printf '* -text\n' >"$NEW/.gitattributes"
for f in docker-archive-multistream.tar.xz; do
  mv "$OUT/$f" "$OUT/$f.expected.json" "$NEW/"
done

# ------------------------------------- 9. the shared expected.json format
# Every record above is merged into the format of the shared fixtures
# (shared/fixtures/README.md), computed by their gen-expected.sh from the
# same archive with sha256sum, gzip, zstd, tar and jq: the tests read both
# corpora with one harness. The records' own checked values (mismatches,
# absent platforms, index digests, truncation) and skopeo's answers are
# kept beside the shared fields.
shared_format $(ls "$OUT"/*.expected.json | grep -v '/skopeo-dir-') "$NEW"/*.expected.json

echo "gen-archives.sh: wrote fixtures to $OUT"
(cd "$OUT" && du -sh --apparent-size -- * | sort -k2)
