#!/usr/bin/env bash
# kubectl of the same Kubernetes release as the local control plane's API server (built by
# scripts/build-tools.sh on first use), pointed at the local control plane (`npm run cluster -- up`):
#   npm run kubectl -- get nodes,vmis -A
# The cluster's directory is $OFFLINE_FIRST_CLUSTER_DIR when set, else .cluster in the project.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$("$root/scripts/build-tools.sh" kubectl 2> >(grep -v ': cached$' >&2) | tail -n 1)
export KUBECONFIG="${OFFLINE_FIRST_CLUSTER_DIR:-$root/.cluster}/kubeconfig"
[ -f "$KUBECONFIG" ] || { echo "no local control plane is running ($KUBECONFIG is missing): npm run cluster -- up" >&2; exit 1; }
exec "$dir/kubectl" "$@"
