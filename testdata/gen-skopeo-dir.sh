#!/usr/bin/env bash
# Regenerates testdata/archives/skopeo-dir-*: real `skopeo copy ... dir:PATH`
# output (issue 11 #10), plus one <fixture>.expected.json per fixture computed
# with sha256sum, gzip -dc, zstd -dc, jq, `crane digest` and `skopeo inspect`,
# in the shared expected.json format the tests read (see README-skopeo-dir.md).
#
# Needs: the Debian packages skopeo zstd jq curl, and crane on PATH (or
# CRANE=/path/to/crane), e.g.
#   GOBIN=/tmp/fixbin go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
# A throwaway in-memory registry (`crane registry serve`) is started on
# 127.0.0.1:$PORT (default 5077) and stopped on exit. Not run by CI.
#
# Determinism: layer tars use fixed mtimes and sorted names; crane writes no
# timestamps (configs say created 0001-01-01); skopeo copies bytes as they
# are. Re-running yields identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/archives
P=skopeo-dir- # every fixture's name starts with it
CRANE=${CRANE:-crane}
PORT=${PORT:-5077}
R=127.0.0.1:$PORT
for t in skopeo zstd jq curl gzip tar sha256sum "$CRANE"; do
  command -v "$t" >/dev/null || { echo "gen-skopeo-dir.sh: missing tool: $t" >&2; exit 1; }
done

