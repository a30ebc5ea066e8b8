#!/usr/bin/env bash
# bench/diff.sh: the bench pair of issue 14 and `tardigest diff` timed
# against verifying both archives.
#
#   bench/diff.sh build [SCALE]    make bench/work/scale-SCALE/diff-v2: the bench image
#                                  (bench/run.sh build SCALE, OCI directory with gzip
#                                  layers, oci-gzip/) with layer 7 (config, 50 small
#                                  files) rebuilt with one file changed; new config,
#                                  manifest and index; every other blob shared
#   bench/diff.sh run [ROUNDS]     interleaved rounds (default 5) on BENCH_SCALE
#                                  (default 1) of: tardigest diff v1 v2; tardigest
#                                  verify v1 then verify v2. Prints medians, CPU time
#                                  and peak RSS, and the ratio diff / verify-both.
#
# container-diff (archived upstream) is not installed here and not built:
# its comparison is left out, with this note.
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
WORK=$BENCH_DIR/work

die() { echo "bench: $*" >&2; exit 2; }
log() { echo "bench: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

cmd_build() {
	local scale=${1:-1} out v1 v2 tmp man cfg l7 old new dig size cfgd cfgs mand mans
	"$BENCH_DIR/run.sh" build "$scale"
	out=$WORK/scale-$scale v1=$WORK/scale-$scale/oci-gzip v2=$WORK/scale-$scale/diff-v2
	command -v jq >/dev/null || die "jq is needed"
	rm -rf "$v2" && mkdir -p "$v2/blobs/sha256"
	# Hard links: the shared blobs are the same files, as on a far side
	# that kept them.
	cp -l "$v1"/blobs/sha256/* "$v2/blobs/sha256/"
	cp "$v1/oci-layout" "$v2/"
	man=$(jq -r '.manifests[0].digest' "$v1/index.json" | cut -d: -f2)
	cfg=$(jq -r '.config.digest' "$v1/blobs/sha256/$man" | cut -d: -f2)
	l7=$(jq -r '.layers[6].digest' "$v1/blobs/sha256/$man" | cut -d: -f2)
	old=$(jq -r '.rootfs.diff_ids[6]' "$v1/blobs/sha256/$cfg")
	tmp=$(mktemp -d "$WORK/diff-tmp.XXXXXX")
	mkdir "$tmp/root"
	gzip -dc "$v1/blobs/sha256/$l7" | tar -x -C "$tmp/root"
	# The change: one small file rewritten (release 2), one added.
	local f
	f=$(cd "$tmp/root" && find . -type f | sort | head -1)
	printf 'release 2\n' >>"$tmp/root/$f"
	printf 'added in release 2\n' >"$tmp/root/${f%/*}/RELEASE-2"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$tmp/root" -cf "$tmp/l7.tar" .
	new=sha256:$(sha "$tmp/l7.tar")
	pigz -n -c "$tmp/l7.tar" >"$tmp/l7.gz"
	dig=$(sha "$tmp/l7.gz") size=$(stat -c %s "$tmp/l7.gz")
	mv "$tmp/l7.gz" "$v2/blobs/sha256/$dig"
	jq -c --arg old "$old" --arg new "$new" '.rootfs.diff_ids |= map(if . == $old then $new else . end)' \
		"$v1/blobs/sha256/$cfg" | tr -d '\n' >"$tmp/cfg"
	cfgd=$(sha "$tmp/cfg") cfgs=$(stat -c %s "$tmp/cfg")
	mv "$tmp/cfg" "$v2/blobs/sha256/$cfgd"
	jq -c --arg d "sha256:$dig" --argjson s "$size" --arg cd "sha256:$cfgd" --argjson cs "$cfgs" \
		'.layers[6].digest = $d | .layers[6].size = $s | .config.digest = $cd | .config.size = $cs' \
		"$v1/blobs/sha256/$man" | tr -d '\n' >"$tmp/man"
	mand=$(sha "$tmp/man") mans=$(stat -c %s "$tmp/man")
	mv "$tmp/man" "$v2/blobs/sha256/$mand"
	rm -f "$v2/blobs/sha256/$man" "$v2/blobs/sha256/$cfg" "$v2/blobs/sha256/$l7"
	jq -c --arg d "sha256:$mand" --argjson s "$mans" '.manifests[0].digest = $d | .manifests[0].size = $s' \
		"$v1/index.json" | tr -d '\n' >"$v2/index.json"
	rm -rf "$tmp"
	log "built $v2: layer 7 $old -> $new ($f changed, RELEASE-2 added)"
}

# median of the numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END{if(NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

cmd_run() {
	local rounds=${1:-5} scale=${BENCH_SCALE:-1} out bin r res
	out=$WORK/scale-$scale
	[[ -d $out/diff-v2 ]] || die "run 'bench/diff.sh build $scale' first"
	mkdir -p "$WORK/bin"
	bin=$WORK/bin/tardigest-diff
	(cd "$REPO" && go build -o "$bin" ./cmd/tardigest)
	res=$WORK/diff-$(date -u +%Y%m%dT%H%M%SZ).tsv
	# Warm the page cache.
	cat "$out"/oci-gzip/blobs/sha256/* "$out"/diff-v2/blobs/sha256/* >/dev/null
	for ((r = 1; r <= rounds; r++)); do
		local order=(diff verify)
		((r % 2 == 0)) && order=(verify diff)
		local what
		for what in "${order[@]}"; do
			if [[ $what == diff ]]; then
				/usr/bin/time -f "diff %e %U %S %M" -a -o "$res" "$bin" diff -q "$out/oci-gzip" "$out/diff-v2" >/dev/null || [[ $? == 1 ]]
			else
				/usr/bin/time -f "verify-v1 %e %U %S %M" -a -o "$res" "$bin" verify -q "$out/oci-gzip" >/dev/null
				/usr/bin/time -f "verify-v2 %e %U %S %M" -a -o "$res" "$bin" verify -q "$out/diff-v2" >/dev/null
			fi
		done
	done
	# verify-both = verify-v1 + verify-v2 of the same round.
	awk '$1=="verify-v1"{w=$2;c=$3+$4;m=$5} $1=="verify-v2"{print "verify-both", w+$2, c+$3+$4, (m>$5?m:$5)} $1=="diff"{print "diff", $2, $3+$4, $5}' "$res" >"$res.sum"
	printf '%-12s %8s %10s %12s\n' what wall-s cpu-s peak-rss-kB
	local k
	for k in diff verify-both; do
		printf '%-12s %8s %10s %12s\n' "$k" \
			"$(awk -v k=$k '$1==k{print $2}' "$res.sum" | median)" \
			"$(awk -v k=$k '$1==k{print $3}' "$res.sum" | median)" \
			"$(awk -v k=$k '$1==k{print $4}' "$res.sum" | median)"
	done
	awk '$1=="diff"{d[++i]=$2} $1=="verify-both"{v[++j]=$2} END{for(k=1;k<=i;k++) printf "round %d: diff / verify-both wall = %.2f\n", k, d[k]/v[k]}' "$res.sum"
	log "raw times: $res"
}

case ${1:-} in
build) shift && cmd_build "$@" ;;
run) shift && cmd_run "$@" ;;
*) die "usage: bench/diff.sh build [SCALE] | run [ROUNDS]" ;;
esac
