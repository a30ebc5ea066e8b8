# Shared helpers for the testdata/gen-*.sh fixture scripts (bash, sourced).
# The caller sets WORK (a scratch directory) before calling layer_json.

sha() { sha256sum "$1" | cut -d' ' -f1; }
fsize() { stat -c %s "$1"; }
sha_str() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
compression() {
  local m
  m=$(head -c4 "$1" | od -An -tx1 | tr -d ' \n')
  case $m in
    1f8b*) echo gzip ;;
    28b52ffd) echo zstd ;;
    425a68*) echo bzip2 ;;
    fd377a58) echo xz ;;
    *) echo none ;;
  esac
}
decompress() {
  case $(compression "$1") in
    gzip) gzip -dc "$1" ;;
    zstd) zstd -q -dc "$1" ;;
    bzip2) bzip2 -dc "$1" ;;
    xz) xz -dc "$1" ;;
    none) cat "$1" ;;
  esac
}
# layer_json FILE: {digest,size,compression,diff_id,uncompressed_size}
layer_json() {
  local f=$1 c d=null u=null
  c=$(compression "$f")
  if decompress "$f" >"$WORK/dec.tmp" 2>/dev/null; then
    d="\"sha256:$(sha "$WORK/dec.tmp")\""
    u=$(fsize "$WORK/dec.tmp")
  fi
  rm -f "$WORK/dec.tmp"
  jq -n --arg digest "sha256:$(sha "$f")" --argjson size "$(fsize "$f")" \
    --arg c "$c" --argjson d "$d" --argjson u "$u" \
    '{digest:$digest,size:$size,compression:$c,diff_id:$d,uncompressed_size:$u}'
}

