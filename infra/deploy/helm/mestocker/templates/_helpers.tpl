{{/* Labels every object of the release carries (the region too: data locality, docs/deploy.md). */}}
{{- define "mestocker.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: Helm
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
mestocker.co/region: {{ required "region.name is required (a values-<city>.yaml)" .Values.region.name }}
{{- end }}

{{- define "mestocker.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Pod placement: only on nodes of this region (Colombian data stays in its Colombian region). */}}
{{- define "mestocker.placement" -}}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - key: topology.kubernetes.io/region
              operator: In
              values:
                - {{ .Values.region.kubernetesRegion | quote }}
{{- end }}

{{/* The image, its user and the configuration every MeStocker container shares. */}}
{{- define "mestocker.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "mestocker.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "mestocker.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ .Release.Name }}-config
  - secretRef:
      name: {{ required "secrets.existingSecret names the Kubernetes Secret with the credentials" .Values.secrets.existingSecret }}
{{- end }}
