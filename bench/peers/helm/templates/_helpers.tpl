{{/* Object metadata. Args: dict root, name, app, component, pod (tutorial labels), wave. */}}
{{- define "guestbook.metadata" -}}
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  {{- with .wave }}
  annotations:
    argocd.argoproj.io/sync-wave: {{ . | quote }}
  {{- end }}
  labels:
    {{- with .pod }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    app.kubernetes.io/name: {{ .app }}
    app.kubernetes.io/component: {{ .component }}
    app.kubernetes.io/instance: {{ .root.Release.Name }}
    app.kubernetes.io/part-of: guestbook
    app.kubernetes.io/managed-by: guestbook-gitops
{{- end }}

{{/* The three workloads' metadata arguments. */}}
{{- define "guestbook.leader" -}}
{{- toJson (dict "name" "redis-leader" "app" "redis" "component" "leader" "wave" "0" "pod" (dict "app" "redis" "role" "leader" "tier" "backend") "selector" (dict "app" "redis" "role" "leader")) }}
{{- end }}
{{- define "guestbook.follower" -}}
{{- toJson (dict "name" "redis-follower" "app" "redis" "component" "follower" "wave" "1" "pod" (dict "app" "redis" "role" "follower" "tier" "backend") "selector" (dict "app" "redis" "role" "follower")) }}
{{- end }}
{{- define "guestbook.frontend" -}}
{{- toJson (dict "name" "frontend" "app" "guestbook" "component" "frontend" "wave" "2" "pod" (dict "app" "guestbook" "tier" "frontend") "selector" (dict "app" "guestbook" "tier" "frontend")) }}
{{- end }}

{{/* Requests and limits, leaving out what is unset. Arg: a resources value. */}}
{{- define "guestbook.resources" -}}
{{- range $kind := list "limits" "requests" }}
{{- with index $ $kind }}
{{ $kind }}:
  {{- with .cpu }}
  cpu: {{ . | quote }}
  {{- end }}
  {{- with .memory }}
  memory: {{ . | quote }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "guestbook.redisProbes" -}}
startupProbe:
  tcpSocket: {port: 6379}
  periodSeconds: 2
  failureThreshold: 30
readinessProbe:
  exec:
    command: [sh, -c, redis-cli ping | grep -q PONG]
  periodSeconds: 5
  timeoutSeconds: 2
livenessProbe:
  tcpSocket: {port: 6379}
  periodSeconds: 10
  failureThreshold: 3
{{- end }}

{{- define "guestbook.redisPodSecurity" -}}
fsGroup: 10001
runAsGroup: 10001
runAsNonRoot: true
runAsUser: 10001
seccompProfile: {type: RuntimeDefault}
{{- end }}

{{- define "guestbook.redisContainerSecurity" -}}
allowPrivilegeEscalation: false
capabilities: {drop: [ALL]}
privileged: false
readOnlyRootFilesystem: true
{{- end }}

{{/* Soft topology spread. Args: dict root, selector. */}}
{{- define "guestbook.spread" -}}
{{- $availability := .root.Values.availability }}
{{- if $availability.spreadAcrossNodes }}
topologySpreadConstraints:
{{- range $key := compact (list "kubernetes.io/hostname" $availability.zoneKey) }}
- labelSelector:
    matchLabels:
      {{- toYaml $.selector | nindent 6 }}
  maxSkew: 1
  topologyKey: {{ $key }}
  whenUnsatisfiable: ScheduleAnyway
{{- end }}
{{- end }}
{{- end }}

{{/* A PodDisruptionBudget. Args: dict root, part (workload arguments). */}}
{{- define "guestbook.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
{{ include "guestbook.metadata" (merge (dict "root" .root) .part) }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- toYaml .part.selector | nindent 6 }}
{{- end }}

{{/* A ServiceAccount without an API token. Args: dict root, part. */}}
{{- define "guestbook.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
{{ include "guestbook.metadata" (merge (dict "root" .root) .part) }}
automountServiceAccountToken: false
{{- end }}

{{/* A Service with one TCP port. Args: dict root, part, port, type. */}}
{{- define "guestbook.service" -}}
apiVersion: v1
kind: Service
{{ include "guestbook.metadata" (merge (dict "root" .root) .part) }}
spec:
  {{- with .type }}
  type: {{ . }}
  {{- end }}
  selector:
    {{- toYaml .part.pod | nindent 4 }}
  ports:
  - port: {{ .port }}
    targetPort: {{ .targetPort }}
{{- end }}
