#!/usr/bin/env bash
# hack/verify-generated.sh fails when a file that is generated or formatted by
# a tool differs from what the tool would write:
#   - crds/ against a fresh controller-gen run over api/ (fix: make generate)
#   - Go files against gofmt                               (fix: make fmt)
#   - go.mod/go.sum against go mod tidy                    (fix: go mod tidy)
# It writes nothing into the repository. Run it through `make verify`, which
# passes the pinned controller-gen command in CONTROLLER_GEN and its options
# in CRD_OPTIONS.
set -euo pipefail

: "${CONTROLLER_GEN:?CONTROLLER_GEN is not set; run this script through make verify}"
: "${CRD_OPTIONS:?CRD_OPTIONS is not set; run this script through make verify}"
GO="${GO:-go}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

failed=0

# CRDs: regenerate into a temporary folder and compare. crds/kustomization.yaml
# is written by hand and is the only file there that controller-gen does not own.
# shellcheck disable=SC2086 # both variables are word lists on purpose
${CONTROLLER_GEN} ${CRD_OPTIONS} output:crd:artifacts:config="${tmp}/crds"
if ! diff -ru --exclude=kustomization.yaml "${tmp}/crds" crds >"${tmp}/crds.diff"; then
  cat "${tmp}/crds.diff" >&2
  echo "verify: crds/ is stale (diff above, - is the fresh output); run 'make generate'" >&2
  failed=1
fi

unformatted="$(gofmt -l .)"
if [[ -n "${unformatted}" ]]; then
  echo "verify: gofmt would change these files; run 'make fmt':" >&2
  echo "${unformatted}" >&2
  failed=1
fi

if ! "${GO}" mod tidy -diff >"${tmp}/mod.diff" 2>&1; then
  cat "${tmp}/mod.diff" >&2
  echo "verify: go.mod/go.sum are not tidy (diff above); run 'go mod tidy'" >&2
  failed=1
fi

if [[ ${failed} -ne 0 ]]; then
  exit 1
fi
echo "verify: crds/ up to date, Go files formatted, go.mod tidy" >&2
