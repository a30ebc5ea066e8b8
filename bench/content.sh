#!/usr/bin/env bash
# bench/content.sh: what reading layer contents costs verify, and
# tardigest's content commands against dive (issue 13).
#
#   bench/content.sh build         build bench/work/content/: the content image
#                                  (~1 GB, 8 layers, ~51,000 files) and two
#                                  images of a million one-byte files (one
#                                  gzip layer; four); needs ~4 GiB and ~6 min
#   bench/content.sh run [ROUNDS]  interleaved rounds (default 3): verify with
#                                  content facts against the tardigest of
#                                  BASE_REF (without them) on bench/run.sh's
#                                  five formats (run bench/run.sh build first)
#                                  and on the images above; waste and ls -R
#                                  against dive --ci on the content image
#
# Environment: BASE_REF, the commit of the tardigest without content facts
# (default 41a6e6f: main before layer contents were read); DIVE, the dive
# binary (default: dive on PATH; without it dive is skipped, with a note);
# BENCH_SKIP, tools to leave out (base, nocontent, dive, gzip). See
# bench/README.md.
set -euo pipefail
# shellcheck source=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh" # generators and helpers
CONTENT_VERSION=2 # bump when the recipe below changes
BASE_REF=${BASE_REF:-41a6e6f}
CD=$WORK/content

# The content image, bottom to top (MiB): overwritten, deleted and hidden
# files included, for waste to find. Generators are run.sh's, seeded.
layer_1() { # base OS: 8 libraries of 5 MiB, 3,000 docs
	local i
	mkdir -p "$1/usr/lib/x86_64-linux-gnu" "$1/usr/share/doc" "$1/etc"
	for i in 1 2 3 4 5 6 7 8; do gen_bin $((1100 + i)) "$(mib 5)" "$1/usr/lib/x86_64-linux-gnu/libbase$i.so.1"; done
	gen_tree 1109 "$1/usr/share/doc" 3000 8192 txt
	printf 'NAME="Bench Linux"\nID=bench\nVERSION_ID=13\nPRETTY_NAME="Bench Linux 13"\n' >"$1/etc/os-release"
}
layer_2() { # packages: 36,000 small files; a pip cache of 5,000 (deleted by layer 6)
	gen_tree 1200 "$1/usr/lib/python3/dist-packages" 36000 2048 py
	gen_tree 1201 "$1/var/cache/pip" 5000 4096 cache
}
layer_3() { # data: one 200 MiB file (overwritten by layer 6)
	mkdir -p "$1/srv/data"
	gen_bin 1300 "$(mib 200)" "$1/srv/data/big.db"
}
layer_4() { # model weights: 4 incompressible files of 64 MiB
	local i
	mkdir -p "$1/models"
	for i in 1 2 3 4; do gen_random $((1400 + i)) "$(mib 64)" "$1/models/part-$i.safetensors"; done
}
layer_5() { # application: 2 binaries of 40 MiB, 5,000 assets, 2,000 plugins (hidden by layer 7)
	local i
	mkdir -p "$1/opt/app/bin"
	for i in 1 2; do gen_bin $((1500 + i)) "$(mib 40)" "$1/opt/app/bin/app$i"; done
	gen_tree 1503 "$1/opt/app/assets" 5000 2048 txt
	gen_tree 1504 "$1/opt/app/plugins" 2000 8192 so
}
layer_6() { # update: big.db rewritten, the pip cache deleted (a whiteout)
	mkdir -p "$1/srv/data" "$1/var/cache"
	gen_bin 1600 "$(mib 200)" "$1/srv/data/big.db"
	: >"$1/var/cache/.wh.pip"
}
layer_7() { # plugins replaced: an opaque directory and 500 new plugins
	gen_tree 1700 "$1/opt/app/plugins" 500 8192 so
	: >"$1/opt/app/plugins/.wh..wh..opq"
}
layer_8() { # configuration: 50 small files
	gen_tree 1800 "$1/etc/app" 50 1024 conf
}
LAYER_NAMES=(- base-os packages data model-weights application update plugins config)

