#!/usr/bin/env bash
# Regenerates testdata/artifacts/: OCI layouts carrying cosign signatures,
# attestations and SBOMs and OCI 1.1 referrers (issue 15), saved the ways
# users save them, plus RESULTS.md (what cosign, oras and regctl say about
# each layout, with exit codes) and one <layout>.expected.json per layout
# computed with sha256sum, base64 -d and jq.
#
# Needs: the Debian packages skopeo jq curl openssl, go, and in $FIXBIN (default
# /tmp/fixbin; never committed):
#   GOBIN=/tmp/fixbin go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
#   GOBIN=/tmp/fixbin go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
#   GOBIN=/tmp/fixbin go install oras.land/oras/cmd/oras@v1.3.6
#   GOBIN=/tmp/fixbin go install github.com/regclient/regclient/cmd/regctl@v0.11.7
# A throwaway in-memory `crane registry serve` runs on 127.0.0.1:$PORT
# (default 5078) and is stopped on exit; the tools get a scratch HOME.
# Not run by CI.
#
# Not byte-reproducible: ECDSA signatures are randomised, cosign stamps
# signing times into attestations, and oras/regctl stamp creation times.
# The images, their digests and the keys (kept in keys/ once made) are
# stable. A test must read digests from the expected.json files.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/artifacts
FIXBIN=${FIXBIN:-/tmp/fixbin}
PORT=${PORT:-5078}
R=127.0.0.1:$PORT
CRANE=$FIXBIN/crane COSIGN=$FIXBIN/cosign ORAS=$FIXBIN/oras REGCTL=$FIXBIN/regctl
for t in skopeo jq curl openssl go sha256sum base64 "$CRANE" "$COSIGN" "$ORAS" "$REGCTL"; do
  command -v "$t" >/dev/null || { echo "gen-artifacts.sh: missing tool: $t" >&2; exit 1; }
done