WORK=$(mktemp -d)
REGPID=
cleanup() {
  [[ -n $REGPID ]] && kill "$REGPID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=fixture-lib.sh
source "$HERE/fixture-lib.sh"

mkdir -p "$OUT"
rm -rf "$OUT/$P"* # only this script's fixtures; gen-archives.sh keeps them

POLICY=$WORK/policy.json
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$POLICY"
SKOPEO=(skopeo --policy "$POLICY")
CR=("$CRANE" --insecure)

"$CRANE" registry serve --address "$R" >"$WORK/registry.log" 2>&1 &
REGPID=$!
for _ in $(seq 50); do curl -fs "http://$R/v2/" >/dev/null && break; sleep 0.1; done

# ------------------------------------------------ 1. images in the registry
# Four one-file layers; layer 1 is shared by every platform.
L=$WORK/layers
mkdir -p "$L"/l1/etc "$L"/l2/app "$L"/l3/app "$L"/l4/app
printf 'dir-fixture\n' >"$L/l1/etc/hostname"
printf 'amd64\n' >"$L/l2/app/arch"
printf 'arm64\n' >"$L/l3/app/arch"
printf 'arm/v7\n' >"$L/l4/app/arch"
for i in 1 2 3 4; do
  (cd "$L/l$i" && find . -exec touch -h -d @0 {} + &&
    tar --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner --sort=name -cf "$L/layer$i.tar" $(ls -A))
done
# crane append (empty base: Docker schema 2 media types, gzip layers), then
# crane mutate --set-platform (the empty base's config has no platform).
push_image() { # TAG PLATFORM LAYER...
  local tag=$1 plat=$2 args=()
  shift 2
  for f in "$@"; do args+=(-f "$f"); done
  "${CR[@]}" append "${args[@]}" -t "$R/fixture:tmp-$tag" >/dev/null 2>&1
  "${CR[@]}" mutate --set-platform "$plat" -t "$R/fixture:$tag" "$R/fixture:tmp-$tag" >/dev/null 2>&1
}
push_image amd64 linux/amd64 "$L/layer1.tar" "$L/layer2.tar"
push_image arm64 linux/arm64 "$L/layer1.tar" "$L/layer3.tar"
push_image armv7 linux/arm/v7 "$L/layer1.tar" "$L/layer4.tar"
# A Docker manifest list of the three (crane fills platform from each config).
"${CR[@]}" index append --docker-empty-base -m "$R/fixture:amd64" -m "$R/fixture:arm64" \
  -m "$R/fixture:armv7" -t "$R/fixture:multi" >/dev/null 2>&1
# zstd in the registry: convert to OCI and recompress locally, then push the
# zstd layout as is. (Pushing straight to docker:// with --dest-compress-format
# zstd does not recompress: skopeo reuses the gzip blobs the registry already
# has and only rewrites the manifest.)
"${SKOPEO[@]}" copy -q --src-tls-verify=false docker://"$R/fixture:amd64" oci:"$WORK/oci-amd64":v1
"${SKOPEO[@]}" copy -q --dest-compress-format zstd --dest-compress oci:"$WORK/oci-amd64":v1 oci:"$WORK/oci-zstd":v1
"${SKOPEO[@]}" copy -q --dest-tls-verify=false oci:"$WORK/oci-zstd":v1 docker://"$R/fixture:zstd"

# ---------------------------------------------------- 2. skopeo copy dir:
SRC=(--src-tls-verify=false)
"${SKOPEO[@]}" copy -q "${SRC[@]}" docker://"$R/fixture:amd64" dir:"$OUT/${P}single-gzip"
"${SKOPEO[@]}" copy -q "${SRC[@]}" --all docker://"$R/fixture:multi" dir:"$OUT/${P}multi-all"
"${SKOPEO[@]}" copy -q "${SRC[@]}" docker://"$R/fixture:multi" dir:"$OUT/${P}multi-default"
"${SKOPEO[@]}" copy -q "${SRC[@]}" docker://"$R/fixture:zstd" dir:"$OUT/${P}zstd"
"${SKOPEO[@]}" copy -q "${SRC[@]}" --format oci --dest-compress --dest-compress-format zstd \
  docker://"$R/fixture:amd64" dir:"$WORK/zstd-recompressed"
"${SKOPEO[@]}" copy -q docker-archive:"$HERE/archives/docker-archive.tar" dir:"$OUT/${P}from-docker-archive"
"${SKOPEO[@]}" copy -q oci:"$HERE/archives/oci-gzip":v1 dir:"$OUT/${P}from-oci"
# A copy that fails half-way leaves `version` and the blobs written so far,
# but no manifest.json: zstd cannot be expressed in a Docker schema 2 manifest.
if "${SKOPEO[@]}" copy -q "${SRC[@]}" --dest-compress --dest-compress-format zstd \
  docker://"$R/fixture:amd64" dir:"$OUT/${P}failed-copy" 2>"$WORK/failed.err"; then
  echo "gen-skopeo-dir.sh: expected the zstd copy to a Docker manifest to fail" >&2
  exit 1
fi
FAILED_ERR=$(sed -e 's/^time="[^"]*" //' -e "s#$R#REGISTRY#g" "$WORK/failed.err")
# The recompressed copy is byte-identical to zstd/ (same conversion, same
# zstd encoder): only zstd/ is kept.
diff -r "$WORK/zstd-recompressed" "$OUT/${P}zstd" >/dev/null

# ---------------------------------------------------- 3. expected values
# image_json DIR MANIFEST_FILE PLATFORM_JSON: one image of a dir: layout
image_json() {
  local dir=$1 mf=$2 plat=$3 cfg layers
  cfg=$dir/$(jq -r .config.digest "$dir/$mf" | cut -d: -f2)
  layers=$(for h in $(jq -r '.layers[].digest' "$dir/$mf" | cut -d: -f2); do layer_json "$dir/$h"; done | jq -s .)
  jq -n --arg mf "$mf" --arg md "sha256:$(sha "$dir/$mf")" --argjson ms "$(fsize "$dir/$mf")" \
    --arg mt "$(jq -r '.mediaType // "(no mediaType field)"' "$dir/$mf")" \
    --arg id "sha256:$(sha "$cfg")" --argjson plat "$plat" --argjson layers "$layers" \
    --argjson cplat "$(jq -c '{os, architecture} + (if .variant then {variant} else {} end)' "$cfg")" \
    '{manifest_file:$mf, manifest_digest:$md, manifest_size:$ms, manifest_media_type:$mt,
      platform:$plat, config_platform:$cplat, image_id:$id, layers:$layers}'
}
# source_json REF: what the registry says (crane digest = sha256 of
# skopeo inspect --raw; both recorded), REGISTRY in place of host:port.
source_json() {
  local ref=$1 cd rd mt
  if [[ $ref == docker://* ]]; then
    cd=$("${CR[@]}" digest "${ref#docker://}")
    "${SKOPEO[@]}" inspect --raw --tls-verify=false "$ref" >"$WORK/raw"
    rd=sha256:$(sha "$WORK/raw")
    mt=$(jq -r '.mediaType // "(no mediaType field)"' "$WORK/raw")
    jq -n --arg ref "${ref//$R/REGISTRY}" --arg cd "$cd" --arg rd "$rd" --arg mt "$mt" \
      '{ref:$ref, registry_digest:$cd, skopeo_inspect_raw_digest:$rd, media_type:$mt}'
  else
    "${SKOPEO[@]}" inspect --raw "$ref" >"$WORK/raw"
    jq -n --arg ref "${ref//"$HERE/"/../}" --arg rd "sha256:$(sha "$WORK/raw")" \
      '{ref:$ref, registry_digest:null, skopeo_inspect_raw_digest:$rd}'
  fi
}
# skopeo_dir_json DIR: second opinion from skopeo reading the dir: back
skopeo_dir_json() {
  local cd=null rd=null
  "${SKOPEO[@]}" inspect --raw dir:"$1" >"$WORK/raw" 2>/dev/null && rd="\"sha256:$(sha "$WORK/raw")\""
  "${SKOPEO[@]}" inspect --config --raw dir:"$1" >"$WORK/cfg" 2>/dev/null && cd="\"sha256:$(sha "$WORK/cfg")\""
  jq -n --argjson rd "$rd" --argjson cd "$cd" '{raw_manifest_digest:$rd, config_digest:$cd}'
}
# write_expected NAME COMMAND SOURCE_REF IMAGES_JSON [EXTRA_JSON]
write_expected() {
  local name=$1 cmd=$2 src=$3 images=$4 extra=${5:-'{}'} dir=$OUT/$1 mj=null srcj
  if [[ -f $dir/manifest.json ]]; then
    mj=$(jq -n --arg d "sha256:$(sha "$dir/manifest.json")" --argjson s "$(fsize "$dir/manifest.json")" \
      --arg mt "$(jq -r '.mediaType // "(no mediaType field)"' "$dir/manifest.json")" \
      '{digest:$d, size:$s, media_type:$mt}')
  fi
  srcj=$(source_json "$src")
  jq -n --arg f "$name" --arg cmd "$cmd" --argjson files "$(cd "$dir" && ls -A | jq -R . | jq -s .)" \
    --arg ver "$(cat "$dir/version")" --argjson mj "$mj" --argjson src "$srcj" \
    --argjson images "$images" --argjson sk "$(skopeo_dir_json "$dir")" --argjson extra "$extra" \
    '{fixture:$f, container:"directory", format:"skopeo-dir", made_by:$cmd, files:$files,
      version_file:($ver + "\n"), manifest_json:$mj, source:$src,
      manifest_is_source_bytes:($mj != null and $mj.digest == $src.skopeo_inspect_raw_digest),
      images:$images, skopeo_dir:$sk} + $extra' >"$OUT/$name.expected.json"
}

NOPLAT=null
write_expected "${P}single-gzip" "skopeo copy docker://REGISTRY/fixture:amd64 dir:skopeo-dir-single-gzip" \
  "docker://$R/fixture:amd64" "[$(image_json "$OUT/${P}single-gzip" manifest.json "$NOPLAT")]"

D=$OUT/${P}multi-all
MULTI_IMAGES=$(jq -c '.manifests[]' "$D/manifest.json" | while read -r desc; do
  h=$(jq -r .digest <<<"$desc" | cut -d: -f2)
  image_json "$D" "$h.manifest.json" "$(jq -c .platform <<<"$desc")"
done | jq -s .)
write_expected "${P}multi-all" "skopeo copy --all docker://REGISTRY/fixture:multi dir:skopeo-dir-multi-all" \
  "docker://$R/fixture:multi" "$MULTI_IMAGES" \
  "$(jq -n --arg d "sha256:$(sha "$D/manifest.json")" \
    '{index_digest:$d, note:"manifest.json is the manifest list as pushed; each instance is <hex>.manifest.json (no algorithm prefix); blobs of all instances share the directory (the layer common to all three is stored once). crane index append sets artifactType (= the config media type) on every descriptor of this Docker manifest list."}')"

D=$OUT/${P}multi-default
AMD=$(jq -r '.manifests[] | select(.platform.architecture=="amd64") | .digest' "$OUT/${P}multi-all/manifest.json")
write_expected "${P}multi-default" "skopeo copy docker://REGISTRY/fixture:multi dir:skopeo-dir-multi-default" \
  "docker://$R/fixture:multi" "[$(image_json "$D" manifest.json "$NOPLAT")]" \
  "$(jq -n --arg a "$AMD" '{selected_instance:$a, note:"without --all skopeo writes only the instance for the host platform (linux/amd64): manifest.json is that instance manifest, byte-identical to single-gzip/; the digest the tag names (the manifest list) appears nowhere in the directory"}')"

write_expected "${P}zstd" "skopeo copy docker://REGISTRY/fixture:zstd dir:skopeo-dir-zstd" \
  "docker://$R/fixture:zstd" "[$(image_json "$OUT/${P}zstd" manifest.json "$NOPLAT")]" \
  "$(jq -n --arg amd "$("${CR[@]}" digest "$R/fixture:amd64")" \
    '{also_made_by:"skopeo copy --format oci --dest-compress --dest-compress-format zstd docker://REGISTRY/fixture:amd64 dir:PATH (byte-identical output; then manifest.json is NOT the source manifest)",
      converted_from:{ref:"docker://REGISTRY/fixture:amd64", registry_digest:$amd},
      note:"the Docker->OCI conversion re-serialised the config (same size, keys reordered): image ID differs from single-gzip/"}')"

