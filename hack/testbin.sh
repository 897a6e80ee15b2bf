#!/usr/bin/env bash
# hack/testbin.sh builds the upstream binaries that the integration tests run
# against (see test/cluster): kube-apiserver, kube-controller-manager, kubectl
# and etcd, from the versions pinned in hack/testbin/go.mod, with nothing but
# a Go toolchain and the Go module proxy.
#
# The binaries go to a cache folder outside the repository:
#   ${KUBECHAIN_TESTBIN:-$HOME/.cache/kubechain/testbin/v1.35.4}
# A binary that already exists and answers its version command is kept, so
# a second run costs a few hundred milliseconds. Pass --force to rebuild all.
#
# Progress goes to stderr; the last line on stdout is the folder path, so
#   export KUBECHAIN_TESTBIN="$(hack/testbin.sh | tail -n1)"
# works in CI scripts.
#
# A cold build of all four (empty module and build caches) takes about 7
# minutes on 2 cores and fills ~0.6 GB of module cache and ~3 GB of build
# cache; a binary rebuilt later reuses Go's build cache and takes seconds.
set -euo pipefail

K8S_VERSION=v1.35.4
K8S_MAJOR=1
K8S_MINOR=35

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
moddir="${here}/testbin"
out="${KUBECHAIN_TESTBIN:-${HOME}/.cache/kubechain/testbin/${K8S_VERSION}}"

force=false
case "${1:-}" in
  --force) force=true ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null 2>&1; then
  echo "testbin: go is not on PATH (try PATH=\$PATH:/usr/local/go/bin)" >&2
  exit 1
fi

mkdir -p "${out}"

# The version the Kubernetes binaries report (and base their API emulation
# version on); upstream sets the same variables in hack/lib/version.sh.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION}"
  ldflags+=" -X ${pkg}.gitMajor=${K8S_MAJOR}"
  ldflags+=" -X ${pkg}.gitMinor=${K8S_MINOR}"
  ldflags+=" -X ${pkg}.gitTreeState=clean"
  ldflags+=" -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

# name | main package | version command | text the version output must contain
targets=(
  "etcd|go.etcd.io/etcd/server/v3|--version|etcd Version: 3.6."
  "kubectl|k8s.io/kubernetes/cmd/kubectl|version --client|${K8S_VERSION}"
  "kube-apiserver|k8s.io/kubernetes/cmd/kube-apiserver|--version|${K8S_VERSION}"
  "kube-controller-manager|k8s.io/kubernetes/cmd/kube-controller-manager|--version|${K8S_VERSION}"
)

# usable NAME VERSIONCMD WANT: the cached binary exists and reports WANT.
usable() {
  local bin="${out}/$1" verargs="$2" want="$3" got
  [[ -x "${bin}" ]] || return 1
  # shellcheck disable=SC2086 # verargs is a word list on purpose
  got="$("${bin}" ${verargs} 2>&1)" || return 1
  [[ "${got}" == *"${want}"* ]]
}

for t in "${targets[@]}"; do
  IFS='|' read -r name pkg verargs want <<<"${t}"
  if ! ${force} && usable "${name}" "${verargs}" "${want}"; then
    echo "testbin: ${name} is cached" >&2
    continue
  fi
  echo "testbin: building ${name} (${pkg})" >&2
  start=${SECONDS}
  tmp="${out}/.${name}.tmp.$$"
  # GOWORK=off: never let a go.work in a parent folder pull this module in.
  # -buildvcs=false: the module lives inside the product's checkout, whose
  # git state says nothing about these binaries.
  if ! (cd "${moddir}" && CGO_ENABLED=0 GOWORK=off \
      go build -p 2 -trimpath -buildvcs=false -ldflags="${ldflags}" -o "${tmp}" "${pkg}"); then
    rm -f "${tmp}"
    echo "testbin: building ${name} failed" >&2
    exit 1
  fi
  mv -f "${tmp}" "${out}/${name}"
  if ! usable "${name}" "${verargs}" "${want}"; then
    echo "testbin: ${name} was built but '${name} ${verargs}' does not report ${want}" >&2
    exit 1
  fi
  echo "testbin: built ${name} in $((SECONDS - start))s" >&2
done

echo "${out}"
