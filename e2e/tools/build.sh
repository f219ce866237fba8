#!/usr/bin/env bash
# Build one end-to-end component from its pinned Go module into DEST (a bin/ folder).
#
#   e2e/tools/build.sh COMPONENT DEST
#
# COMPONENT is a folder next to this script: kubernetes, etcd, argocd, kwok, metrics-server,
# argo-rollouts. Its go.mod pins the version (and, for kubernetes, argocd and argo-rollouts,
# the replace block the upstream module needs). Everything comes from the Go module proxy;
# nothing else is downloaded. The binaries are built into DEST.partial and moved into place
# only when all of them built, so an interrupted build leaves no half-filled DEST behind.
set -euo pipefail

component=${1:?usage: build.sh COMPONENT DEST}
dest=${2:?usage: build.sh COMPONENT DEST}
here=$(cd "$(dirname "$0")" && pwd)
module_dir=$here/$component
GO=${GO:-go}

# The version the component's go.mod requires (the single source of the pin).
required() { sed -nE "s#^(require)?[[:space:]]*$1 (v[^[:space:]]+).*#\2#p" "$module_dir/go.mod" | head -n1; }

partial=$dest.partial
rm -rf "$partial"
mkdir -p "$partial"
cd "$module_dir"
export GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off

build() { # build LDFLAGS PACKAGE...
  local ldflags=$1
  shift
  echo "go build $* ($component)"
  "$GO" build -trimpath -ldflags="$ldflags" -o "$partial/" "$@"
}

case $component in
kubernetes)
  v=$(required k8s.io/kubernetes)
  minor=${v#v1.}
  minor=${minor%%.*}
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  build "$ld" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  ;;
etcd)
  # etcd's version is a constant in its own module (go.etcd.io/etcd/api/v3/version).
  "$GO" build -trimpath -ldflags="-s -w" -o "$partial/etcd" go.etcd.io/etcd/server/v3
  "$GO" build -trimpath -ldflags="-s -w" -o "$partial/etcdctl" go.etcd.io/etcd/etcdctl/v3
  ;;
argocd)
  v=$(required github.com/argoproj/argo-cd/v3)
  "$here/argocd/prepare-src.sh" "$v"
  kubectl=$(required k8s.io/kubectl)
  p=github.com/argoproj/argo-cd/v3/common
  # CGO off, as upstream's release build (and the GODEBUG its Makefile sets).
  CGO_ENABLED=0 GODEBUG="tarinsecurepath=0,zipinsecurepath=0" build \
    "-s -w -X $p.version=${v#v} -X $p.gitTreeState=clean -X $p.kubectlVersion=$kubectl" \
    github.com/argoproj/argo-cd/v3/cmd
  mv "$partial/cmd" "$partial/argocd"
  # One multi-call binary: it acts as the component named by argv[0].
  for name in argocd-application-controller argocd-repo-server argocd-server; do
    ln -s argocd "$partial/$name"
  done
  ;;
kwok)
  v=$(required sigs.k8s.io/kwok)
  # kwokctl's default Kubernetes version: the one we build (the config names it too).
  kube=$(module_dir=$here/kubernetes required k8s.io/kubernetes)
  build "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${v#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${kube#v}" \
    sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
  ;;
metrics-server)
  v=$(required sigs.k8s.io/metrics-server)
  minor=${v#v0.}
  minor=${minor%%.*}
  p=k8s.io/client-go/pkg/version
  build "-s -w -X $p.gitVersion=$v -X $p.gitMajor=0 -X $p.gitMinor=$minor" \
    sigs.k8s.io/metrics-server/cmd/metrics-server
  ;;
argo-rollouts)
  v=$(required github.com/argoproj/argo-rollouts)
  # The tag's commit, as the module proxy recorded it (upstream's Makefile asks git).
  commit=$("$GO" mod download -json "github.com/argoproj/argo-rollouts@$v" |
    sed -n 's/^[[:space:]]*"Hash": "\(.*\)",\{0,1\}$/\1/p')
  p=github.com/argoproj/argo-rollouts/utils/version
  # The controller and the kubectl plugin (the test promotes with it). The plugin's
  # dashboard UI is built with yarn upstream; the module carries only server/static/.gitkeep,
  # so `kubectl argo rollouts dashboard` serves no UI from this build.
  CGO_ENABLED=0 build \
    "-s -w -X $p.version=${v#v} -X $p.gitTag=$v -X $p.gitCommit=$commit -X $p.gitTreeState=clean" \
    github.com/argoproj/argo-rollouts/cmd/rollouts-controller \
    github.com/argoproj/argo-rollouts/cmd/kubectl-argo-rollouts
  ;;
*)
  echo "build.sh: unknown component '$component'" >&2
  exit 2
  ;;
esac

rm -rf "$dest"
mv "$partial" "$dest"
echo "built $component into $dest"
