{{/* The reflector's pods and the Service that selects them. */}}
{{- define "offline-first.reflectorSelectorLabels" -}}
{{ include "offline-first.selectorLabels" . }}
app.kubernetes.io/component: reflector
{{- end }}

{{/* Where the link agents probe: a reflector of the user's, or the chart's Service. */}}
{{- define "offline-first.reflectorAddress" -}}
{{- if .Values.linkAgent.reflectorAddress }}
{{- .Values.linkAgent.reflectorAddress }}
{{- else }}
{{- printf "%s-reflector.%s.svc:%d" (include "offline-first.fullname" .) .Release.Namespace (int .Values.reflector.port) }}
{{- end }}
{{- end }}
