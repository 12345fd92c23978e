#!/bin/bash
# One big machine: N shards as N processes at once (GNU parallel, or xargs -P), then the merge.
# Usage: [PATHS=200000] examples/shards/parallel.sh [N]   (from the sdeno checkout; default N = 4)
set -euo pipefail
N=${1:-4}
PATHS=${PATHS:-200000}
OUT=out/shards/sim
mkdir -p "$OUT"
RUN=(deno run --allow-read=. --allow-write="$OUT" scripts/simulate.ts
  --model lotka-volterra --paths "$PATHS" --t1 5 --dt 0.01 --backend cpu --seed 1 --out "$OUT")
if command -v parallel >/dev/null; then
  seq 0 $((N - 1)) | parallel -j "$N" "${RUN[@]}" --shard {}/"$N"
else
  seq 0 $((N - 1)) | xargs -P "$N" -I{} "${RUN[@]}" --shard {}/"$N"
fi
deno run --allow-read=out --allow-write=out/sim scripts/merge.ts --json --out out/sim "$OUT"
