{{/* Chart name, possibly overridden. */}}
{{- define "pier.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-pier, or the release name alone when it already contains the chart name. */}}
{{- define "pier.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pier.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "pier.labels" -}}
helm.sh/chart: {{ include "pier.chart" . }}
{{ include "pier.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pier
{{- end }}

{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "pier.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pier.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "pier.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pier.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pier.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The pod's grace period: Pier keeps serving for the shutdown delay, then drains for at most the
shutdown timeout; the margin covers process exit. An explicit value shorter than the drain
would let the kubelet SIGKILL Pier with requests in flight, so it is refused.
*/}}
{{- define "pier.terminationGracePeriodSeconds" -}}
{{- $c := .Values.controller }}
{{- $drain := add (int $c.shutdownDelaySeconds) (int $c.shutdownTimeoutSeconds) }}
{{- if gt (int $c.terminationGracePeriodSeconds) 0 }}
{{- if le (int $c.terminationGracePeriodSeconds) (int $drain) }}
{{- fail (printf "controller.terminationGracePeriodSeconds (%d) must exceed shutdownDelaySeconds + shutdownTimeoutSeconds (%d)" (int $c.terminationGracePeriodSeconds) (int $drain)) }}
{{- end }}
{{- int $c.terminationGracePeriodSeconds }}
{{- else }}
{{- add $drain (int $c.terminationGraceMarginSeconds) }}
{{- end }}
{{- end }}

{{/*
The IngressClass's spec.controller, which Pier is told with --controller-name. Derived from the
class name unless set: two installs with different class names then never serve each other's
Ingresses (a shared value would make each serve both classes).
*/}}
{{- define "pier.controllerValue" -}}
{{- $ic := .Values.ingressClass }}
{{- if $ic.controllerValue }}
{{- $ic.controllerValue }}
{{- else if eq $ic.name "pier" }}
{{- "pier.dev/ingress-controller" }}
{{- else }}
{{- printf "pier.dev/ingress-controller-%s" $ic.name }}
{{- end }}
{{- end }}

{{/*
Names of the cluster's other IngressClasses marked default, given the `lookup` of all
IngressClasses (a list object; empty under `helm template`, which has no cluster). A separate
template so tests can feed it a list.
*/}}
{{- define "pier.otherDefaultClasses" -}}
{{- $ours := .ours }}
{{- $others := list }}
{{- range (default (list) (get (default (dict) .classes) "items")) }}
{{- $annotations := default (dict) .metadata.annotations }}
{{- if and (ne .metadata.name $ours) (eq (toString (get $annotations "ingressclass.kubernetes.io/is-default-class")) "true") }}
{{- $others = append $others .metadata.name }}
{{- end }}
{{- end }}
{{- join "," $others }}
{{- end }}

{{/* The other default IngressClasses of the cluster this release is installed in ("" for none). */}}
{{- define "pier.clusterOtherDefaultClasses" -}}
{{- include "pier.otherDefaultClasses" (dict "ours" .Values.ingressClass.name "classes" (lookup "networking.k8s.io/v1" "IngressClass" "" "")) }}
{{- end }}

{{/* "true" when Pier's IngressClass is marked default: asked for, and no other class already is. */}}
{{- define "pier.isDefaultClass" -}}
{{- if and .Values.ingressClass.default (not (include "pier.clusterOtherDefaultClasses" .)) }}true{{ end }}
{{- end }}

{{/*
The container's resources: controller.resources, with a memory request derived from the
number of processes when none is given: 85Mi for the primary and for each worker (measured
idle: 73-75 MiB proportional set size each). An empty controller.workers (Pier's default, the
node's CPUs) counts as 2.
*/}}
{{- define "pier.resources" -}}
{{- $resources := deepCopy (default (dict) .Values.controller.resources) }}
{{- $requests := default (dict) $resources.requests }}
{{- if not $requests.memory }}
{{- $workers := int (default 2 .Values.controller.workers) }}
{{- $mebibytes := mul 85 (add 1 $workers) }}
{{- $limit := toString (dig "limits" "memory" "" $resources) }}
{{- $limitMi := 0 }}
{{- if hasSuffix "Gi" $limit }}{{ $limitMi = mul 1024 (int (trimSuffix "Gi" $limit)) }}{{ else if hasSuffix "Mi" $limit }}{{ $limitMi = int (trimSuffix "Mi" $limit) }}{{ end }}
{{- if and (gt (int $limitMi) 0) (gt (int $mebibytes) (int $limitMi)) }}
{{- fail (printf "controller.resources.limits.memory (%s) is below the %dMi that %d workers need idle (85Mi per process): raise the limit, or set controller.resources.requests.memory" $limit $mebibytes $workers) }}
{{- end }}
{{- $_ := set $requests "memory" (printf "%dMi" $mebibytes) }}
{{- $_ := set $resources "requests" $requests }}
{{- end }}
{{- toYaml $resources }}
{{- end }}
