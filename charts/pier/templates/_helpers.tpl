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
