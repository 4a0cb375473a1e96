#!/usr/bin/env bash
# Everything `npm test` checks, in order: types, generated shaders, build, fixtures, then the
# Node, Deno and Chromium suites (real WebGPU in each; software adapters on machines without a
# GPU, see docs/architecture.md and DESIGN section 5), then the packed package in fresh projects.
# Runs every step even after a failure and exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
# Vulkan's window-system code complains on every instance when this is unset (headless machines).
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR="$(mktemp -d)"
  export XDG_RUNTIME_DIR
  trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
fi

bin=node_modules/.bin
# A hung step (a GPU process that never answers) fails after this many seconds instead of
# blocking CI.
step_limit="${TEST_STEP_TIMEOUT:-1200}"
failed=()
summary=()

step() {
  local name="$1"
  shift
  printf '\n==== %s ====\n' "$name"
  local start=$SECONDS status=0 log
  log="$(mktemp)"
  set +e
  if [ "$(type -t "$1")" != function ] && command -v timeout >/dev/null; then
    timeout --foreground "$step_limit" "$@" 2>&1 | tee "$log"
  else
    "$@" 2>&1 | tee "$log"
  fi
  status=${PIPESTATUS[0]}
  set -e
  count_tests "$log"
  rm -f "$log"
  local took=$((SECONDS - start))
  if [ "$status" -eq 0 ]; then
    summary+=("ok    ${took}s  $name")
  else
    summary+=("FAIL  ${took}s  $name (exit $status)")
    failed+=("$name")
  fi
}

# Add up the tests a step's runner reported (vitest "Tests  N failed | M passed", deno
# "ok | N passed | M failed"), for the closing line.
tests_passed=0
tests_failed=0
count_tests() {
  local line p f
  line="$(sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -a -E '^ +Tests +[0-9]|^(ok|FAILED) \| [0-9]+ passed' | tail -n 1)" || true
  [ -n "$line" ] || return 0
  p="$(grep -o -E '[0-9]+ passed' <<<"$line" | grep -o -E '[0-9]+' || echo 0)"
  f="$(grep -o -E '[0-9]+ failed' <<<"$line" | grep -o -E '[0-9]+' || echo 0)"
  tests_passed=$((tests_passed + p))
  tests_failed=$((tests_failed + f))
}

fixtures() {
  if [ -f test/fixtures/make_fixtures.py ]; then
    # Debian's python3 has scipy and zarr; a python3 earlier on PATH may not.
    /usr/bin/python3 test/fixtures/make_fixtures.py
  else
    echo "no test/fixtures/make_fixtures.py"
  fi
}

# The Deno suite, run once more only when its process died in native teardown AFTER every test
# had passed: the software Vulkan driver has, rarely, aborted at exit with a glibc heap message
# ("corrupted size vs. prev_size"). A real test failure is never retried.
deno_suite() {
  local log status
  log="$(mktemp)"
  set +e
  timeout --foreground "$step_limit" "$bin/deno" test -A --no-lock --cached-only test/deno/ 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] \
    && sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -q -E '^ok \| [0-9]+ passed \| 0 failed' \
    && grep -q -E 'corrupted|double free|free\(\): |malloc\(\): |Aborted' "$log"; then
    printf '\nThe Deno process crashed at exit after all tests passed (exit %s); running the suite again.\n\n' "$status"
    rm -f "$log"
    timeout --foreground "$step_limit" "$bin/deno" test -A --no-lock --cached-only test/deno/
    return $?
  fi
  rm -f "$log"
  return "$status"
}

step "typecheck (tsc)" "$bin/tsc" -p tsconfig.json --noEmit
step "generated shaders up to date" node scripts/gen-shaders.mjs --check
step "build" npm run --silent build
step "fixtures" fixtures
step "node suite (vitest, Dawn)" "$bin/vitest" run --project node
step "deno suite (deno test, built-in WebGPU)" deno_suite
step "browser suite (vitest, headless Chromium)" "$bin/vitest" run --project browser
# The packed tarball in fresh projects: strict tsc (Node, browser), vite build run in Chromium,
# Node and Deno programs, deno publish --dry-run.
step "consumer smoke (npm pack, fresh projects)" node scripts/consumer-smoke.mjs --no-build

printf '\n==== summary ====\n'
printf '%s\n' "${summary[@]}"
printf '\ntests: %d passed, %d failed\n' "$tests_passed" "$tests_failed"
if [ "${#failed[@]}" -gt 0 ]; then
  printf '\n%d step(s) failed: %s\n' "${#failed[@]}" "$(IFS=,; echo "${failed[*]}")"
  exit 1
fi
echo "all steps passed"
