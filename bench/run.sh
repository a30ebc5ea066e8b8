#!/usr/bin/env bash
# bench/run.sh: build a realistic image in five archive formats and time
# `tardigest verify` against the hardware bound and peer tools.
#
#   bench/run.sh build [SCALE]     build bench/work/scale-SCALE/ (default 1: ~1.5 GiB)
#   bench/run.sh run [ROUNDS]      interleaved benchmark (default 5 rounds) on
#                                  scale BENCH_SCALE (default 1); prints the table;
#                                  BENCH_SKIP="crane skopeo" leaves tools out
#   bench/run.sh purego            the pure-Go bound per format (layer benchmarks)
#                                  against tardigest in the latest run's results
#   bench/run.sh rss [SCALE...]    tardigest peak RSS only, per format and scale
#                                  (default: every scale built), for the 4x check
#   bench/run.sh guard [ITERS]     regression guard (issue 16): tarball's
#                                  BenchmarkGzipArchive on docker.tar.gz (default
#                                  5 iterations), against BENCHMARKS.md's figures
#   bench/run.sh clean             rm -rf bench/work
#
# See bench/README.md for what is measured and the targets.
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
WORK=$BENCH_DIR/work
BIN=$WORK/bin
BUILD_VERSION=1 # bump when the image recipe changes: invalidates the cache
CRANE_VERSION=v0.22.1

die() { echo "bench: $*" >&2; exit 2; }
log() { echo "bench: $*" >&2; }

need() {
	local missing=() t
	for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
	((${#missing[@]} == 0)) && return 0
	# Debian package names: the binaries below come from these packages.
	local pkgs=() m
	for m in "${missing[@]}"; do
		case $m in
		/usr/bin/time) pkgs+=(time) ;;
		*) pkgs+=("$m") ;;
		esac
	done
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		log "installing ${pkgs[*]}"
		apt-get install -y -q "${pkgs[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${pkgs[@]}" >/dev/null; }
	else
		die "missing ${missing[*]}: apt-get install ${pkgs[*]}"
	fi
}

scale_dir() { echo "$WORK/scale-$1"; }

