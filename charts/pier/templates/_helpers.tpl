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
