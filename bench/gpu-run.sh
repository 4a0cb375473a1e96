#!/usr/bin/env bash
# Step 3 of the GPU runbook (bench/README.md), on the GPU machine, from the repository root with
# .gpu/ and bench/dist/gpu-bench.js (+ fetch-worker-deno.js) copied over. Installs the Vulkan
# loader if the machine has none, unpacks Deno, points Vulkan at NVIDIA's driver, and runs the
# benchmark. Arguments pass to the benchmark (e.g. --quick); results go to $OUT when it is set.
set -euo pipefail
cd "$(dirname "$0")/.."

test -s bench/dist/gpu-bench.js || { echo "bench/dist/gpu-bench.js is missing: run bench/gpu-pack.sh first" >&2; exit 1; }
test -s .gpu/deno.xz || { echo ".gpu/deno.xz is missing: run bench/gpu-pack.sh first" >&2; exit 1; }

if ! ldconfig -p | grep -q 'libvulkan\.so\.1 '; then
  for f in .gpu/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
d=$(mktemp -d)
xz -dc .gpu/deno.xz > "$d/deno"
chmod +x "$d/deno"

if [ -z "${VK_DRIVER_FILES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset, so the Vulkan loader searches its default paths}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" DENO_DIR="$d/cache" DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
"$d/deno" --version | head -1

out=()
if [ -n "${OUT:-}" ]; then out=(--out="$OUT"); fi
"$d/deno" run -A bench/dist/gpu-bench.js "${out[@]}" "$@"