check_scale() {
	[[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SCALE must be a positive number, got '$1'"
	awk -v s="$1" 'BEGIN{exit !(s>0)}' || die "SCALE must be > 0"
}

# mib N: N MiB times SCALE, in bytes (at least 1).
mib() { awk -v s="$SCALE" -v m="$1" 'BEGIN{b=int(s*m*1048576); if(b<1)b=1; printf "%d", b}'; }
# count N: N times SCALE, at least 1.
count() { awk -v s="$SCALE" -v n="$1" 'BEGIN{c=int(s*n+0.5); if(c<1)c=1; printf "%d", c}'; }
# mean MIB N: mean file size for MIB MiB in N files, both scaled (at least 256).
mean() { local m=$(($(mib "$1") / $(count "$2"))); echo $((m < 256 ? 256 : m)); }

# ---------------------------------------------------------------- generators
# Deterministic content: perl's srand/rand (drand48 since perl 5.20, the
# same sequence on every platform) for text, AES-128-CTR of zeros keyed by
# the seed for incompressible bytes.
GEN_PL=$(
	cat <<'PERL'
use strict; use warnings;
my $mode = shift @ARGV;
my @w = qw(the of and to in is for on that with as by at from this be are or an it not
 was have has which can if all will one more other into only new when also use used may
 error warning info debug request response status client server config value default
 cache buffer layer image digest manifest index blob archive verify tensor model weight
 kernel device stream thread worker queue batch epoch train loss gradient optimizer step
 import def return class self none true false len range list dict str int float print
 path file open read write close size offset length format json yaml http https localhost
 user group root admin service container runtime cuda cudnn nccl cublas driver version);
sub words { my $n = shift; join ' ', map { $w[int rand @w] } 1 .. $n }
sub tline {
	my $r = rand;
	return sprintf("2024-%02d-%02dT%02d:%02d:%02d.%03dZ %s [%s] %s\n", 1+int rand 12, 1+int rand 28,
		int rand 24, int rand 60, int rand 60, int rand 1000, (qw(INFO DEBUG WARN ERROR))[int rand 4],
		$w[int rand @w], words(3 + int rand 10)) if $r < 0.35;
	return sprintf("{\"id\": %d, \"name\": \"%s\", \"tags\": [\"%s\", \"%s\"], \"score\": %.4f, \"text\": \"%s\"}\n",
		int rand 1e6, $w[int rand @w], $w[int rand @w], $w[int rand @w], rand, words(4 + int rand 14)) if $r < 0.65;
	return ' ' x (4 * int rand 4) . sprintf("%s = %s(%s, %s)\n", $w[int rand @w], $w[int rand @w],
		$w[int rand @w], int rand 4096) if $r < 0.85;
	return "# " . words(5 + int rand 12) . "\n";
}
my @pool;
sub text {    # exactly $n bytes of text-like lines: a pool of lines, repeated and varied
	my ($n) = @_;
	@pool = map { tline() } 1 .. 8192 unless @pool;
	my $s = '';
	my $i = int rand 1e6;
	while (length $s < $n) {
		my $l = $pool[int rand @pool];
		$l = sprintf("%d\t%s", $i++, $l) if rand() < 0.3;
		$l = tline() if rand() < 0.1;
		$s .= $l;
	}
	return substr($s, 0, $n);
}
sub emit_text {
	my ($n) = @_;
	while ($n > 0) { my $k = $n < 1048576 ? $n : 1048576; print text($k); $n -= $k }
}
if ($mode eq 'text') {    # text SEED BYTES > out
	my ($seed, $n) = @ARGV; srand($seed); binmode STDOUT; emit_text($n);
} elsif ($mode eq 'bin') {    # bin SEED BYTES < random > out: binary-like, compresses to ~half
	my ($seed, $n) = @ARGV; srand($seed); binmode STDOUT; binmode STDIN;
	while ($n > 0) {
		my $k = 4096 * (1 + int rand 8); $k = $n if $k > $n;
		my $r = rand; my $c;
		if ($r < 0.40) {    # machine code / embedded compressed data
			my $got = read(STDIN, $c, $k) // die "read: $!"; die "short random input" if $got < $k;
		} elsif ($r < 0.70) {    # tables: structs with small integers and pointers
			my $base = int rand 2**31; my $i = 0; $c = '';
			$c .= pack('VVvvV', $base + 16 * $i, $i++, int rand 64, 0, int rand 2**31) while length $c < $k;
		} elsif ($r < 0.90) {    # symbol and string tables
			$c = ''; $c .= '_ZN' . join('', map { length($_) . $_ } map { $w[int rand @w] } 1 .. 1 + int rand 4) . "E\0" while length $c < $k;
		} else {    # padding
			$c = "\0" x $k;
		}
		print substr($c, 0, $k); $n -= $k;
	}
	1 while read(STDIN, my $drain, 1 << 20);
} elsif ($mode eq 'tree') {    # tree SEED DIR NFILES MEANBYTES EXT: many small text files
	my ($seed, $dir, $nf, $mean, $ext) = @ARGV; srand($seed);
	my $per = 50;
	for my $f (0 .. $nf - 1) {
		my $d = sprintf("%s/%s%03d", $dir, $w[int($f / $per) % @w], int($f / $per));
		mkdir $d unless -d $d;
		my $size = 128 + int rand(2 * $mean - 256);
		open(my $fh, '>', sprintf("%s/%s_%d.%s", $d, $w[int rand @w], $f, $ext)) or die "$d: $!";
		binmode $fh; print $fh text($size); close $fh or die;
	}
} else { die "unknown mode $mode" }
PERL
)

gen() { perl -e "$GEN_PL" -- "$@"; }
random_bytes() { # SEED BYTES: AES-128-CTR keystream, incompressible
	head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$1")" -iv "$(printf '%032x' "$(($1 * 7919))")"
}
gen_text() { gen text "$1" "$2" >"$3"; }                           # SEED BYTES FILE
gen_bin() { random_bytes "$1" "$2" | gen bin "$1" "$2" >"$3"; }     # SEED BYTES FILE
gen_random() { random_bytes "$1" "$2" >"$3"; }                     # SEED BYTES FILE
gen_tree() { mkdir -p "$2" && gen tree "$1" "$2" "$3" "$4" "$5"; } # SEED DIR NFILES MEAN EXT

# make_layer N NAME: populate $SRC/N via layer_N, then write the layer tar.
make_layer() {
	local n=$1 name=$2 d=$SRC/$1
	rm -rf "$d" && mkdir -p "$d"
	"layer_$n" "$d"
	chmod -R u+rwX,go+rX,go-w "$d"
	(cd "$d" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
		-cf "$TARS/$n.tar" $(ls -A))
	rm -rf "$d"
	echo "$name" >"$TARS/$n.name"
	log "layer $n ($name): $(stat -c %s "$TARS/$n.tar") bytes"
}

# The image, bottom to top (sizes at SCALE=1, MiB):
layer_1() { # base OS: 40 binary-like libraries, 24 of docs and config
	local i
	mkdir -p "$1/usr/lib/x86_64-linux-gnu" "$1/usr/share/doc"
	for i in 1 2 3 4 5 6 7 8; do gen_bin $((100 + i)) "$(mib 5)" "$1/usr/lib/x86_64-linux-gnu/libbase$i.so.1"; done
	gen_tree 109 "$1/usr/share/doc" "$(count 600)" "$(mean 24 600)" txt
}
layer_2() { # Python packages: 20000 small files, ~4 KiB each, 80 MiB
	gen_tree 200 "$1/usr/lib/python3/dist-packages" "$(count 20000)" 4096 py
}
layer_3() { # CUDA-like libraries: one 512 MiB layer, 3/4 binary-like, 1/4 incompressible
	local i
	mkdir -p "$1/usr/local/cuda/lib64"
	for i in 1 2 3; do gen_bin $((300 + i)) "$(mib 128)" "$1/usr/local/cuda/lib64/libcuda_like$i.so.12"; done
	gen_random 304 "$(mib 128)" "$1/usr/local/cuda/lib64/libfatbin.so.12"
}
layer_4() { # model weights: 320 MiB incompressible
	local i
	mkdir -p "$1/models"
	for i in 1 2 3 4 5; do gen_random $((400 + i)) "$(mib 64)" "$1/models/model-0000$i-of-00005.safetensors"; done
}
layer_5() { # text data: 280 MiB of log/jsonl-like lines
	local i
	mkdir -p "$1/data"
	for i in 1 2 3 4 5 6 7; do gen_text $((500 + i)) "$(mib 40)" "$1/data/corpus-$i.jsonl"; done
}
layer_6() { # application: 160 MiB binaries, 80 MiB of assets in 200 files
	local i
	mkdir -p "$1/opt/app/bin" "$1/opt/app/share"
	for i in 1 2 3 4; do gen_bin $((600 + i)) "$(mib 40)" "$1/opt/app/bin/app$i"; done
	gen_tree 605 "$1/opt/app/share" "$(count 200)" "$(mean 80 200)" txt
}
layer_7() { # configuration: 50 files, ~1 MiB
	gen_tree 700 "$1/etc/app" "$(count 50)" "$(mean 1 50)" conf
}
layer_8() { # entrypoint: one small script
	mkdir -p "$1/usr/local/bin"
	gen_text 800 2048 "$1/usr/local/bin/entrypoint.sh"
}
LAYER_NAMES=(- base-os python-packages cuda-libs model-weights text-data application config entrypoint)

sha() { sha256sum "$1" | cut -d' ' -f1; }
json_created=1970-01-01T00:00:00Z

# assemble_oci: OCI layout $BASE with uncompressed layers $TARS/1..8.tar.
assemble_oci() {
	local n d s diffs='' layers='' hist='' sep='' cfg cd cs man md ms
	rm -rf "$BASE" && mkdir -p "$BASE/blobs/sha256"
	for n in 1 2 3 4 5 6 7 8; do
		d=$(sha "$TARS/$n.tar") s=$(stat -c %s "$TARS/$n.tar")
		mv "$TARS/$n.tar" "$BASE/blobs/sha256/$d"
		diffs+="$sep\"sha256:$d\""
		layers+="$sep{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$s}"
		hist+="$sep{\"created\":\"$json_created\",\"created_by\":\"layer $n: ${LAYER_NAMES[n]} (bench/run.sh, SCALE=$SCALE)\"}"
		sep=,
	done
	cfg="{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"$json_created\",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Entrypoint\":[\"/usr/local/bin/entrypoint.sh\"],\"WorkingDir\":\"/opt/app\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diffs]},\"history\":[$hist]}"
	printf '%s' "$cfg" >"$BASE/cfg" && cd=$(sha "$BASE/cfg") cs=$(stat -c %s "$BASE/cfg") && mv "$BASE/cfg" "$BASE/blobs/sha256/$cd"
	man="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd\",\"size\":$cs},\"layers\":[$layers]}"
	printf '%s' "$man" >"$BASE/man" && md=$(sha "$BASE/man") ms=$(stat -c %s "$BASE/man") && mv "$BASE/man" "$BASE/blobs/sha256/$md"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$BASE/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' "$md" "$ms" >"$BASE/index.json"
}

# bound_jobs DIR: one "KIND PATH" line per job for the bound: a sha256 of
# every blob, and an inflate+sha256 of every compressed one; costliest first.
bound_jobs() {
	local f magic size
	for f in "$1"/*; do
		[[ -f $f ]] || continue
		size=$(stat -c %s "$f")
		magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
		case $magic in
		1f8b*) echo "$((size * 8)) gzip $f" ;;
		28b52ffd) echo "$((size * 4)) zstd $f" ;;
		esac
		echo "$size raw $f"
	done | sort -k1,1nr -k3 | cut -d' ' -f2-
}

cmd_build() {
	SCALE=${1:-1}
	check_scale "$SCALE"
	need skopeo pigz zstd openssl perl
	local out stamp t0=$SECONDS
	out=$(scale_dir "$SCALE")
	stamp="scale=$SCALE version=$BUILD_VERSION"
	if [[ -f $out/.built && $(cat "$out/.built") == "$stamp" ]]; then
		log "$out is built ($stamp): nothing to do"
		return 0
	fi
	rm -rf "$out" && mkdir -p "$out"
	SRC=$out/src TARS=$out/tars BASE=$out/base
	mkdir -p "$SRC" "$TARS"
	local n
	for n in 1 2 3 4 5 6 7 8; do make_layer "$n" "${LAYER_NAMES[n]}"; done
	assemble_oci
	rm -rf "$SRC" "$TARS"
	local sk=(skopeo copy --insecure-policy -q)
	log "skopeo: docker-archive (uncompressed layers)"
	"${sk[@]}" "oci:$BASE:bench" "docker-archive:$out/docker.tar:tardigest/bench:latest"
	log "skopeo: OCI directory, gzip layers"
	"${sk[@]}" --dest-compress-format gzip "oci:$BASE:bench" "oci:$out/oci-gzip:bench"
	log "skopeo: OCI tar, gzip layers"
	"${sk[@]}" "oci:$out/oci-gzip:bench" "oci-archive:$out/oci-gzip.tar:bench"
	log "skopeo: OCI directory, zstd layers"
	"${sk[@]}" --dest-compress-format zstd "oci:$BASE:bench" "oci:$out/oci-zstd:bench"
	log "pigz: docker-archive gzipped as a whole"
	pigz -n -c "$out/docker.tar" >"$out/docker.tar.gz"
	rm -rf "$BASE"
	# The bound hashes each blob as a file: the docker-archive's top-level
	# entries (layer tars, config, manifest.json) are extracted once here.
	mkdir -p "$out/bound-docker"
	tar -xf "$out/docker.tar" -C "$out/bound-docker"
	bound_jobs "$out/bound-docker" >"$out/jobs-docker"
	bound_jobs "$out/oci-gzip/blobs/sha256" >"$out/jobs-oci-gzip"
	bound_jobs "$out/oci-zstd/blobs/sha256" >"$out/jobs-oci-zstd"
	# skopeo 1.9 stamps oci-archive members with the build time, so that
	# tar is summed by member names and contents; everything else byte for byte.
	(cd "$out" && find docker.tar docker.tar.gz oci-gzip oci-zstd -type f -print0 | sort -z | xargs -0 sha256sum &&
		echo "$({ tar -tf oci-gzip.tar && tar -xOf oci-gzip.tar; } | sha256sum | cut -d' ' -f1)  oci-gzip.tar (members)") >"$out/SHA256SUMS"
	echo "$stamp" >"$out/.built"
	log "built $out in $((SECONDS - t0)) s:"
	(cd "$out" && du -sh --apparent-size docker.tar docker.tar.gz oci-gzip.tar oci-gzip oci-zstd) >&2
	log "content digest (stable across builds): $(sha256sum <"$out/SHA256SUMS" | cut -c1-16)"
}

# ---------------------------------------------------------------- run
FORMATS=(docker.tar oci-gzip oci-gzip.tar oci-zstd docker.tar.gz)
declare -A FDESC=(
	[docker.tar]="legacy docker-archive, uncompressed layers"
	[oci-gzip]="OCI layout directory, gzip layers"
	[oci-gzip.tar]="OCI layout tar, gzip layers"
	[oci-zstd]="OCI layout directory, zstd layers"
	[docker.tar.gz]="docker-archive gzipped as a whole (pigz)"
)
# Targets from issue 5, tardigest/bound median wall.
declare -A TARGET=([docker.tar]=0.60 [oci-gzip]=0.90 [oci-gzip.tar]=0.90 [oci-zstd]=0.80 [docker.tar.gz]=0.95)

# tools FORMAT: the tools run on a format, in order, less those named in
# BENCH_SKIP (e.g. BENCH_SKIP=crane: it takes a minute a run).
tools() {
	local t out=()
	for t in $(all_tools "$1"); do
		[[ " ${BENCH_SKIP:-} " == *" $t "* ]] || out+=("$t")
	done
	echo "${out[*]}"
}

all_tools() {
	case $1 in
	docker.tar) echo tardigest tardigest-stdin bound crane skopeo ;;
	oci-gzip) echo tardigest tardigest-isal bound skopeo ;;
	oci-zstd) echo tardigest bound skopeo ;;
	oci-gzip.tar) echo tardigest tardigest-isal tardigest-stdin bound skopeo ;;
	docker.tar.gz) echo tardigest tardigest-isal tardigest-stdin bound ;; # skopeo 1.9 cannot read it
	esac
}

# command FORMAT TOOL: the shell command timed for one run.
command_for() {
	local f=$1 t=$2 a=$D/$1
	local xb="xargs -P2 -L1 sh -c 'case \$0 in raw) openssl dgst -sha256 \"\$1\";; gzip) pigz -dc \"\$1\" | openssl dgst -sha256;; zstd) zstd -qdc \"\$1\" | openssl dgst -sha256;; esac'"
	case $t in
	tardigest) echo "'$TARDIGEST' verify '$a'" ;;
	tardigest-stdin) echo "'$TARDIGEST' verify - < '$a'" ;;
	tardigest-isal) echo "'$TARDIGEST_ISAL' verify '$a'" ;;
	crane) echo "'$CRANE' validate --tarball '$a'" ;;
	skopeo)
		local src
		case $f in
		docker.tar) src="docker-archive:$a" ;;
		oci-gzip | oci-zstd) src="oci:$a:bench" ;;
		oci-gzip.tar) src="oci-archive:$a:bench" ;;
		esac
		echo "rm -rf '$SKOPEO_DEST'; skopeo copy --insecure-policy -q '$src' 'dir:$SKOPEO_DEST'; rc=\$?; rm -rf '$SKOPEO_DEST'; exit \$rc"
		;;
	bound)
		case $f in
		docker.tar) echo "$xb < '$D/jobs-docker'" ;;
		oci-gzip | oci-gzip.tar) echo "$xb < '$D/jobs-oci-gzip'" ;;
		oci-zstd) echo "$xb < '$D/jobs-oci-zstd'" ;;
		docker.tar.gz) echo "pigz -dc '$a' | openssl dgst -sha256" ;;
		esac
		;;
	esac
}

# timed FORMAT TOOL ROUND: run once under /usr/bin/time, append to $RESULTS.
timed() {
	local f=$1 t=$2 r=$3 cmd rc=0 tf ef
	cmd=$(command_for "$f" "$t")
	tf=$WORK/tmp/time ef=$WORK/tmp/stderr
	/usr/bin/time -f '%e %U %S %M' -o "$tf" bash -o pipefail -c "$cmd" >/dev/null 2>"$ef" || rc=$?
	local wall user sys rss
	read -r wall user sys rss < <(tail -n 1 "$tf")
	if ((rc != 0)); then
		log "round $r $f $t: exit $rc: $(grep -v '^Command exited' "$ef" | tail -n 3 | tr '\n' ' ')"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$f" "$t" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')" "$rss" "$rc" >>"$RESULTS"
}

setup_tools() {
	need /usr/bin/time skopeo pigz zstd openssl go
	mkdir -p "$BIN" "$WORK/tmp"
	TARDIGEST=${TARDIGEST:-$BIN/tardigest}
	if [[ $TARDIGEST == "$BIN/tardigest" ]]; then
		(cd "$REPO" && go build -o "$BIN/tardigest" ./cmd/tardigest)
	fi
	# The optional ISA-L build (go build -tags isal), on the gzip formats.
	TARDIGEST_ISAL=${TARDIGEST_ISAL:-$BIN/tardigest-isal}
	if [[ " ${BENCH_SKIP:-} " != *" tardigest-isal "* && $TARDIGEST_ISAL == "$BIN/tardigest-isal" ]]; then
		if [[ ! -f /usr/include/isa-l/igzip_lib.h ]]; then
			[[ $(id -u) == 0 ]] || die "missing libisal-dev (or BENCH_SKIP=tardigest-isal)"
			log "installing libisal-dev"
			apt-get install -y -q libisal-dev >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q libisal-dev >/dev/null; }
		fi
		(cd "$REPO" && go build -tags isal -o "$BIN/tardigest-isal" ./cmd/tardigest)
	fi
	CRANE=${CRANE:-$BIN/crane}
	if [[ ! -x $CRANE ]]; then
		local gobin
		gobin=$(mktemp -d)
		log "installing crane $CRANE_VERSION (for comparison only; bench/work is not committed)"
		GOBIN=$gobin go install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
		mv "$gobin/crane" "$CRANE" && rmdir "$gobin"
	fi
}

median() { sort -g | awk '{a[NR]=$1} END{if(NR==0){print "nan"; exit} if(NR%2)print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -F'\t' -v f="$1" -v t="$2" -v c="$3" '$2==f && $3==t && $7==0 {print $c}' "$RESULTS"; }

report() {
	local f t w c m n fails bw tw tgt label note
	for f in "${FORMATS[@]}"; do
		echo
		echo "$f: ${FDESC[$f]}, $(du -sh --apparent-size "$D/$f" | cut -f1)"
		printf '  %-16s %8s %8s %8s %8s %10s  %s\n' tool "wall s" "CPU s" "RSS MiB" "/bound" "/tardigest" "target"
		bw=$(col "$f" bound 4 | median)
		tw=$(col "$f" tardigest 4 | median)
		for t in $(tools "$f"); do
			n=$(col "$f" "$t" 4 | wc -l)
			fails=$(awk -F'\t' -v f="$f" -v t="$t" '$2==f && $3==t && $7!=0' "$RESULTS" | wc -l)
			w=$(col "$f" "$t" 4 | median)
			c=$(col "$f" "$t" 5 | median)
			m=$(col "$f" "$t" 6 | sort -n | tail -n 1 | awk '{printf "%.0f", $1/1024}')
			label=$t
			[[ $t == crane ]] && label="crane validate"
			[[ $t == skopeo ]] && label="skopeo copy dir:"
			note=''
			case $t in
			tardigest) note=$(awk -v w="$tw" -v b="$bw" -v g="${TARGET[$f]}" 'BEGIN{r=w/b; printf "/bound <= %s: %s", g, (r<=g?"met":"MISSED")}') ;;
			tardigest-isal) note="-tags isal; issue 5 expects about 0.5" ;;
			tardigest-stdin) [[ $f == docker.tar.gz ]] && note=$(awk -v w="$w" -v b="$tw" 'BEGIN{r=w/b; printf "/file <= 1.2: %s", (r<=1.2?"met":"MISSED")}') ;;
			crane) note=$(awk -v w="$w" -v b="$tw" 'BEGIN{r=w/b; printf ">= 50x: %s", (r>=50?"met":"MISSED")}') ;;
			skopeo) note=$(awk -v w="$w" -v b="$tw" 'BEGIN{r=w/b; printf "> 1: %s", (r>1?"met":"MISSED")}') ;;
			esac
			((fails > 0)) && note+=" ($fails of $((n + fails)) runs FAILED, excluded)"
			awk -v l="$label" -v w="$w" -v c="$c" -v m="$m" -v b="$bw" -v tw="$tw" -v note="$note" 'BEGIN{
				rb = (b > 0 && w != "nan") ? sprintf("%.2f", w / b) : "-"
				rt = (tw > 0 && w != "nan") ? sprintf("%.2f", w / tw) : "-"
				printf "  %-16s %8.2f %8.2f %8s %8s %10s  %s\n", l, w, c, m, rb, rt, note }'
		done
	done
	echo
	local maxrss
	maxrss=$(awk -F'\t' '$3 ~ /^tardigest/ && $7==0 {print $6}' "$RESULTS" | sort -n | tail -n 1)
	awk -v k="${maxrss:-0}" 'BEGIN{m=k/1024; printf "tardigest peak RSS over all formats: %.0f MiB (target < 128: %s)\n", m, (m<128?"met":"MISSED")}'
}

cmd_run() {
	local rounds=${1:-5} scale=${BENCH_SCALE:-1}
	[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
	D=$(scale_dir "$scale")
	[[ -f $D/.built ]] || die "no image at scale $scale: run bench/run.sh build $scale first"
	setup_tools
	SKOPEO_DEST=$WORK/tmp/skopeo-dest
	local stamp
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	RESULTS=$WORK/results-$stamp-scale$scale.tsv
	printf 'round\tformat\ttool\twall_s\tcpu_s\tmaxrss_kib\texit\n' >"$RESULTS"
	local rev
	rev=$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
	[[ -n $(cd "$REPO" && git status --porcelain -- '*.go' 2>/dev/null) ]] && rev+="+dirty"
	echo "bench/run.sh run $rounds  (BENCH_SCALE=$scale, $(cat "$D/.built"))"
	echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), sha_ni=$(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "tardigest: $rev ($("$TARDIGEST" --version 2>/dev/null | head -n 1)); tardigest-isal: $("$TARDIGEST_ISAL" --version 2>/dev/null | tail -n 1); crane $CRANE_VERSION; $(skopeo --version); pigz $(pigz --version 2>&1 | cut -d' ' -f2); $(openssl version | cut -d' ' -f1-2); zstd $(zstd -V | grep -o 'v[0-9.]*' | head -n 1)"
	# Warm the page cache: every run reads from memory, like the bound.
	find "$D" -type f -print0 | xargs -0 cat >/dev/null
	local t0=$SECONDS r f t i k all=()
	for f in "${FORMATS[@]}"; do for t in $(tools "$f"); do all+=("$f $t"); done; done
	for ((r = 1; r <= rounds; r++)); do
		# Round-robin: every (format, tool) once per round, starting point rotated.
		for ((i = 0; i < ${#all[@]}; i++)); do
			k=$(((i + (r - 1) * 3) % ${#all[@]}))
			read -r f t <<<"${all[k]}"
			timed "$f" "$t" "$r"
		done
		log "round $r/$rounds done ($((SECONDS - t0)) s)"
	done
	echo "rounds: $rounds, interleaved; medians over rounds; RSS is the maximum over rounds; took $((SECONDS - t0)) s; load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	report
	echo "raw results: ${RESULTS#"$REPO"/}"
}

cmd_rss() {
	local scales=("$@") s f t
	if ((${#scales[@]} == 0)); then
		for d in "$WORK"/scale-*/.built; do [[ -f $d ]] && s=${d%/.built} && scales+=("${s##*/scale-}"); done
	fi
	((${#scales[@]} > 0)) || die "nothing built: bench/run.sh build 1 && bench/run.sh build 4"
	setup_tools
	RESULTS=$WORK/tmp/rss.tsv
	: >"$RESULTS"
	printf '%-14s %-16s' format tool
	for s in "${scales[@]}"; do printf ' %14s' "RSS MiB @$s"; done
	echo
	for f in "${FORMATS[@]}"; do
		for t in tardigest tardigest-stdin; do
			[[ " $(tools "$f") " == *" $t "* ]] || continue
			printf '%-14s %-16s' "$f" "$t"
			for s in "${scales[@]}"; do
				D=$(scale_dir "$s")
				[[ -f $D/.built ]] || die "scale $s is not built"
				: >"$RESULTS"
				timed "$f" "$t" 1
				awk -F'\t' '{printf " %14s", ($7==0 ? sprintf("%.0f", $6/1024) : "FAILED")}' "$RESULTS"
			done
			echo
		done
	done
}

# purego: the pure-Go bound per format, from the layer package's
# BenchmarkBlobs on the same blobs (total work / 2 cores, or the largest
# blob's pipelined critical path if longer), for the default build and
# -tags isal; compared with tardigest's median in the latest run's results.
cmd_purego() {
	local scale=${BENCH_SCALE:-1} f tags dir bound latest med
	D=$(scale_dir "$scale")
	[[ -f $D/.built ]] || die "no image at scale $scale: run bench/run.sh build $scale first"
	latest=$(ls -t "$WORK"/results-*-scale"$scale".tsv 2>/dev/null | head -n 1 || true)
	echo "pure-Go bound (go test ./layer -bench BenchmarkBlobs), BENCH_SCALE=$scale; tardigest medians from ${latest:+${latest#"$REPO"/}}"
	printf '  %-14s %-6s %10s %14s %10s\n' format build "bound s" "tardigest s" "bound/td"
	for f in "${FORMATS[@]}"; do
		case $f in
		docker.tar) dir=$D/bound-docker ;;
		oci-gzip | oci-gzip.tar) dir=$D/oci-gzip/blobs/sha256 ;;
		oci-zstd) dir=$D/oci-zstd/blobs/sha256 ;;
		docker.tar.gz) dir=$D/docker.tar.gz ;;
		esac
		for tags in "" isal; do
			[[ -n $tags && $f != *gz* ]] && continue
			[[ -n $tags && ! -f /usr/include/isa-l/igzip_lib.h ]] && continue # no libisal-dev
			bound=$(cd "$REPO" && TARDIGEST_BENCH_BLOBS=$dir go test ${tags:+-tags $tags} ./layer -run '^$' -bench '^BenchmarkBlobs$' -benchtime 3x -count 1 |
				awk '/^BenchmarkBlobs/ {for (i = 1; i < NF; i++) if ($(i+1) == "bound-s") print $i}')
			med=nan
			if [[ -n $latest ]]; then
				med=$(RESULTS=$latest col "$f" "tardigest${tags:+-$tags}" 4 | median)
			fi
			awk -v f="$f" -v t="${tags:-go}" -v b="$bound" -v m="$med" 'BEGIN{
				r = (m != "nan" && m > 0) ? sprintf("%.2f", b / m) : "-"
				printf "  %-14s %-6s %10.2f %14s %10s\n", f, t, b, m, r }'
		done
	done
	echo "target (issue 5): bound/td at least 0.85 on every format"
}

