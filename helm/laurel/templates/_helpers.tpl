{{/* Chart name, truncated to the 63 characters Kubernetes allows in a name. */}}
{{- define "laurel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, with the chart name unless the release already contains it. */}}
{{- define "laurel.fullname" -}}
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

{{- define "laurel.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "laurel.labels" -}}
helm.sh/chart: {{ include "laurel.chart" . }}
{{ include "laurel.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: laurel
{{- end }}

{{- define "laurel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "laurel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "laurel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "laurel.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "laurel.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding DATABASE_URL, SMTP_URL and LAUREL_VOUCHER_KEY. */}}
{{- define "laurel.secretName" -}}
{{- default (include "laurel.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "laurel.workerEnabled" -}}
{{- if and .Values.worker.enabled .Values.temporal.address }}true{{- end }}
{{- end }}

{{/* Environment of every Laurel container: the ConfigMap, the secret settings, extra variables. */}}
{{- define "laurel.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "laurel.fullname" . }}
env:
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "laurel.secretName" . }}
        key: DATABASE_URL
  - name: SMTP_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "laurel.secretName" . }}
        key: SMTP_URL
        optional: true
  - name: LAUREL_VOUCHER_KEY
    valueFrom:
      secretKeyRef:
        name: {{ include "laurel.secretName" . }}
        key: LAUREL_VOUCHER_KEY
        optional: true
{{- with .Values.config.extraEnv }}
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The non-secret settings as environment variables (the ConfigMap, and the migration Job, which runs first). */}}
{{- define "laurel.configData" -}}
LAUREL_HOST: "0.0.0.0"
LAUREL_PORT: {{ .Values.server.port | quote }}
LAUREL_TRUST_PROXY: {{ .Values.config.trustProxy | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LAUREL_DB_POOL_SIZE: {{ .Values.config.dbPoolSize | quote }}
LAUREL_OUTBOX_POLL_MS: {{ .Values.config.outbox.pollIntervalMs | quote }}
LAUREL_OUTBOX_BATCH: {{ .Values.config.outbox.batchSize | quote }}
TEMPORAL_NAMESPACE: {{ .Values.temporal.namespace | quote }}
LAUREL_TASK_QUEUE: {{ .Values.temporal.taskQueue | quote }}
{{- with .Values.config.publicUrl }}
LAUREL_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- with .Values.temporal.address }}
TEMPORAL_ADDRESS: {{ . | quote }}
{{- end }}
{{- with .Values.config.webDir }}
LAUREL_WEB_DIR: {{ . | quote }}
{{- end }}
{{- with .Values.config.mailFrom }}
MAIL_FROM: {{ . | quote }}
{{- end }}
{{- with .Values.config.plugins }}
LAUREL_PLUGINS: {{ . | quote }}
{{- end }}
{{- with .Values.config.pluginsDisabled }}
LAUREL_PLUGINS_DISABLED: {{ . | quote }}
{{- end }}
{{- if .Values.config.file }}
LAUREL_CONFIG: /etc/laurel/laurel.json
{{- end }}
{{- end }}

{{/* Volumes every Laurel pod mounts: /tmp, and the JSON configuration file when there is one. */}}
{{- define "laurel.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if .Values.config.file }}
- name: config-file
  configMap:
    name: {{ include "laurel.fullname" . }}-file
{{- end }}
{{- end }}

{{- define "laurel.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.config.file }}
- name: config-file
  mountPath: /etc/laurel
  readOnly: true
{{- end }}
{{- end }}

{{- define "laurel.checkValues" -}}
{{- if and (not .Values.secrets.existingSecret) (not .Values.secrets.databaseUrl) }}
{{- fail "laurel: set secrets.databaseUrl (DATABASE_URL) or secrets.existingSecret (a Secret with the key DATABASE_URL)" }}
{{- end }}
{{- end }}

{{/* Egress rules when networkPolicy.egress.restrict is on: DNS, then the configured peers. */}}
{{- define "laurel.networkPolicyEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- with .Values.networkPolicy.egress.to }}
{{ toYaml . }}
{{- end }}
{{- end }}