# gz_oci DIR LAYER.tar.gz...: an OCI layout of gzip layers, by hand.
gz_oci() {
	local out=$1 l d s diff diffs='' layers='' sep='' cfg cd cs man md ms
	shift
	rm -rf "$out" && mkdir -p "$out/blobs/sha256"
	for l in "$@"; do
		d=$(sha "$l") s=$(stat -c %s "$l") diff=$(gzip -dc "$l" | sha256sum | cut -d' ' -f1)
		mv "$l" "$out/blobs/sha256/$d"
		diffs+="$sep\"sha256:$diff\""
		layers+="$sep{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$s}"
		sep=,
	done
	cfg="{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"$json_created\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diffs]}}"
	printf '%s' "$cfg" >"$out/cfg" && cd=$(sha "$out/cfg") cs=$(stat -c %s "$out/cfg") && mv "$out/cfg" "$out/blobs/sha256/$cd"
	man="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd\",\"size\":$cs},\"layers\":[$layers]}"
	printf '%s' "$man" >"$out/man" && md=$(sha "$out/man") ms=$(stat -c %s "$out/man") && mv "$out/man" "$out/blobs/sha256/$md"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' "$md" "$ms" >"$out/index.json"
}

cmd_cbuild() {
	need skopeo openssl perl go gzip
	local stamp="content version=$CONTENT_VERSION" t0=$SECONDS n
	if [[ -f $CD/.built && $(cat "$CD/.built") == "$stamp" ]]; then
		log "$CD is built ($stamp): nothing to do"
		return 0
	fi
	rm -rf "$CD" && mkdir -p "$CD"
	SCALE=1 SRC=$CD/src TARS=$CD/tars BASE=$CD/base
	mkdir -p "$SRC" "$TARS"
	for n in 1 2 3 4 5 6 7 8; do make_layer "$n" "${LAYER_NAMES[n]}"; done
	assemble_oci
	rm -rf "$SRC" "$TARS"
	log "skopeo: docker-archive of the content image"
	skopeo copy --insecure-policy -q "oci:$BASE:bench" "docker-archive:$CD/content.tar:tardigest/content:latest"
	rm -rf "$BASE"
	(cd "$REPO" && go build -o "$CD/tarfiles" ./bench/tarfiles)
	log "one gzip layer of 1,000,000 one-byte files"
	"$CD/tarfiles" -files 1000000 -size 1 -prefix usr/share/tiny | gzip -1 -n >"$CD/m1.tar.gz"
	gz_oci "$CD/million-1" "$CD/m1.tar.gz"
	log "four gzip layers of 250,000 one-byte files"
	for n in 1 2 3 4; do "$CD/tarfiles" -files 250000 -size 1 -prefix "usr/share/tiny$n" | gzip -1 -n >"$CD/m4-$n.tar.gz"; done
	gz_oci "$CD/million-4" "$CD"/m4-{1,2,3,4}.tar.gz
	log "skopeo: docker-archive of the four layers, for dive"
	skopeo copy --insecure-policy -q "oci:$CD/million-4:bench" "docker-archive:$CD/million-4.tar:tardigest/million:latest"
	printf 'rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: disabled\n  highestUserWastedPercent: disabled\n' >"$CD/no-rules.yaml"
	echo "$stamp" >"$CD/.built"
	log "built $CD in $((SECONDS - t0)) s"
	(cd "$CD" && du -sh --apparent-size content.tar million-1 million-4) >&2
}

# ---------------------------------------------------------------- run
# Targets: the five formats of run.sh, then this script's images.
CTARGETS=(docker.tar oci-gzip oci-gzip.tar oci-zstd docker.tar.gz content.tar million-1 million-4 million-4.tar)

ctools() {
	local t out=()
	for t in $(case $1 in
		content.tar | million-4.tar) echo tardigest base nocontent waste ls dive ;;
		million-1) echo tardigest base nocontent waste ls gzip gzsha ;;
		million-4) echo tardigest base nocontent waste ls ;;
		*) echo tardigest base nocontent ;;
		esac); do
		[[ " ${BENCH_SKIP:-} " == *" $t "* ]] || out+=("$t")
	done
	echo "${out[*]}"
}

cpath() {
	case $1 in
	content.tar | million-*) echo "$CD/$1" ;;
	*) echo "$(scale_dir 1)/$1" ;;
	esac
}

# first_layer LAYOUT: the blob of the first layer of an OCI layout's first
# image.
first_layer() {
	local m
	m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
	echo "$1/blobs/sha256/$(jq -r '.layers[0].digest' "$1/blobs/sha256/$m" | cut -d: -f2)"
}