# guard: the regression guard of issue 16. tarball's BenchmarkGzipArchive
# reads docker.tar.gz as a file and as a stream, interleaved with the
# least any reader must do (inflate, and sha256 of the output on the
# other core); its ratios file/floor and stdin/file, in wall and in CPU
# time, and the MiB the reads allocate are compared with the
# "guard docker.tar.gz" line of BENCHMARKS.md.
# It reports, and exits 0 unless the benchmark itself fails: timing is
# never a test failure.
cmd_guard() {
	local iters=${1:-5} scale=${BENCH_SCALE:-1} out line recorded rev m now rec
	# Recorded and judged: ratios over 1.10 x the record regress; bytes
	# allocated, which hardly move between runs, over 1.5 x.
	local ratios=(file/floor stdin/file file/floor-cpu stdin/file-cpu file-alloc-MiB stdin-alloc-MiB)
	[[ $iters =~ ^[1-9][0-9]*$ ]] || die "ITERS must be a positive integer"
	D=$(scale_dir "$scale")
	[[ -f $D/.built ]] || die "no image at scale $scale: run bench/run.sh build $scale first"
	need go
	rev=$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
	[[ -n $(cd "$REPO" && git status --porcelain -- '*.go' 2>/dev/null) ]] && rev+="+dirty"
	echo "bench/run.sh guard $iters  (BenchmarkGzipArchive on docker.tar.gz, BENCH_SCALE=$scale, tardigest $rev); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	cat "$D/docker.tar.gz" >/dev/null # into the page cache
	out=$(cd "$REPO" && TARDIGEST_BENCH_ARCHIVE=$D/docker.tar.gz go test ./tarball -run '^$' \
		-bench '^BenchmarkGzipArchive$' -benchtime "${iters}x" -count 1 2>&1) || die "the benchmark failed:"$'\n'"$out"
	line=$(grep '^BenchmarkGzipArchive' <<<"$out")
	recorded=$(grep -o "guard docker.tar.gz scale=$scale\( [A-Za-z/-]*=[0-9.]*\)*" "$REPO/BENCHMARKS.md" | head -n 1 || true)
	echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg); recorded: ${recorded:-none for scale $scale in BENCHMARKS.md}"
	printf '  %-15s %8s %9s  %s\n' measure now recorded verdict
	for m in "${ratios[@]}" floor-s file-s stdin-s file-cpu-s; do
		now=$(metric "$m" <<<"$line")
		[[ -n $now ]] || continue # no CPU time on this platform
		rec=$(grep -o " $m=[0-9.]*" <<<"$recorded" | cut -d= -f2 || true)
		awk -v m="$m" -v n="$now" -v r="$rec" 'BEGIN{
			v = ""; k = (m ~ /alloc/) ? 1.5 : 1.10
			if (r != "") v = (n > r * k) ? "REGRESSED (over " k " x recorded)" : (n < r / k ? "better: record it" : "ok")
			if (m ~ /^stdin\/file/ && n > 1.2) v = v " (issue 16 target <= 1.2: MISSED)"
			printf "  %-15s %8.3f %9s  %s\n", m, n, (r == "" ? "-" : r), v }'
	done
	printf 'guard docker.tar.gz scale=%s' "$scale"
	for m in "${ratios[@]}"; do
		now=$(metric "$m" <<<"$line")
		[[ -z $now ]] && continue
		[[ $m == *alloc* ]] && printf ' %s=%.1f' "$m" "$now" || printf ' %s=%.2f' "$m" "$now"
	done
	echo "   <- the line BENCHMARKS.md records"
}

# metric NAME: the value of a `go test -bench` metric in the line on stdin.
metric() { awk -v m="$1" '{for (i = 1; i < NF; i++) if ($(i+1) == m) print $i}'; }

# Sourced (bench/content.sh does), the functions above are all it gets.
[[ ${BASH_SOURCE[0]} != "$0" ]] && return 0

case ${1:-} in
build) shift && cmd_build "$@" ;;
guard) shift && cmd_guard "$@" ;;
purego) shift && cmd_purego "$@" ;;
run) shift && cmd_run "$@" ;;
rss) shift && cmd_rss "$@" ;;
clean) rm -rf "$WORK" ;;
*) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2 && exit 2 ;;
esac