write_expected "${P}from-docker-archive" "skopeo copy docker-archive:../archives/docker-archive.tar dir:skopeo-dir-from-docker-archive" \
  "docker-archive:$HERE/archives/docker-archive.tar" "[$(image_json "$OUT/${P}from-docker-archive" manifest.json "$NOPLAT")]" \
  '{"note":"manifest.json is synthesised by skopeo (Docker schema 2); its layers are typed diff.tar.gzip but the blobs are uncompressed tars (blob digest = diffID)"}'

write_expected "${P}from-oci" "skopeo copy oci:../archives/oci-gzip:v1 dir:skopeo-dir-from-oci" \
  "oci:$HERE/archives/oci-gzip:v1" "[$(image_json "$OUT/${P}from-oci" manifest.json "$NOPLAT")]" \
  '{"note":"manifest.json is umoci'"'"'s OCI manifest as stored in the layout, with no top-level mediaType field"}'

write_expected "${P}failed-copy" "skopeo copy --dest-compress --dest-compress-format zstd docker://REGISTRY/fixture:amd64 dir:skopeo-dir-failed-copy (fails)" \
  "docker://$R/fixture:amd64" '[]' \
  "$(jq -n --arg e "$FAILED_ERR" '{expect:"malformed", skopeo_error:$e,
     broken:"skopeo failed after writing version and the recompressed layer blobs: no manifest.json, no config"}')"

