#!/usr/bin/env bash
# Build, test, deploy and roll back the Realtor AI Copilot.
#
#   scripts/deploy.sh build [--tag TAG]              build the image (needs a Docker engine)
#   scripts/deploy.sh test                           lint + the whole test suite
#   scripts/deploy.sh deploy <staging|production>    tests, pulumi up, wait for a stable service,
#                        [--skip-tests] [--yes]      smoke-check /health/readiness; roll back on failure
#   scripts/deploy.sh rollback <staging|production>  back to the previous task-definition revision
#                        [--cluster C --service S] [--outputs-file F] [--to-revision N]
#
# Exit status: 0 done, 1 failed (after a rollback when one was possible), 2 bad usage,
# 3 a prerequisite is missing (a tool or credentials).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly IMAGE="${IMAGE:-realtor-ai-copilot/api}"
readonly EXIT_FAILED=1 EXIT_USAGE=2 EXIT_PREREQUISITE=3
# Stack output keys exported by the Pulumi program (copilot_platform.program.OUTPUT_NAMES).
readonly CLUSTER_OUTPUT="${CLUSTER_OUTPUT:-clusterName}"
readonly SERVICE_OUTPUT="${SERVICE_OUTPUT:-serviceName}"
readonly URL_OUTPUT="${URL_OUTPUT:-url}"
# How long a deploy may take to settle and become ready, in seconds.
readonly STABLE_TIMEOUT="${STABLE_TIMEOUT:-900}"
readonly READY_TIMEOUT="${READY_TIMEOUT:-300}"

log() { printf 'deploy: %s\n' "$*" >&2; }
fail() {
  local status="$1"
  shift
  printf 'deploy: error: %s\n' "$*" >&2
  exit "$status"
}

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit "$EXIT_USAGE"
}

require_tool() {
  local tool="$1" hint="$2"
  command -v "$tool" >/dev/null 2>&1 || fail "$EXIT_PREREQUISITE" "$tool is not installed: $hint"
}

require_environment() {
  case "${1:-}" in
    staging | production) ;;
    "") fail "$EXIT_USAGE" "missing environment: expected staging or production" ;;
    *) fail "$EXIT_USAGE" "unknown environment '$1': expected staging or production" ;;
  esac
}

# The ops tools (Python, boto3) from the locked workspace environment.
ops() {
  (cd "$REPO_ROOT" && uv run --frozen --quiet python -m copilot_platform.ops "$@")
}

require_aws_credentials() {
  # The standard chain (env, profile, SSO, OIDC web identity); no API call is made.
  local status=0
  ops check-credentials >&2 || status=$?
  case "$status" in
    0) ;;
    3) fail "$EXIT_PREREQUISITE" "AWS credentials or region missing (see above)" ;;
    *) fail "$EXIT_FAILED" "could not check the AWS credentials (exit $status)" ;;
  esac
}

require_pulumi_login() {
  pulumi whoami --non-interactive >/dev/null 2>&1 \
    || fail "$EXIT_PREREQUISITE" "not logged in to Pulumi: set PULUMI_ACCESS_TOKEN or run 'pulumi login'"
}

# The stack's region, unless the caller already chose one.
use_stack_region() {
  local stack="$1" region
  if [[ -z "${AWS_REGION:-}" ]]; then
    region="$(pulumi config get aws:region --stack "$stack" --cwd "$REPO_ROOT" 2>/dev/null)" || region=""
    if [[ -n "$region" ]]; then
      export AWS_REGION="$region"
    fi
  fi
}

stack_outputs() {
  local stack="$1" file="$2"
  pulumi stack output --json --stack "$stack" --cwd "$REPO_ROOT" >"$file"
}

output_flags=(--cluster-output "$CLUSTER_OUTPUT" --service-output "$SERVICE_OUTPUT" --url-output "$URL_OUTPUT")