# ccommand TARGET TOOL: the shell command timed for one run.
ccommand() {
	local a
	a=$(cpath "$1")
	case $2 in
	tardigest) echo "'$TARDIGEST' verify '$a'" ;;
	base) echo "'$BASE_BIN' verify '$a'" ;;
	nocontent) echo "'$TARDIGEST' images -q '$a'" ;; # the same pass, contents skipped
	waste) echo "'$TARDIGEST' waste --ci-config '$CD/no-rules.yaml' '$a'" ;;
	ls) echo "'$TARDIGEST' ls -R '$a'" ;;
	dive) echo "cd '$CD' && CI=true '$DIVE' --source docker-archive '$a' --ci --ci-config '$CD/no-rules.yaml'" ;;
	gzip) echo "gzip -dc '$(first_layer "$a")'" ;;
	gzsha) echo "gzip -dc '$(first_layer "$a")' | openssl dgst -sha256" ;;
	esac
}

ctimed() {
	local f=$1 t=$2 r=$3 cmd rc=0 tf=$WORK/tmp/time ef=$WORK/tmp/stderr wall user sys rss
	cmd=$(ccommand "$f" "$t")
	/usr/bin/time -f '%e %U %S %M' -o "$tf" bash -o pipefail -c "$cmd" >/dev/null 2>"$ef" || rc=$?
	read -r wall user sys rss < <(tail -n 1 "$tf")
	((rc == 0)) || log "round $r $f $t: exit $rc: $(grep -v '^Command exited' "$ef" | tail -n 3 | tr '\n' ' ')"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$f" "$t" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')" "$rss" "$rc" >>"$RESULTS"
}

csetup() {
	need /usr/bin/time go jq gzip
	mkdir -p "$BIN" "$WORK/tmp"
	TARDIGEST=${TARDIGEST:-$BIN/tardigest}
	[[ $TARDIGEST == "$BIN/tardigest" ]] && (cd "$REPO" && go build -o "$BIN/tardigest" ./cmd/tardigest)
	BASE_BIN=$BIN/tardigest-base-$BASE_REF
	if [[ ! -x $BASE_BIN ]]; then
		local src=$WORK/tmp/base-src
		rm -rf "$src" && mkdir -p "$src"
		(cd "$REPO" && git archive "$BASE_REF" | tar -x -C "$src")
		(cd "$src" && go build -o "$BASE_BIN" ./cmd/tardigest)
		rm -rf "$src"
	fi
	DIVE=${DIVE:-$(command -v dive || true)}
	if [[ -z $DIVE ]]; then
		BENCH_SKIP="${BENCH_SKIP:-} dive"
		DIVE_NOTE="dive not installed: skipped (GOBIN=\$(mktemp -d) go install github.com/wagoodman/dive@v0.13.1, then DIVE=\$GOBIN/dive)"
	fi
}

