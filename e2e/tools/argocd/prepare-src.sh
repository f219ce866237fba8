#!/usr/bin/env bash
# Recreate ./argo-cd-src: Argo CD's module VERSION from the Go module cache, plus the files
# in ./_overlay (Go tooling ignores folders starting with "_", so they never build here).
#
#   e2e/tools/argocd/prepare-src.sh VERSION
#
# Why: argo-cd v3.2.12 as published does not compile ("undefined: settings.ValidateExternalURL"
# in controller/cache/info.go), and `go build -overlay` cannot patch files in the module cache.
# go.mod replaces github.com/argoproj/argo-cd/v3 with ./argo-cd-src (gitignored).
set -euo pipefail
version=${1:?usage: prepare-src.sh VERSION}
here=$(cd "$(dirname "$0")" && pwd)
# Outside any module, so this folder's go.mod (and its replace) is not consulted.
dir=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod GOWORK=off "${GO:-go}" mod download -json \
  "github.com/argoproj/argo-cd/v3@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "prepare-src.sh: go mod download found no argo-cd $version" >&2; exit 1; }
rm -rf "$here/argo-cd-src"
cp -R "$dir" "$here/argo-cd-src"
chmod -R u+w "$here/argo-cd-src"
rm -rf "$here/argo-cd-src/docs" # 26 MB, not needed to build
cp -R "$here/_overlay/." "$here/argo-cd-src/"
echo "prepared argo-cd $version in $here/argo-cd-src"
