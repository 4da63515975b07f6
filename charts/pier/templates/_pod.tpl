{{/*
Pier's command line. The flags mirror src/config.ts; extraArgs come last so that, as with
node:util parseArgs, a repeated flag takes the user's value.
*/}}
{{- define "pier.args" -}}
{{- $c := .Values.controller -}}
- serve
- --http-port={{ $c.ports.http }}
- --https-port={{ $c.ports.https }}
- --health-port={{ $c.ports.health }}
{{- /* The ports clients connect to (X-Forwarded-Port, use-port-in-redirects): the node's with
hostPorts, else the Service's; with hostNetwork Pier's own ports are the node's. */}}
{{- if and (not $c.hostNetwork) (or $c.hostPorts.enabled .Values.service.enabled) }}
{{- $public := ternary $c.hostPorts .Values.service.ports $c.hostPorts.enabled }}
- --public-http-port={{ int $public.http }}
- --public-https-port={{ int $public.https }}
{{- end }}
{{- include "pier.optionalFlag" (list "workers" $c.workers) }}
- --ingress-class={{ .Values.ingressClass.name }}
- --controller-name={{ include "pier.controllerValue" . }}
{{- with $c.watchNamespace }}
- --watch-namespace={{ . }}
{{- end }}
{{- with $c.watchNamespaceSelector }}
{{- if $c.watchNamespace }}
{{- fail "controller.watchNamespace and controller.watchNamespaceSelector exclude each other (as ingress-nginx's flags): give one namespace, or a selector of namespaces" }}
{{- end }}
- {{ printf "--watch-namespace-selector=%s" . | quote }}
{{- end }}
{{- if $c.watchIngressWithoutClass }}
- --watch-ingress-without-class
{{- end }}
- --election-id={{ $c.electionId }}
{{- if not $c.updateStatus }}
- --update-status=false
{{- end }}
{{- if $c.publishStatusAddress }}
- --publish-status-address={{ join "," $c.publishStatusAddress }}
{{- else if $c.publishService.enabled }}
- --publish-service={{ default (printf "%s/%s" .Release.Namespace (include "pier.fullname" .)) $c.publishService.pathOverride }}
{{- end }}
- --shutdown-delay={{ int $c.shutdownDelaySeconds }}s
- --shutdown-timeout={{ int $c.shutdownTimeoutSeconds }}s
{{- include "pier.optionalFlag" (list "keepalive-timeout" $c.keepaliveTimeout) }}
{{- include "pier.optionalFlag" (list "keepalive-requests" $c.keepaliveRequests) }}
{{- include "pier.optionalFlag" (list "client-header-timeout" $c.clientHeaderTimeout) }}
{{- include "pier.optionalFlag" (list "client-body-timeout" $c.clientBodyTimeout) }}
{{- with $c.defaultBackendService }}
- --default-backend-service={{ . }}
{{- end }}
{{- with $c.defaultSslCertificate }}
- --default-ssl-certificate={{ . }}
{{- end }}
{{- /* ingress-nginx's proxy-set-headers / add-headers: NAMESPACE/NAME, or a map of headers
the chart makes into a ConfigMap in the release namespace (custom-headers.yaml). A ConfigMap
outside watchNamespace would never be read (Pier refuses it at start; here helm says so before
a pod crash-loops). */}}
{{- $watchNs := or $c.watchNamespace (index $c.extraArgs "watch-namespace") }}
{{- range $value, $suffix := dict "proxySetHeaders" "custom-proxy-headers" "addHeaders" "custom-add-headers" }}
{{- $ref := index $c $value }}
{{- if $ref }}
{{- if kindIs "map" $ref }}
{{- $ref = printf "%s/%s-%s" $.Release.Namespace (include "pier.fullname" $) $suffix }}
{{- end }}
{{- if and $watchNs (ne (first (splitList "/" $ref)) (toString $watchNs)) }}
{{- fail (printf "controller.%s names ConfigMap %s, outside controller.watchNamespace %s, where Pier reads nothing: put the ConfigMap in %s" $value $ref $watchNs $watchNs) }}
{{- end }}
- --{{ ternary "proxy-set-headers" "add-headers" (eq $value "proxySetHeaders") }}={{ $ref }}
{{- end }}
{{- end }}
{{- include "pier.optionalFlag" (list "max-body-size" $c.maxBodySize) }}
{{- include "pier.optionalFlag" (list "max-header-size" $c.maxHeaderSize) }}
{{- include "pier.optionalFlag" (list "max-headers" $c.maxHeaders) }}
{{- include "pier.optionalFlag" (list "backlog" $c.backlog) }}
{{- include "pier.optionalFlag" (list "proxy-connect-timeout" $c.proxyConnectTimeout) }}
{{- include "pier.optionalFlag" (list "proxy-send-timeout" $c.proxySendTimeout) }}
{{- include "pier.optionalFlag" (list "proxy-read-timeout" $c.proxyReadTimeout) }}
{{- include "pier.optionalFlag" (list "upstream-keepalive-connections" $c.upstreamKeepaliveConnections) }}
{{- include "pier.optionalFlag" (list "upstream-keepalive-requests" $c.upstreamKeepaliveRequests) }}
{{- include "pier.optionalFlag" (list "upstream-keepalive-time" $c.upstreamKeepaliveTime) }}
{{- include "pier.optionalFlag" (list "upstream-keepalive-timeout" $c.upstreamKeepaliveTimeout) }}
- --cache-size={{ $c.cache.size }}
- --cache-dir=/var/cache/pier
- --log-level={{ $c.logLevel }}
{{- if $c.accessLog }}
- --access-log
{{- end }}
{{- if $c.enableSslPassthrough }}
- --enable-ssl-passthrough
{{- end }}
{{- include "pier.optionalFlag" (list "compression" $c.compression) }}
{{- include "pier.optionalFlag" (list "compression-types" $c.compressionTypes) }}
{{- include "pier.optionalFlag" (list "compression-min-length" $c.compressionMinLength) }}
{{- $annotationFlags := dict "proxy-cookie-domain" $c.proxyCookieDomain "proxy-cookie-path" $c.proxyCookiePath "proxy-redirect-from" $c.proxyRedirectFrom "proxy-redirect-to" $c.proxyRedirectTo "whitelist-source-range" $c.whitelistSourceRange "denylist-source-range" $c.denylistSourceRange "block-cidrs" $c.blockCidrs "custom-http-errors" $c.customHttpErrors }}
{{- range $name, $value := $annotationFlags }}
{{- if $value }}
- {{ printf "--%s=%s" $name (toString $value) | quote }}
{{- end }}
{{- end }}
{{- if and $c.customHttpErrors (not $c.defaultBackendService) (not (hasKey $c.extraArgs "default-backend-service")) }}
{{- fail "controller.customHttpErrors needs controller.defaultBackendService: the Service that answers the listed statuses" }}
{{- end }}
{{- if not $c.sslRedirect }}
- --ssl-redirect=false
{{- end }}
{{- if $c.forceSslRedirect }}
- --force-ssl-redirect=true
{{- end }}
- {{ printf "--ssl-protocols=%s" $c.sslProtocols | quote }}
- {{ printf "--ssl-ciphers=%s" $c.sslCiphers | quote }}
{{- if $c.hsts.enabled }}
- --hsts=max-age={{ int64 $c.hsts.maxAge }}{{ if $c.hsts.includeSubdomains }}; includeSubDomains{{ end }}{{ if $c.hsts.preload }}; preload{{ end }}
{{- else }}
- --hsts=off
{{- end }}
{{- range $name, $value := $c.extraArgs }}
{{- if kindIs "bool" $value }}
{{- if $value }}
- --{{ $name }}
{{- end }}
{{- else if not (kindIs "invalid" $value) }}
- --{{ $name }}={{ $value }}
{{- end }}
{{- end }}
{{- end }}