cmd_crun() {
	local rounds=${1:-3} t0=$SECONDS r f t i k all=() stamp rev
	[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
	[[ -f $CD/.built ]] || die "run bench/content.sh build first"
	[[ -f $(scale_dir 1)/.built ]] || die "run bench/run.sh build first (the five formats at SCALE 1)"
	DIVE_NOTE=''
	csetup
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	RESULTS=$WORK/content-$stamp.tsv
	printf 'round\ttarget\ttool\twall_s\tcpu_s\tmaxrss_kib\texit\n' >"$RESULTS"
	rev=$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
	[[ -n $(cd "$REPO" && git status --porcelain -- '*.go' 2>/dev/null) ]] && rev+="+dirty"
	echo "bench/content.sh run $rounds: tardigest $rev against $BASE_REF (base); ${DIVE:+dive $DIVE}${DIVE_NOTE}"
	echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	for f in "${CTARGETS[@]}"; do
		find "$(cpath "$f")" -type f -print0 | xargs -0 cat >/dev/null # page cache
		for t in $(ctools "$f"); do all+=("$f $t"); done
	done
	for ((r = 1; r <= rounds; r++)); do
		for ((i = 0; i < ${#all[@]}; i++)); do
			k=$(((i + (r - 1) * 3) % ${#all[@]}))
			read -r f t <<<"${all[k]}"
			ctimed "$f" "$t" "$r"
		done
		log "round $r/$rounds done ($((SECONDS - t0)) s)"
	done
	echo "rounds: $rounds, interleaved; medians; RSS the maximum; took $((SECONDS - t0)) s; load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	creport
	echo "raw results: ${RESULTS#"$REPO"/}"
}

ccol() { awk -F'\t' -v f="$1" -v t="$2" -v c="$3" '$2==f && $3==t && $7==0 {print $c}' "$RESULTS"; }

# creport: per target, each tool's medians and its ratios to tardigest
# verify (wall and CPU), with the targets of issue 13.
creport() {
	local f t w c m tw tc note
	for f in "${CTARGETS[@]}"; do
		echo
		echo "$f: $(du -sh --apparent-size "$(cpath "$f")" | cut -f1)"
		printf '  %-10s %8s %8s %8s %9s %9s  %s\n' tool "wall s" "CPU s" "RSS MiB" "wall/td" "CPU/td" "note"
		tw=$(ccol "$f" tardigest 4 | median) tc=$(ccol "$f" tardigest 5 | median)
		for t in $(ctools "$f"); do
			w=$(ccol "$f" "$t" 4 | median) c=$(ccol "$f" "$t" 5 | median)
			m=$(ccol "$f" "$t" 6 | sort -n | tail -n 1 | awk '{printf "%.0f", $1/1024}')
			note=''
			case $f/$t in
			*/tardigest) note="verify, content facts read" ;;
			*/base) note=$(awk -v w="$w" -v b="$tw" -v c="$c" -v bc="$tc" 'BEGIN{printf "verify without them: td/base %.3f wall, %.3f CPU (issue 13: <= 1.05)", b/w, bc/c}') ;;
			*/nocontent) note=$(awk -v w="$w" -v b="$tw" -v c="$c" -v bc="$tc" 'BEGIN{printf "images -q, same binary, contents skipped: td/this %.3f wall, %.3f CPU", b/w, bc/c}') ;;
			*/gzip) note="gzip -dc of the layer: its decompression" ;;
			*/gzsha) note="gzip -dc | openssl dgst -sha256: decompression and diffID" ;;
			*/waste | */ls) note="$t" ;;
			*/dive) note=$(dive_note "$f") ;;
			esac
			[[ $f == million-* && $t =~ ^(tardigest|waste|ls)$ ]] && note+=$(awk -v m="$m" 'BEGIN{printf "; RSS < 256 MiB: %s", (m<256?"met":"MISSED")}')
			awk -v l="$t" -v w="$w" -v c="$c" -v m="$m" -v tw="$tw" -v tc="$tc" -v note="$note" 'BEGIN{
				rw = (tw > 0 && w != "nan") ? sprintf("%.2f", w / tw) : "-"
				rc = (tc > 0 && c != "nan") ? sprintf("%.2f", c / tc) : "-"
				printf "  %-10s %8.2f %8.2f %8s %9s %9s  %s\n", l, w, c, m, rw, rc, note }'
		done
	done
	[[ -n ${DIVE_NOTE:-} ]] && echo && echo "$DIVE_NOTE"
	return 0
}

# dive_note TARGET: dive against waste and ls, in wall and CPU time, with
# the targets of issue 13.
dive_note() {
	local f=$1 dw dc dm ww wc wm lw lc lm
	dw=$(ccol "$f" dive 4 | median) dc=$(ccol "$f" dive 5 | median) dm=$(ccol "$f" dive 6 | sort -n | tail -n 1)
	ww=$(ccol "$f" waste 4 | median) wc=$(ccol "$f" waste 5 | median) wm=$(ccol "$f" waste 6 | sort -n | tail -n 1)
	lw=$(ccol "$f" ls 4 | median) lc=$(ccol "$f" ls 5 | median) lm=$(ccol "$f" ls 6 | sort -n | tail -n 1)
	awk -v dw="$dw" -v dc="$dc" -v dm="$dm" -v ww="$ww" -v wc="$wc" -v wm="$wm" -v lw="$lw" -v lc="$lc" -v lm="$lm" 'BEGIN{
		printf "dive/waste %.1fx wall %.1fx CPU, dive/ls %.1fx %.1fx (>= 100: %s); RSS waste/dive %.2f, ls/dive %.2f (<= 0.5: %s)",
			dw/ww, dc/wc, dw/lw, dc/lc, (dw/ww >= 100 && dw/lw >= 100 ? "met" : "MISSED"), wm/dm, lm/dm, (wm/dm <= 0.5 && lm/dm <= 0.5 ? "met" : "MISSED") }'
}

case ${1:-} in
build) shift && cmd_cbuild "$@" ;;
run) shift && cmd_crun "$@" ;;
*) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2 && exit 2 ;;
esac