# ---------------------------------- 4. the shared expected.json format
# shared_format_dir RECORD: adds to a record the fields of the shared
# expected.json format that the tests read (tarball/fixtures_test.go),
# from the files themselves with sha256sum and jq: the descriptor tree from
# manifest.json, each image's sources, config diff_ids and layers by blob
# file, the files no manifest names, and whether the directory is
# consistent (a failed copy is not an image at all).
shared_format_dir() {
  local rec=$1 name dir tree refs files
  name=$(basename "$rec" .expected.json)
  dir=$(dirname "$rec")/$name
  tree=null
  if [[ -f $dir/manifest.json ]]; then
    tree=$(jq -c --arg d "sha256:$(sha "$dir/manifest.json")" '
      [{where:"manifest.json", digest:$d, present:true, kind:(if .manifests then "index" else "manifest" end),
        children:(if .manifests then [.manifests | to_entries[] | {where:("manifest.json -> manifests[" + (.key|tostring) + "]"),
          digest:.value.digest, kind:"manifest", children:null}] else null end)}]' "$dir/manifest.json")
    # an instance is present when its <hex>.manifest.json is
    tree=$(jq -c --argjson have "$(cd "$dir" && ls -A | jq -R . | jq -s .)" '
      map(.children |= (if . then map(. + {present:((.digest|ltrimstr("sha256:")) + ".manifest.json" | IN($have[]))}) else . end))' <<<"$tree")
  fi
  # every file a manifest names: instance manifests, configs and layers
  refs=$(jq -r '.images[] | .manifest_file, (.image_id|ltrimstr("sha256:")), (.layers[].digest|ltrimstr("sha256:"))' "$rec" | sort -u | jq -R . | jq -s .)
  files=$(cd "$dir" && ls -A | grep -E '^[a-f0-9]{64}(\.manifest\.json)?$' | jq -R . | jq -s .)
  local diffids
  diffids=$(jq -r '.images[].image_id | ltrimstr("sha256:")' "$rec" | while read -r h; do
    jq -c --arg h "$h" '{($h): .rootfs.diff_ids}' "$dir/$h"; done | jq -s 'add // {}')
  jq --arg name "$name" --argjson tree "$tree" --argjson refs "$refs" --argjson files "$files" --argjson diffids "$diffids" \
     --argjson unref "$(for f in $(jq -r '.[]' <<<"$files"); do jq -e --arg f "$f" 'index($f)' <<<"$refs" >/dev/null ||
       jq -nc --arg f "$f" --arg d "sha256:$(sha "$dir/$f")" '{path:$f, digest:$d}'; done | jq -s .)" '
    (.manifest_json != null) as $ok
    | . + {schema_version:1, fixture:$name, payload:$name}
    | .index_json_digest = null | .oci_index = $tree | .unreferenced_blobs = $unref
    | .images |= (to_entries | map(.key as $i | .value
        | . + {sources:[if .manifest_file == "manifest.json" then "manifest.json" else "manifest.json -> manifests[" + ($i|tostring) + "]" end],
               repo_tags:[], ref_names:[], diff_ids:$diffids[.image_id|ltrimstr("sha256:")], problems:[],
               layers:(.layers | map({path:(.digest|ltrimstr("sha256:")), present:true, stored_digest:.digest, stored_size:.size,
                 compression, diff_id, uncompressed_size}))}))
    | .image_count = (.images | length)
    | .index_digests = (if .index_digest then [.index_digest] else [] end) | .absent_platforms = []
    | .consistent = $ok
    | .problems = (if $ok then [] else [{severity:"error", kind:"not_an_image", where:".",
        message:"no manifest.json: the copy failed before writing it"}] end)' "$rec" >"$rec.new"
  mv "$rec.new" "$rec"
}
for rec in "$OUT/$P"*.expected.json; do shared_format_dir "$rec"; done

echo "gen-skopeo-dir.sh: wrote fixtures to $OUT"
(cd "$OUT" && du -sh --apparent-size -- "$P"* | sort -k2)