{{/*
`- --NAME=VALUE` for (list NAME VALUE), unless VALUE is "" or null: 0 is a value
(upstream-keepalive-connections 0 turns keepalive off), so `with` would drop it. Numbers print as
integers (a values file gives float64, which prints 1000000 as 1e+06).
*/}}
{{- define "pier.optionalFlag" -}}
{{- $name := index . 0 -}}
{{- $value := index . 1 -}}
{{- if not (or (kindIs "invalid" $value) (eq (toString $value) "")) }}
- --{{ $name }}={{ if kindIs "string" $value }}{{ $value }}{{ else }}{{ int64 $value }}{{ end }}
{{- end }}
{{- end }}

{{/* The pod template shared by the Deployment and the DaemonSet. */}}
{{- define "pier.podTemplate" -}}
{{- $c := .Values.controller -}}
metadata:
  labels:
    {{- include "pier.selectorLabels" . | nindent 4 }}
    {{- with $c.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $c.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "pier.serviceAccountName" . }}
  automountServiceAccountToken: true
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- if $c.hostNetwork }}
  hostNetwork: true
  {{- end }}
  {{- if $c.dnsPolicy }}
  dnsPolicy: {{ $c.dnsPolicy }}
  {{- else if $c.hostNetwork }}
  # With the node's network, ClusterFirst would use the node's resolver: keep cluster DNS.
  dnsPolicy: ClusterFirstWithHostNet
  {{- end }}
  {{- with $c.extraInitContainers }}
  initContainers:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  # Pier drains within --shutdown-delay + --shutdown-timeout; this leaves it that long plus a
  # margin before SIGKILL. No preStop hook: the delay is Pier's own (--shutdown-delay).
  terminationGracePeriodSeconds: {{ include "pier.terminationGracePeriodSeconds" . }}
  securityContext:
    {{- toYaml $c.podSecurityContext | nindent 4 }}
  containers:
    - name: pier
      image: {{ include "pier.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        {{- include "pier.args" . | nindent 8 }}
      env:
        # Leader election identity and the namespace of its Lease.
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        {{- with $c.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: http
          containerPort: {{ $c.ports.http }}
          protocol: TCP
          {{- if $c.hostPorts.enabled }}
          hostPort: {{ $c.hostPorts.http }}
          {{- end }}
        - name: https
          containerPort: {{ $c.ports.https }}
          protocol: TCP
          {{- if $c.hostPorts.enabled }}
          hostPort: {{ $c.hostPorts.https }}
          {{- end }}
        - name: health
          containerPort: {{ $c.ports.health }}
          protocol: TCP
      # /healthz answers while the process is alive; /readyz only once every worker serves a
      # table built after the initial sync, so a new pod gets traffic only when it routes.
      livenessProbe:
        httpGet:
          path: /healthz
          port: health
        {{- toYaml $c.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: health
        {{- toYaml $c.readinessProbe | nindent 8 }}
      resources:
        {{- include "pier.resources" . | nindent 8 }}
      securityContext:
        {{- toYaml $c.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: cache
          mountPath: /var/cache/pier
        {{- with $c.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- with $c.extraContainers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  volumes:
    # The root filesystem is read-only; /tmp and the cache directory are the writable places.
    - name: tmp
      emptyDir:
        sizeLimit: {{ $c.tmpSizeLimit }}
    # The shared HTTP cache's files (pier.dev/cache), read by every worker of the pod.
    - name: cache
      {{- if or $c.cache.medium $c.cache.sizeLimit }}
      emptyDir:
        {{- with $c.cache.medium }}
        medium: {{ . }}
        {{- end }}
        {{- with $c.cache.sizeLimit }}
        sizeLimit: {{ . }}
        {{- end }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- with $c.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $c.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if $c.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml $c.topologySpreadConstraints | nindent 4 }}
  {{- else if and $c.spreadAcrossNodes (eq $c.kind "Deployment") }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "pier.selectorLabels" . | nindent 10 }}
  {{- end }}
{{- end }}