WORK=$(mktemp -d)
REGPID=
cleanup() {
  [[ -n $REGPID ]] && kill "$REGPID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
export HOME=$WORK/home DOCKER_CONFIG=$WORK/home/.docker
mkdir -p "$HOME"
export COSIGN_PASSWORD=""
# shellcheck source=fixture-lib.sh
source "$HERE/fixture-lib.sh"

mkdir -p "$OUT/keys"
find "$OUT" -mindepth 1 -maxdepth 1 ! -name README.md ! -name keys -exec rm -rf {} +
printf '* -text\n' >"$OUT/.gitattributes"

"$CRANE" registry serve --address "$R" >"$WORK/registry.log" 2>&1 &
REGPID=$!
for _ in $(seq 50); do curl -fs "http://$R/v2/" >/dev/null && break; sleep 0.1; done
CR=("$CRANE" --insecure)
CO_REG=(--allow-insecure-registry)
"$REGCTL" registry set --tls disabled "$R" >/dev/null

# ------------------------------------------------------------ 1. test keys
# THROWAWAY TEST KEYS: plain PKCS#8 PEM made with openssl (so Go tests can
# sign more cases with the standard library) and the same keys imported into
# cosign's encrypted format with an empty password.
K=$OUT/keys
[[ -f $K/test-ecdsa-p256.pem ]] ||
  openssl ecparam -genkey -name prime256v1 -noout | openssl pkcs8 -topk8 -nocrypt -out "$K/test-ecdsa-p256.pem"
[[ -f $K/test-ed25519.pem ]] || openssl genpkey -algorithm ed25519 -out "$K/test-ed25519.pem"
if [[ ! -f $K/cosign.key ]]; then
  (cd "$K" && "$COSIGN" import-key-pair --key test-ecdsa-p256.pem --output-key-prefix cosign >/dev/null)
  (cd "$K" && "$COSIGN" import-key-pair --key test-ed25519.pem --output-key-prefix cosign-ed25519 >/dev/null)
fi
chmod 644 "$K"/*
# An unrelated key, for "signed, but not by this key" checks.
[[ -f $K/other-ecdsa-p256.pub ]] ||
  openssl ecparam -genkey -name prime256v1 -noout | openssl ec -pubout -out "$K/other-ecdsa-p256.pub" 2>/dev/null

# ------------------------------------------------ 2. images in the registry
L=$WORK/layers
mkdir -p "$L"/l1/etc "$L"/l2/app "$L"/l3/app
printf 'signed-fixture\n' >"$L/l1/etc/hostname"
printf 'amd64 app\n' >"$L/l2/app/arch"
printf 'arm64 app\n' >"$L/l3/app/arch"
for i in 1 2 3; do
  (cd "$L/l$i" && find . -exec touch -h -d @0 {} + &&
    tar --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner --sort=name -cf "$L/layer$i.tar" $(ls -A))
done
"${CR[@]}" append --oci-empty-base -f "$L/layer1.tar" -f "$L/layer2.tar" -t "$R/app:tmp-amd64" >/dev/null 2>&1
"${CR[@]}" mutate --set-platform linux/amd64 -t "$R/app:v1" "$R/app:tmp-amd64" >/dev/null 2>&1
"${CR[@]}" append --oci-empty-base -f "$L/layer1.tar" -f "$L/layer3.tar" -t "$R/app:tmp-arm64" >/dev/null 2>&1
"${CR[@]}" mutate --set-platform linux/arm64 -t "$R/app:v1-arm64" "$R/app:tmp-arm64" >/dev/null 2>&1
"${CR[@]}" index append -m "$R/app:v1" -m "$R/app:v1-arm64" -t "$R/app:multi" >/dev/null 2>&1
"${CR[@]}" delete "$R/app:tmp-amd64" >/dev/null 2>&1 || true
"${CR[@]}" delete "$R/app:tmp-arm64" >/dev/null 2>&1 || true
IMG=$("${CR[@]}" digest "$R/app:v1")
ARM=$("${CR[@]}" digest "$R/app:v1-arm64")
IDX=$("${CR[@]}" digest "$R/app:multi")

# ------------------------------------------- 3. sign, attest, attach, refer
P=$WORK/pred
mkdir -p "$P"
jq -n '{builder:{id:"https://tardigest.test/builder@v1"}, buildType:"https://tardigest.test/fixture-build@v1",
        invocation:{configSource:{uri:"git+https://tardigest.test/app@refs/heads/main",digest:{sha1:"0000000000000000000000000000000000000001"}}},
        metadata:{reproducible:true}, materials:[]}' >"$P/provenance.json"
jq -n --arg img "$IMG" '{spdxVersion:"SPDX-2.3", dataLicense:"CC0-1.0", SPDXID:"SPDXRef-DOCUMENT", name:"tardigest-app",
        documentNamespace:"https://tardigest.test/spdx/app-v1",
        creationInfo:{created:"2024-01-01T00:00:00Z", creators:["Tool: hand-written-fixture"]},
        packages:[{SPDXID:"SPDXRef-app", name:"app", versionInfo:"v1", downloadLocation:"NOASSERTION",
                   checksums:[{algorithm:"SHA256", checksumValue:($img|ltrimstr("sha256:"))}]}]}' >"$P/sbom.spdx.json"
printf 'This image is a tardigest test fixture.\n' >"$P/readme.txt"
printf '{"scanner":"tardigest-fixture","findings":0}\n' >"$P/scan.json"

CO_SIGN=("$COSIGN" sign "${CO_REG[@]}" --tlog-upload=false -y)
"${CO_SIGN[@]}" --key "$K/cosign.key" "$R/app@$IMG" >"$WORK/log" 2>&1
"${CO_SIGN[@]}" --key "$K/cosign-ed25519.key" "$R/app@$IMG" >"$WORK/log" 2>&1
"${CO_SIGN[@]}" --key "$K/cosign.key" "$R/app@$IDX" >"$WORK/log" 2>&1
"$COSIGN" attest "${CO_REG[@]}" --tlog-upload=false -y --key "$K/cosign.key" --type slsaprovenance \
  --predicate "$P/provenance.json" "$R/app@$IMG" >"$WORK/log" 2>&1
"$COSIGN" attest "${CO_REG[@]}" --tlog-upload=false -y --key "$K/cosign.key" --type spdxjson \
  --predicate "$P/sbom.spdx.json" "$R/app@$IMG" >"$WORK/log" 2>&1
"$COSIGN" attach sbom "${CO_REG[@]}" --sbom "$P/sbom.spdx.json" --type spdx "$R/app@$IMG" >"$WORK/attach-sbom.log" 2>&1
# OCI 1.1 referrers. crane's registry has no referrers API, so oras and
# regctl fall back to the referrers tag schema (tag sha256-<hex>: an index).
(cd "$P" && "$ORAS" attach --plain-http --artifact-type application/vnd.tardigest.test.readme.v1+txt \
  -a org.opencontainers.image.created=2024-01-01T00:00:00Z \
  "$R/app@$IMG" readme.txt:text/plain >"$WORK/oras-attach.log" 2>&1)
"$REGCTL" artifact put --subject "$R/app@$IMG" --artifact-type application/vnd.tardigest.test.scan.v1+json \
  --file-media-type application/json -f "$P/scan.json" >"$WORK/regctl-put.log" 2>&1
"${CR[@]}" ls "$R/app" >"$WORK/tags"

# ------------------------------------------------------ 4. saved layouts
"$COSIGN" save "${CO_REG[@]}" --dir "$OUT/cosign-save" "$R/app@$IMG" >"$WORK/log" 2>&1
"$COSIGN" save "${CO_REG[@]}" --dir "$OUT/cosign-save-multi" "$R/app@$IDX" >"$WORK/log" 2>&1
"$ORAS" cp -r --from-plain-http "$R/app:v1" --to-oci-layout "$OUT/oras-cp:v1" >"$WORK/log" 2>&1
"$REGCTL" image copy --referrers "$R/app:v1" "ocidir://$OUT/regctl-copy:v1" >"$WORK/log" 2>&1
"$REGCTL" image copy --referrers --digest-tags "$R/app:v1" "ocidir://$OUT/regctl-copy-digest-tags:v1" >"$WORK/log" 2>&1
SKOPEO_LOG=$WORK/skopeo.log
skopeo --policy <(echo '{"default":[{"type":"insecureAcceptAnything"}]}') copy --all --src-tls-verify=false \
  "docker://$R/app:v1" "oci:$OUT/skopeo-oci:v1" >"$SKOPEO_LOG" 2>&1 || true
# Pure OCI 1.1 referrers inside a layout (no registry, no fallback tag):
# oras copies the image alone, then attaches straight into the layout.
"$ORAS" cp --from-plain-http "$R/app:v1" --to-oci-layout "$OUT/oras-layout-attach:v1" >"$WORK/log" 2>&1
(cd "$P" && "$ORAS" attach --oci-layout --artifact-type application/vnd.tardigest.test.readme.v1+txt \
  -a org.opencontainers.image.created=2024-01-01T00:00:00Z \
  "$OUT/oras-layout-attach:v1" readme.txt:text/plain >"$WORK/log" 2>&1)
# The tampered copy: 4 bytes overwritten in the middle of the image's first
# layer blob (the file keeps its name). The signature signs the manifest
# digest, so it is still valid.
cp -a "$OUT/cosign-save" "$OUT/cosign-save-tampered"
TAMPER_LAYER=$(jq -r '.layers[0].digest' "$OUT/cosign-save/blobs/sha256/${IMG#sha256:}")
TB=$OUT/cosign-save-tampered/blobs/sha256/${TAMPER_LAYER#sha256:}
TAMPER_OFF=$(($(fsize "$TB") / 2))
printf 'XXXX' | dd of="$TB" bs=1 seek="$TAMPER_OFF" conv=notrunc status=none

# oras leaves an empty ingest/ work directory in the layouts it writes.
rmdir "$OUT/oras-cp/ingest" "$OUT/oras-layout-attach/ingest" 2>/dev/null || true
"${CR[@]}" ls "$R/app" | sort >"$WORK/tags"
ATTACH_SBOM_LOG=$(sed -e 's/^time="[^"]*" //' -e "s#$R#REGISTRY#g" -e "s#$P/##g" "$WORK/attach-sbom.log")
SKOPEO_OUT=$(sed -e 's/^time="[^"]*" //' -e "s#$R#REGISTRY#g" -e "s#$OUT/##g" "$SKOPEO_LOG")
kill "$REGPID" && REGPID=

# ------------------------------------- 5. what the tools say (RESULTS.md)
# Every command runs in $OUT with paths relative to it. Output is verbatim
# except that the lines cosign prints about failing to reach its TUF mirror
# (no network here) keep only their first words.
RES=$OUT/RESULTS.md
declare -A RC
run() { # KEY COMMAND...: run, record output and exit code
  local key=$1 rc=0
  shift
  (cd "$OUT" && "$@") >"$WORK/run.out" 2>&1 || rc=$?
  RC[$key]=$rc
  sed -i -e 's#\(Could not fetch trusted_root.json from the TUF repository\).*#\1. [rest of line cut: no network]#' \
    -e 's#\(lookup [^ ]*\) on [0-9.:]*: no such host#\1: no such host#g' \
    -e "s#$FIXBIN/##g" "$WORK/run.out"
  {
    printf '```\n$ %s\n' "$(printf '%s ' "$@" | sed -e "s#$FIXBIN/##g" -e 's/ $//')"
    cat "$WORK/run.out"
    printf '[exit code %s]\n```\n\n' "$rc"
  } >>"$RES"
  cp "$WORK/run.out" "$WORK/out-$key"
}
COV=("$COSIGN" verify --offline --insecure-ignore-tlog)
COA=("$COSIGN" verify-attestation --offline --insecure-ignore-tlog)
cat >"$RES" <<HDR
# What cosign, oras and regctl say about each layout

Made by \`../gen-artifacts.sh\`; see README.md for how each layout was
written. The signed image is \`$IMG\` (linux/amd64),
the two-platform index \`$IDX\`.
Tools: cosign v2.6.5, oras 1.3.6, regctl v0.11.7, crane v0.22.1, skopeo 1.9.3.
Output is verbatim, run from this directory, except that cosign's warning
about its TUF mirror is cut after its first words (no network here).

\`--offline\` alone is not enough for these signatures (made with
\`--tlog-upload=false\`, so there is no Rekor bundle): cosign then tries to
fetch Rekor keys from TUF and exits 1 (shown once below).
\`--insecure-ignore-tlog\` is what makes offline key verification work.

Registry tags after signing (crane ls; the registry has no referrers API,
so oras and regctl wrote the referrers tag \`sha256-<hex of the image>\`):

\`\`\`
$(cat "$WORK/tags")
\`\`\`

HDR
LAYOUTS=(cosign-save cosign-save-multi oras-cp regctl-copy regctl-copy-digest-tags skopeo-oci oras-layout-attach cosign-save-tampered)
for L in "${LAYOUTS[@]}"; do
  S=$IMG
  [[ $L == cosign-save-multi ]] && S=$IDX
  printf '## %s\n\n' "$L" >>"$RES"
  [[ $L == cosign-save ]] && run "$L-offline-only" "$COSIGN" verify --offline --key keys/cosign.pub --local-image "$L"
  run "$L-verify" "${COV[@]}" --key keys/cosign.pub --local-image "$L"
  if [[ $L == cosign-save || $L == cosign-save-tampered ]]; then
    run "$L-verify-ed25519" "${COV[@]}" --key keys/cosign-ed25519.pub --local-image "$L"
    run "$L-verify-ed25519-sha512" "${COV[@]}" --signature-digest-algorithm sha512 --key keys/cosign-ed25519.pub --local-image "$L"
    run "$L-verify-other" "${COV[@]}" --key keys/other-ecdsa-p256.pub --local-image "$L"
    run "$L-att-slsa" "${COA[@]}" --key keys/cosign.pub --type slsaprovenance --local-image "$L"
    run "$L-att-spdx" "${COA[@]}" --key keys/cosign.pub --type spdxjson --local-image "$L"
  fi
  run "$L-discover" "$ORAS" discover --oci-layout "$L@$S"
  run "$L-list" "$REGCTL" artifact list "ocidir://$L@$S"
  if [[ $L == cosign-save-tampered ]]; then
    # A tool that reads the layer bytes notices (regctl checks digests on copy).
    run "$L-copy" "$REGCTL" image copy "ocidir://$L@$S" "ocidir://$WORK/tampered-copy"
    sed -i "s#$WORK/##g" "$RES"
  fi
done

{
  printf '## What the producers printed\n\n'
  printf '`cosign attach sbom --sbom sbom.spdx.json --type spdx REGISTRY/app@%s`:\n\n```\n%s\n```\n\n' "$IMG" "$ATTACH_SBOM_LOG"
  printf '`skopeo copy --all docker://REGISTRY/app:v1 oci:skopeo-oci:v1` (exit 0, and it says \`Storing signatures\`, yet the layout holds no .sig/.att/.sbom and no referrer: skopeo looks for cosign attachments only when a registries.d file sets \`use-sigstore-attachments: true\`, which is not set here):\n\n```\n%s\n```\n' "${SKOPEO_OUT:-(no output)}"
} >>"$RES"

# ------------------------------------------- 6. expected values per layout
# Computed from the layout files alone: sha256sum, base64 -d, jq, and
# openssl for every signature (ECDSA: dgst -sha256 -verify over the payload;
# Ed25519: pkeyutl -verify -rawin; attestations: over the DSSE PAE).
blob() { printf '%s/blobs/sha256/%s' "$1" "${2#sha256:}"; }
# OpenSSL 3.0 has no Ed25519ph, which is what cosign 2.6.5 signs with when
# given an Ed25519 key: a 20-line Go program (standard library only, built
# in the scratch directory) checks that variant.
mkdir -p "$WORK/ed25519ph"
cat >"$WORK/ed25519ph/main.go" <<'GO'
// Command ed25519ph exits 0 if SIG (base64) is an Ed25519ph (SHA-512
// prehash, empty context) signature of the file MSG under the PEM key PUB.
package main

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
)

func main() {
	pemBytes, _ := os.ReadFile(os.Args[1])
	block, _ := pem.Decode(pemBytes)
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	pub, ok := key.(ed25519.PublicKey)
	msg, _ := os.ReadFile(os.Args[2])
	sig, _ := base64.StdEncoding.DecodeString(os.Args[3])
	sum := sha512.Sum512(msg)
	if err != nil || !ok || ed25519.VerifyWithOptions(pub, sum[:], sig, &ed25519.Options{Hash: crypto.SHA512}) != nil {
		os.Exit(1)
	}
}
GO
printf 'module ed25519ph\n\ngo 1.22\n' >"$WORK/ed25519ph/go.mod"
(cd "$WORK/ed25519ph" && go build -o "$WORK/ed25519ph-check" .)
# keys_verifying MSGFILE SIGB64: JSON list of {key, algorithm} for every
# keys/ file whose key verifies the signature
keys_verifying() {
  local msg=$1 k
  printf '%s' "$2" | base64 -d >"$WORK/sig.bin" 2>/dev/null || { echo '[]'; return; }
  for k in cosign.pub cosign-ed25519.pub other-ecdsa-p256.pub; do
    if openssl pkey -pubin -in "$K/$k" -noout -text 2>/dev/null | grep -q ED25519; then
      openssl pkeyutl -verify -pubin -inkey "$K/$k" -rawin -in "$msg" -sigfile "$WORK/sig.bin" >/dev/null 2>&1 &&
        echo "{\"key\":\"$k\",\"algorithm\":\"ed25519\"}"
      "$WORK/ed25519ph-check" "$K/$k" "$msg" "$2" && echo "{\"key\":\"$k\",\"algorithm\":\"ed25519ph\"}"
    else
      openssl dgst -sha256 -verify "$K/$k" -signature "$WORK/sig.bin" "$msg" >/dev/null 2>&1 &&
        echo "{\"key\":\"$k\",\"algorithm\":\"ecdsa-p256-sha256\"}"
    fi
  done | jq -s .
}
sig_layers() { # LAYOUT MANIFEST_DIGEST
  local mf n i l pd pf
  mf=$(blob "$1" "$2")
  n=$(jq '.layers|length' "$mf")
  for ((i = 0; i < n; i++)); do
    l=$(jq -c ".layers[$i]" "$mf")
    pd=$(jq -r .digest <<<"$l")
    pf=$(blob "$1" "$pd")
    [[ "sha256:$(sha "$pf")" == "$pd" ]]
    jq -n --arg pd "$pd" --argjson ps "$(fsize "$pf")" --slurpfile p "$pf" --argjson l "$l" \
      --argjson by "$(keys_verifying "$pf" "$(jq -r '.annotations["dev.cosignproject.cosign/signature"]' <<<"$l")")" \
      '{payload_digest:$pd, payload_size:$ps, media_type:$l.mediaType,
        docker_manifest_digest:$p[0].critical.image["docker-manifest-digest"],
        docker_reference:$p[0].critical.identity["docker-reference"], type:$p[0].critical.type,
        signature:$l.annotations["dev.cosignproject.cosign/signature"], verified_by:$by}'
  done | jq -s .
}
att_layers() { # LAYOUT MANIFEST_DIGEST
  local mf n i l ed ef pt
  mf=$(blob "$1" "$2")
  n=$(jq '.layers|length' "$mf")
  for ((i = 0; i < n; i++)); do
    l=$(jq -c ".layers[$i]" "$mf")
    ed=$(jq -r .digest <<<"$l")
    ef=$(blob "$1" "$ed")
    [[ "sha256:$(sha "$ef")" == "$ed" ]]
    jq -r .payload "$ef" | base64 -d >"$WORK/stmt.json"
    pt=$(jq -r .payloadType "$ef")
    printf 'DSSEv1 %d %s %d ' "${#pt}" "$pt" "$(fsize "$WORK/stmt.json")" >"$WORK/pae"
    cat "$WORK/stmt.json" >>"$WORK/pae"
    jq -n --arg ed "$ed" --argjson l "$l" --arg pt "$pt" --slurpfile s "$WORK/stmt.json" \
      --arg sd "sha256:$(sha "$WORK/stmt.json")" \
      --argjson by "$(keys_verifying "$WORK/pae" "$(jq -r '.signatures[0].sig' "$ef")")" \
      '{envelope_digest:$ed, media_type:$l.mediaType, predicate_type_annotation:$l.annotations.predicateType,
        payload_type:$pt, statement_digest:$sd, statement_type:$s[0]._type, predicate_type:$s[0].predicateType,
        subjects:[$s[0].subject[] | {name, digest:("sha256:" + .digest.sha256)}], verified_by:$by}'
  done | jq -s .
}
image_entry() { # LAYOUT MANIFEST_DIGEST
  local mf cfg layers
  mf=$(blob "$1" "$2")
  if jq -e '.manifests' "$mf" >/dev/null; then
    jq -n --arg d "$2" --argjson m "$(jq -c '[.manifests[] | {digest, platform}]' "$mf")" \
      '{manifest_digest:$d, kind:"index", manifests:$m}'
    return
  fi
  cfg=$(blob "$1" "$(jq -r .config.digest "$mf")")
  layers=$(for h in $(jq -r '.layers[].digest' "$mf"); do
    layer_json "$(blob "$1" "$h")" | jq --arg c "$h" '{claimed_digest:$c} + .'
  done | jq -s .)
  jq -n --arg d "$2" --arg id "sha256:$(sha "$cfg")" --argjson layers "$layers" \
    '{manifest_digest:$d, kind:"image", image_id:$id, layers:$layers}'
}
referrer_entry() { # LAYOUT MANIFEST_DIGEST FOUND_VIA
  jq -c --arg d "$2" --arg via "$3" \
    '{manifest_digest:$d, artifact_type:(.artifactType // .config.mediaType), subject:.subject.digest,
      layers:[.layers[] | {digest, mediaType}], found_via:$via}' "$(blob "$1" "$2")"
}
# classify LAYOUT: one JSON line per manifest reachable from index.json
classify() {
  local L=$1 desc d mt ref kind mf c sub
  while read -r desc; do
    d=$(jq -r .digest <<<"$desc")
    mt=$(jq -r .mediaType <<<"$desc")
    ref=$(jq -r '.annotations["org.opencontainers.image.ref.name"] // ""' <<<"$desc")
    kind=$(jq -r '.annotations.kind // ""' <<<"$desc")
    mf=$(blob "$L" "$d")
    [[ "sha256:$(sha "$mf")" == "$d" ]]
    if [[ $ref =~ ^sha256-([0-9a-f]{64})$ ]]; then
      for c in $(jq -r '.manifests[].digest' "$mf"); do
        echo "{\"referrer\":$(referrer_entry "$L" "$c" "fallback tag index $ref ($d)")}"
      done
    elif [[ $ref =~ ^sha256-([0-9a-f]{64})\.(sig|att|sbom)$ ]]; then
      echo "{\"cosign\":{\"kind\":\"${BASH_REMATCH[2]}\",\"manifest_digest\":\"$d\",\"subject\":\"sha256:${BASH_REMATCH[1]}\",\"found_via\":\"tag $ref\"}}"
    elif [[ $kind == dev.cosignproject.cosign/sigs || $kind == dev.cosignproject.cosign/atts || $kind == dev.cosignproject.cosign/sboms ]]; then
      sub=${kind#dev.cosignproject.cosign/}
      echo "{\"cosign\":{\"kind\":\"${sub%s}\",\"manifest_digest\":\"$d\",\"subject\":null,\"found_via\":\"cosign save annotation kind=$kind (no subject, no tag: the layout's one image is implied)\"}}"
    elif jq -e .subject "$mf" >/dev/null; then
      echo "{\"referrer\":$(referrer_entry "$L" "$d" "index.json entry (subject field)")}"
    else
      echo "{\"image\":$(image_entry "$L" "$d"),\"ref_name\":$(jq -n --arg r "$ref" 'if $r=="" then null else $r end')}"
    fi
  done < <(jq -c '.manifests[]' "$L/index.json")
}
discovered() { # KEY: digests a tool listed (oras tree lines / regctl Digest: lines)
  grep -oE 'sha256:[0-9a-f]{64}' "$WORK/out-$1" | grep -v -e "$IMG" -e "$IDX" | sort -u | jq -R . | jq -s .
}
declare -A MADE_BY=(
  [cosign-save]="cosign save --allow-insecure-registry --dir cosign-save REGISTRY/app@$IMG"
  [cosign-save-multi]="cosign save --allow-insecure-registry --dir cosign-save-multi REGISTRY/app@$IDX"
  [cosign-save-tampered]="cp -a cosign-save cosign-save-tampered; 4 bytes XXXX written at the middle of the first layer blob"
  [oras-cp]="oras cp -r --from-plain-http REGISTRY/app:v1 --to-oci-layout oras-cp:v1"
  [regctl-copy]="regctl image copy --referrers REGISTRY/app:v1 ocidir://regctl-copy:v1"
  [regctl-copy-digest-tags]="regctl image copy --referrers --digest-tags REGISTRY/app:v1 ocidir://regctl-copy-digest-tags:v1"
  [skopeo-oci]="skopeo copy --all --src-tls-verify=false docker://REGISTRY/app:v1 oci:skopeo-oci:v1"
  [oras-layout-attach]="oras cp --from-plain-http REGISTRY/app:v1 --to-oci-layout oras-layout-attach:v1; oras attach --oci-layout --artifact-type application/vnd.tardigest.test.readme.v1+txt -a org.opencontainers.image.created=2024-01-01T00:00:00Z oras-layout-attach:v1 readme.txt:text/plain"
)
for L in "${LAYOUTS[@]}"; do
  S=$IMG
  [[ $L == cosign-save-multi ]] && S=$IDX
  classify "$OUT/$L" >"$WORK/cls"
  sigs=$(jq -c 'select(.cosign.kind=="sig") | .cosign' "$WORK/cls" | while read -r c; do
    jq -c --argjson l "$(sig_layers "$OUT/$L" "$(jq -r .manifest_digest <<<"$c")")" '. + {layers:$l}' <<<"$c"
  done | jq -s .)
  atts=$(jq -c 'select(.cosign.kind=="att") | .cosign' "$WORK/cls" | while read -r c; do
    jq -c --argjson l "$(att_layers "$OUT/$L" "$(jq -r .manifest_digest <<<"$c")")" '. + {layers:$l}' <<<"$c"
  done | jq -s .)
  sboms=$(jq -c 'select(.cosign.kind=="sbom") | .cosign' "$WORK/cls" | while read -r c; do
    jq -c --argjson l "$(jq -c '[.layers[] | {digest, mediaType, size}]' "$(blob "$OUT/$L" "$(jq -r .manifest_digest <<<"$c")")")" \
      '. + {layers:$l}' <<<"$c"
  done | jq -s .)
  extra='{}'
  if [[ $L == cosign-save-tampered ]]; then
    extra=$(jq -n --arg c "$TAMPER_LAYER" --arg a "sha256:$(sha "$TB")" --argjson off "$TAMPER_OFF" \
      '{expect:"mismatch", broken:("4 bytes XXXX written at offset " + ($off|tostring) + " of the first layer blob of the signed image; the blob keeps its name; every signature still verifies (it signs the manifest digest)"),
        mismatches:[{what:"layer_digest", layer:0, claimed:$c, actual:$a}]}')
  fi
  if [[ $L == cosign-save-multi ]]; then
    extra=$(jq -n --arg amd "$IMG" --arg arm "$ARM" '{children:{"linux/amd64":$amd, "linux/arm64":$arm},
      note:"cosign save of an index saves the index, its children and the index signature; the amd64 child signatures and attestations are not saved"}')
  fi
  jq -n --arg l "$L" --arg made "${MADE_BY[$L]}" --arg subj "$S" --slurpfile cls "$WORK/cls" \
    --argjson sigs "$sigs" --argjson atts "$atts" --argjson sboms "$sboms" \
    --argjson cv "${RC[$L-verify]}" --argjson od "$(discovered "$L-discover")" --argjson rl "$(discovered "$L-list")" \
    --argjson ode "${RC[$L-discover]}" --argjson rle "${RC[$L-list]}" --argjson extra "$extra" \
    '{layout:$l, made_by:$made, subject:$subj,
      index_json_ref_names:[$cls[] | select(.ref_name) | .ref_name],
      images:[$cls[] | select(.image) | .image + {ref_name}],
      signatures:$sigs, attestations:$atts, sboms:$sboms,
      referrers:[$cls[] | select(.referrer) | .referrer],
      tools:{cosign_verify_exit:$cv, oras_discover:{exit:$ode, referrers:$od}, regctl_artifact_list:{exit:$rle, referrers:$rl}}} + $extra' \
    >"$OUT/$L.expected.json"
done
# The public half of the registry image digest and identity, for tests.
jq -n --arg img "$IMG" --arg arm "$ARM" --arg idx "$IDX" --arg reg "$R" \
  '{image:$img, image_arm64:$arm, index:$idx, docker_reference:($reg + "/app")}' >"$OUT/digests.json"

echo "gen-artifacts.sh: wrote fixtures to $OUT"
(cd "$OUT" && du -sh --apparent-size -- * | sort -k2)
