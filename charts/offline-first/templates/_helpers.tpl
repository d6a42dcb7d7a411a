{{/* Chart name, truncated to a DNS label. */}}
{{- define "offline-first.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, plus the chart name unless the release name contains it. */}}
{{- define "offline-first.fullname" -}}
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

{{- define "offline-first.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "offline-first.labels" -}}
helm.sh/chart: {{ include "offline-first.chart" . }}
{{ include "offline-first.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: offline-first
{{- end }}

{{- define "offline-first.selectorLabels" -}}
app.kubernetes.io/name: {{ include "offline-first.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The operator's pods and the Service that selects them. */}}
{{- define "offline-first.operatorSelectorLabels" -}}
{{ include "offline-first.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "offline-first.agentSelectorLabels" -}}
{{ include "offline-first.selectorLabels" . }}
app.kubernetes.io/component: link-agent
{{- end }}

{{- define "offline-first.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "offline-first.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The link agent's ServiceAccount: its RBAC and the link-record policy (link-record-policy.yaml) name
it, so the DaemonSet must run under exactly this name.
*/}}
{{- define "offline-first.linkAgentServiceAccountName" -}}
{{- printf "%s-link-agent" (include "offline-first.fullname" .) }}
{{- end }}

{{- define "offline-first.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The restricted Pod Security profile, for the operator and the agent alike. */}}
{{- define "offline-first.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "offline-first.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Cross-field rules the schema cannot state clearly; rendered (as nothing) by the Deployment. */}}
{{- define "offline-first.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount is %d but leaderElection.enabled is false: every replica would act on its own and they would fight over the same migrations; enable leader election or set replicaCount to 1" (int .Values.replicaCount)) }}
{{- end }}
{{- if eq (int .Values.metrics.port) (int .Values.health.port) }}
{{- fail (printf "metrics.port and health.port are both %d; give /metrics and /healthz different ports" (int .Values.metrics.port)) }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (gt (int .Values.replicaCount) 1) (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be lower than replicaCount (%d), or no node holding an operator replica could ever be drained" (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
