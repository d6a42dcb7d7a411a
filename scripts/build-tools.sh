#!/usr/bin/env bash
# Builds the pinned control-plane tools (kube-apiserver, etcd, helm, and kubectl of the same
# Kubernetes release as kube-apiserver) from the Go module proxy, each in its own wrapper module,
# into a cache keyed by version outside the clone.
#
#   scripts/build-tools.sh [kube-apiserver|kubectl|etcd|helm ...]   (default: all four)
#
# Prints the directory holding the binaries on the last line of stdout.
# Environment:
#   OFFLINE_FIRST_TOOLS_DIR   cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/offline-first/tools)
#   KUBEBUILDER_ASSETS        if it holds kube-apiserver and etcd, those are used and not built
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.14
HELM_VERSION=v3.21.4
HELM_K8S_MINOR=36   # helm v3.21 is built against client-go v0.36

root="${OFFLINE_FIRST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/offline-first/tools}"
bin="$root/bin"
mkdir -p "$bin" "$root/work" "$root/logs"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

log() { printf '[build-tools] %s\n' "$*" >&2; }

# Runs a step with its output in a log file; on failure names the tool and shows the log's tail.
step() {
  local tool=$1 what=$2; shift 2
  local logf="$root/logs/$tool.log"
  log "$tool: $what"
  if ! "$@" >>"$logf" 2>&1; then
    log "FAILED building $tool during '$what'. Last lines of $logf:"
    tail -n 25 "$logf" >&2
    exit 1
  fi
}

# A binary is current when the stamp beside it names the pinned version.
current() { [ -x "$bin/$1" ] && [ "$(cat "$bin/$1.version" 2>/dev/null)" = "$2" ]; }

# kube-apiserver and kubectl are commands of k8s.io/kubernetes, whose go.mod maps the staging
# modules to ./staging: a wrapper module routes each to its published version of the same release.
build_k8s_cmd() {
  local tool=$1
  current "$tool" "$K8S_VERSION" && { log "$tool $K8S_VERSION: cached"; return; }
  local d="$root/work/$tool-$K8S_VERSION" staging="v0.${K8S_VERSION#v1.}"
  local start=$SECONDS
  rm -rf "$d"; mkdir -p "$d"; : >"$root/logs/$tool.log"
  (
    cd "$d"
    printf 'module local/build/%s\n\ngo 1.26.0\n' "$tool" >go.mod
    step "$tool" "download k8s.io/kubernetes@$K8S_VERSION go.mod" go mod download -json "k8s.io/kubernetes@$K8S_VERSION"
    gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    n=0
    for m in $(sed -n 's|^[[:space:]]*\(k8s.io/[A-Za-z0-9._-]*\) => \./staging/src/.*|\1|p' "$gomod"); do
      go mod edit -replace="$m=$m@$staging"; n=$((n + 1))
    done
    log "$tool: $n staging modules replaced with $staging"
    go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
    printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/%s"\n' "$tool" >tools.go
    step "$tool" "resolve modules (go mod tidy, downloads ~1 GB the first time)" go mod tidy
    local ld="-s -w" minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    done
    step "$tool" "compile (kube-apiserver: 10-20 min cold on 2 cores)" \
      go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ld" -o "$bin/$tool.tmp" "k8s.io/kubernetes/cmd/$tool"
  )
  mv "$bin/$tool.tmp" "$bin/$tool"
  echo "$K8S_VERSION" >"$bin/$tool.version"
  log "$tool $K8S_VERSION built in $((SECONDS - start)) s"
}

build_etcd() {
  current etcd "$ETCD_VERSION" && { log "etcd $ETCD_VERSION: cached"; return; }
  local d="$root/work/etcd-$ETCD_VERSION" start=$SECONDS
  rm -rf "$d"; mkdir -p "$d"; : >"$root/logs/etcd.log"
  (
    cd "$d"
    printf 'module local/build/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
    step etcd "resolve modules" go mod tidy
    step etcd "compile" go build -trimpath -ldflags="-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "$bin/etcd.tmp" "$bin/etcd"
  echo "$ETCD_VERSION" >"$bin/etcd.version"
  log "etcd $ETCD_VERSION built in $((SECONDS - start)) s"
}

build_helm() {
  current helm "$HELM_VERSION" && { log "helm $HELM_VERSION: cached"; return; }
  local d="$root/work/helm-$HELM_VERSION" start=$SECONDS
  rm -rf "$d"; mkdir -p "$d"; : >"$root/logs/helm.log"
  local ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  ld="$ld -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR"
  ld="$ld -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR"
  (
    cd "$d"
    step helm "compile" env GOBIN="$d" go install -trimpath -ldflags="$ld" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  )
  mv "$d/helm" "$bin/helm"
  echo "$HELM_VERSION" >"$bin/helm.version"
  log "helm $HELM_VERSION built in $((SECONDS - start)) s"
}

tools=("$@"); [ ${#tools[@]} -gt 0 ] || tools=(etcd helm kube-apiserver kubectl)

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  log "using kube-apiserver and etcd from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  # helm and kubectl come from there too when it has them; else they are built into the cache,
  # and the cache is the directory printed.
  out="$KUBEBUILDER_ASSETS"
  for t in "${tools[@]}"; do
    case "$t" in
      helm|kubectl)
        [ -x "$KUBEBUILDER_ASSETS/$t" ] && continue
        if [ "$t" = helm ]; then build_helm; else build_k8s_cmd kubectl; fi
        out="$bin" ;;
    esac
  done
  echo "$out"; exit 0
fi

command -v go >/dev/null || { log "FAILED: 'go' is not on PATH; Go >= 1.26 is needed to build the control-plane tools"; exit 1; }
for t in "${tools[@]}"; do
  case "$t" in
    kube-apiserver|kubectl) build_k8s_cmd "$t" ;;
    etcd) build_etcd ;;
    helm) build_helm ;;
    *) log "unknown tool '$t' (expected kube-apiserver, kubectl, etcd or helm)"; exit 2 ;;
  esac
done
echo "$bin"
