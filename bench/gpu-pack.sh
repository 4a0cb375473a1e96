#!/usr/bin/env bash
# Step 1 and 2 of the GPU runbook (bench/README.md): bundle the GPU benchmark and pack Deno and the
# Vulkan loader into the ignored folder .gpu/, for a GPU machine that has neither Node nor Deno.
# Run from anywhere on a development machine (needs node_modules and apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

node bench/build.mjs --gpu-only
mkdir -p .gpu
if [ ! -s .gpu/deno.xz ] || [ node_modules/.bin/deno -nt .gpu/deno.xz ]; then
  # node_modules/.bin/deno is the npm package's launcher script: pack the executable it runs.
  deno_bin=$(DENO_NO_UPDATE_CHECK=1 node_modules/.bin/deno eval 'console.log(Deno.execPath())')
  xz -T2 -6 -c "$deno_bin" > .gpu/deno.xz.tmp && mv .gpu/deno.xz.tmp .gpu/deno.xz
fi
if ! ls .gpu/libvulkan1_*.deb >/dev/null 2>&1; then
  l=$(mktemp -d); mkdir -p "$l/partial"
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$l"
  # shellcheck disable=SC2086
  apt-get $o update >/dev/null
  # shellcheck disable=SC2086
  (cd .gpu && apt-get $o download libvulkan1)
  rm -rf "$l"
fi
ls -la .gpu bench/dist/gpu-bench.js bench/dist/fetch-worker-deno.js
du -ch .gpu bench/dist/gpu-bench.js bench/dist/fetch-worker-deno.js | tail -1