cmd_build() {
  local tag=""
  while (($#)); do
    case "$1" in
      --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
      *) fail "$EXIT_USAGE" "unknown option for build: $1" ;;
    esac
  done
  require_tool docker "install Docker (https://docs.docker.com/engine/install/)"
  docker info >/dev/null 2>&1 \
    || fail "$EXIT_PREREQUISITE" "the Docker engine is not reachable (is the daemon running? DOCKER_HOST=${DOCKER_HOST:-unset})"
  local sha
  sha="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo dev)"
  tag="${tag:-$sha}"
  log "building $IMAGE:$tag"
  docker build --file "$REPO_ROOT/services/api/Dockerfile" --build-arg "GIT_SHA=$sha" \
    --tag "$IMAGE:$tag" --tag "$IMAGE:latest" "$REPO_ROOT"
}

cmd_test() {
  require_tool make "install make (Debian: apt-get install make)"
  make -C "$REPO_ROOT" lint test
}

cmd_deploy() {
  local stack="${1:-}"
  require_environment "$stack"
  shift
  local skip_tests=false assume_yes=false
  while (($#)); do
    case "$1" in
      --skip-tests) skip_tests=true; shift ;;
      --yes) assume_yes=true; shift ;;
      *) fail "$EXIT_USAGE" "unknown option for deploy: $1" ;;
    esac
  done
  require_tool uv "install uv (make install does)"
  require_tool pulumi "install the Pulumi CLI (https://www.pulumi.com/docs/install/)"
  require_pulumi_login
  use_stack_region "$stack"
  require_aws_credentials

  if [[ "$skip_tests" == false ]]; then
    log "running lint and tests"
    cmd_test
  fi

  local workdir
  workdir="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the variable is local to this function
  trap "rm -rf '$workdir'" EXIT

  # The revision running now is the known-good one to return to if this deploy fails.
  local previous=""
  if stack_outputs "$stack" "$workdir/before.json" 2>/dev/null; then
    previous="$(ops current --outputs-file "$workdir/before.json" "${output_flags[@]}" 2>/dev/null || true)"
  fi
  if [[ -n "$previous" ]]; then
    log "running now: $previous"
  else
    log "no running service found: first deploy of $stack, nothing to roll back to"
  fi

  local up_flags=(--stack "$stack" --cwd "$REPO_ROOT")
  # Interactive runs of production show the preview and ask; CI and --yes do not.
  if [[ "$assume_yes" == true || -n "${CI:-}" || "$stack" != production ]]; then
    up_flags+=(--yes --skip-preview)
  fi
  log "pulumi up --stack $stack"
  if ! pulumi up "${up_flags[@]}"; then
    rollback_after_failure "$stack" "$previous" "$workdir" "pulumi up failed"
  fi

  stack_outputs "$stack" "$workdir/after.json" \
    || rollback_after_failure "$stack" "$previous" "$workdir" "cannot read the stack outputs"
  log "waiting for a stable service and a ready /health/readiness"
  if ! ops verify --outputs-file "$workdir/after.json" "${output_flags[@]}" \
    --timeout "$STABLE_TIMEOUT" --ready-timeout "$READY_TIMEOUT"; then
    rollback_after_failure "$stack" "$previous" "$workdir" "verification failed"
  fi
  log "deployed $stack"
}

rollback_after_failure() {
  local stack="$1" previous="$2" workdir="$3" reason="$4"
  if [[ -z "$previous" ]]; then
    fail "$EXIT_FAILED" "$reason; no earlier deployment of $stack to roll back to"
  fi
  log "$reason: rolling back to $previous"
  stack_outputs "$stack" "$workdir/rollback.json" 2>/dev/null || cp "$workdir/before.json" "$workdir/rollback.json"
  if ops rollback --outputs-file "$workdir/rollback.json" "${output_flags[@]}" \
    --to-task-definition "$previous" --timeout "$STABLE_TIMEOUT"; then
    fail "$EXIT_FAILED" "$reason; rolled back to $previous (run 'pulumi refresh --stack $stack' before the next deploy)"
  fi
  fail "$EXIT_FAILED" "$reason, and the rollback to $previous failed too: act now (see README, Operations)"
}

cmd_rollback() {
  local stack="${1:-}"
  require_environment "$stack"
  shift
  local args=() explicit_target=false outputs_file=""
  while (($#)); do
    case "$1" in
      --cluster | --service)
        explicit_target=true
        args+=("$1" "${2:?$1 needs a value}")
        shift 2
        ;;
      --outputs-file) outputs_file="${2:?--outputs-file needs a value}"; shift 2 ;;
      --to-revision | --to-task-definition | --timeout | --poll-interval | --region)
        args+=("$1" "${2:?$1 needs a value}")
        shift 2
        ;;
      --no-wait) args+=("$1"); shift ;;
      *) fail "$EXIT_USAGE" "unknown option for rollback: $1" ;;
    esac
  done
  require_tool uv "install uv (make install does)"

  local workdir
  workdir="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the variable is local to this function
  trap "rm -rf '$workdir'" EXIT
  if [[ -z "$outputs_file" && "$explicit_target" == false ]]; then
    require_tool pulumi "install the Pulumi CLI, or pass --cluster and --service"
    require_pulumi_login
    use_stack_region "$stack"
    outputs_file="$workdir/outputs.json"
    stack_outputs "$stack" "$outputs_file" || fail "$EXIT_FAILED" "cannot read the outputs of stack $stack"
  fi
  if [[ -n "$outputs_file" ]]; then
    args+=(--outputs-file "$outputs_file")
  fi
  require_aws_credentials
  log "rolling back $stack"
  ops rollback "${args[@]}" "${output_flags[@]}" || fail "$EXIT_FAILED" "rollback of $stack failed"
}

main() {
  local command="${1:-}"
  (($#)) && shift
  case "$command" in
    build) cmd_build "$@" ;;
    test) cmd_test "$@" ;;
    deploy) cmd_deploy "$@" ;;
    rollback) cmd_rollback "$@" ;;
    -h | --help | help) usage ;;
    "") log "missing command"; usage ;;
    *) log "unknown command '$command'"; usage ;;
  esac
}

main "$@"
