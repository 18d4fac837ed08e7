/**
 * Every setting Reelcast reads, in one table: its key in reelcast.config.yaml, its environment
 * variable, its type, default and meaning. The loader, `reelcast config` and the README's
 * configuration reference all come from this table, so they cannot drift apart.
 */

export type SettingType =
  | { kind: 'string' }
  | { kind: 'path' }
  | { kind: 'url' }
  | { kind: 'int'; min: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; values: readonly string[] }
  | { kind: 'secret' };

export interface Setting {
  /** Dotted key in reelcast.config.yaml, e.g. `worker.gpuConcurrency`. */
  key: string;
  /** Environment variable that overrides the file. Secrets also accept `<ENV>_FILE`. */
  env: string;
  type: SettingType;
  /** Default as the text a person would write; undefined means "unset". */
  default?: string;
  doc: string;
}

export const TASK_QUEUE_ROLES = ['gpu', 'media', 'publish'] as const;

const str = { kind: 'string' } as const;
const path = { kind: 'path' } as const;
const url = { kind: 'url' } as const;
const bool = { kind: 'bool' } as const;
const secret = { kind: 'secret' } as const;
const port = { kind: 'int', min: 1, max: 65535 } as const;

export const SETTINGS = [
  {
    key: 'dataDir',
    env: 'REELCAST_DATA_DIR',
    type: path,
    default: '.reelcast',
    doc: 'Where the embedded stack keeps its state: Temporal database, local storage, outbox, service logs.',
  },
  {
    key: 'calendarsDir',
    env: 'REELCAST_CALENDARS_DIR',
    type: path,
    default: 'calendars',
    doc: 'Folder of calendar YAML files.',
  },
  {
    key: 'templatesDir',
    env: 'REELCAST_TEMPLATES_DIR',
    type: path,
    default: 'templates',
    doc: 'Folder of Handlebars templates and style partials.',
  },

  {
    key: 'compliance.blockedTermsFile',
    env: 'REELCAST_BLOCKED_TERMS_FILE',
    type: path,
    doc: 'Compliance list: one term a line (# comments allowed). A prompt or caption containing one is an error at validate and plan time. Calendars may add their own with `blockedTerms:`.',
  },

  {
    key: 'temporal.address',
    env: 'TEMPORAL_ADDRESS',
    type: str,
    doc: 'host:port of an existing Temporal server. When set, Reelcast starts no dev server and uses this one.',
  },
  {
    key: 'temporal.namespace',
    env: 'TEMPORAL_NAMESPACE',
    type: str,
    default: 'default',
    doc: 'Temporal namespace.',
  },
  {
    key: 'temporal.taskQueue',
    env: 'REELCAST_TASK_QUEUE',
    type: str,
    default: 'reelcast',
    doc: 'Base name of the task queues (`<base>`, `<base>-gpu`, `<base>-media`, `<base>-publish`): two deployments can share a namespace under different names.',
  },
  {
    key: 'temporal.apiKey',
    env: 'TEMPORAL_API_KEY',
    type: secret,
    doc: 'API key for Temporal Cloud (enables TLS).',
  },
  {
    key: 'temporal.devServer.ip',
    env: 'REELCAST_TEMPORAL_IP',
    type: str,
    default: '127.0.0.1',
    doc: 'Address the embedded Temporal dev server binds to.',
  },
  {
    key: 'temporal.devServer.port',
    env: 'REELCAST_TEMPORAL_PORT',
    type: port,
    default: '7233',
    doc: 'gRPC port of the embedded Temporal dev server.',
  },
  {
    key: 'temporal.devServer.uiPort',
    env: 'REELCAST_TEMPORAL_UI_PORT',
    type: port,
    default: '8233',
    doc: 'Web UI port of the embedded Temporal dev server.',
  },
  {
    key: 'temporal.devServer.binary',
    env: 'REELCAST_TEMPORAL_BIN',
    type: path,
    doc: 'Path to a `temporal` CLI binary to use instead of looking on PATH or installing one.',
  },

  {
    key: 'storage.kind',
    env: 'REELCAST_STORAGE',
    type: { kind: 'enum', values: ['fs', 's3'] },
    default: 'fs',
    doc: '`fs`: files under dataDir/storage. `s3`: an S3-compatible server.',
  },
  {
    key: 'storage.s3.endpoint',
    env: 'S3_ENDPOINT',
    type: url,
    doc: 'S3 endpoint URL. Unset with storage.kind=s3 and no TEMPORAL_ADDRESS: the embedded S3 server (versitygw) is started.',
  },
  { key: 'storage.s3.region', env: 'S3_REGION', type: str, default: 'us-east-1', doc: 'S3 region.' },
  {
    key: 'storage.s3.bucket',
    env: 'S3_BUCKET',
    type: str,
    default: 'reelcast',
    doc: 'Bucket for masters, renditions, previews, the publish ledger and the outbox. Created if missing.',
  },
  {
    key: 'storage.s3.forcePathStyle',
    env: 'S3_FORCE_PATH_STYLE',
    type: bool,
    default: 'true',
    doc: 'Path-style addressing (needed by most self-hosted servers).',
  },
  {
    key: 'storage.s3.checksum',
    env: 'S3_CHECKSUM',
    type: { kind: 'enum', values: ['when_supported', 'when_required'] },
    default: 'when_required',
    doc: 'When the client adds request checksums. Some S3-compatible servers reject the newer CRC checksums: keep `when_required` for them.',
  },
  {
    key: 'storage.s3.accessKeyId',
    env: 'S3_ACCESS_KEY_ID',
    type: secret,
    doc: 'S3 access key id. The embedded server uses this too (default: a generated local key).',
  },
  {
    key: 'storage.s3.secretAccessKey',
    env: 'S3_SECRET_ACCESS_KEY',
    type: secret,
    doc: 'S3 secret access key.',
  },
  {
    key: 'storage.s3.devServer.port',
    env: 'REELCAST_S3_PORT',
    type: port,
    default: '7070',
    doc: 'Port of the embedded S3 server.',
  },

  {
    key: 'worker.queues',
    env: 'REELCAST_QUEUES',
    type: { kind: 'list', values: TASK_QUEUE_ROLES },
    default: 'gpu,media,publish',
    doc: 'Task queues this worker serves, besides the workflow queue. A GPU host might serve only `gpu`.',
  },
  {
    key: 'worker.gpuConcurrency',
    env: 'REELCAST_GPU_CONCURRENCY',
    type: { kind: 'int', min: 1, max: 64 },
    default: '1',
    doc: 'Generations run at once on this worker: the number of GPUs.',
  },
  {
    key: 'worker.mediaConcurrency',
    env: 'REELCAST_MEDIA_CONCURRENCY',
    type: { kind: 'int', min: 1, max: 64 },
    default: '1',
    doc: 'Transcodes run at once on this worker.',
  },
  {
    key: 'worker.shutdownGraceSeconds',
    env: 'REELCAST_SHUTDOWN_GRACE_SECONDS',
    type: { kind: 'int', min: 0, max: 3600 },
    default: '30',
    doc: 'On SIGTERM, how long running activities may take to finish before they are cancelled.',
  },

  {
    key: 'schedule.leadMinutes',
    env: 'REELCAST_SCHEDULE_LEAD_MINUTES',
    type: { kind: 'int', min: 0, max: 2880 },
    default: '60',
    doc: "How long before a calendar's first slot of the day its daily plan runs (`reelcast schedule sync`): time to generate and transcode the day's clips. A lead that reaches into the day before plans the next day the evening before.",
  },

  {
    key: 'model.dir',
    env: 'REELCAST_MODEL_DIR',
    type: path,
    default: 'models/demo',
    doc: 'Model directory with manifest.json (see models/README.md).',
  },
  {
    key: 'model.provider',
    env: 'REELCAST_EXECUTION_PROVIDER',
    type: { kind: 'enum', values: ['cpu', 'cuda', 'tensorrt'] },
    default: 'cpu',
    doc: 'onnxruntime execution provider. A GPU provider that is not installed falls back to CPU with a warning.',
  },
  {
    key: 'model.deviceId',
    env: 'REELCAST_CUDA_DEVICE_ID',
    type: { kind: 'int', min: 0, max: 63 },
    default: '0',
    doc: 'GPU index for cuda/tensorrt.',
  },
  {
    key: 'model.tensorrtCacheDir',
    env: 'REELCAST_TENSORRT_CACHE_DIR',
    type: path,
    doc: 'Where TensorRT keeps built engines (default: dataDir/tensorrt).',
  },

  {
    key: 'model.precision',
    env: 'REELCAST_MODEL_PRECISION',
    type: { kind: 'enum', values: ['fp32', 'fp16'] },
    default: 'fp32',
    doc: 'Which graphs of the model directory to load (its manifest lists a file per precision). fp16 halves GPU memory.',
  },
  {
    key: 'model.threads',
    env: 'REELCAST_MODEL_THREADS',
    type: { kind: 'int', min: 0, max: 256 },
    default: '0',
    doc: 'onnxruntime intra-op threads for CPU inference; 0 uses every core.',
  },

  { key: 'ffmpeg.ffmpegPath', env: 'FFMPEG_PATH', type: str, default: 'ffmpeg', doc: 'ffmpeg binary.' },
  { key: 'ffmpeg.ffprobePath', env: 'FFPROBE_PATH', type: str, default: 'ffprobe', doc: 'ffprobe binary.' },

  {
    key: 'channels.delivery',
    env: 'REELCAST_DELIVERY',
    type: { kind: 'enum', values: ['outbox', 'live'] },
    default: 'outbox',
    doc: '`outbox` (the default): every channel is a dry run that writes exactly what would be published to the outbox, and nothing is posted. `live`: channels publish for real; a channel without its settings fails with what is missing.',
  },
  {
    key: 'channels.outbox.dir',
    env: 'REELCAST_OUTBOX_DIR',
    type: path,
    doc: 'Folder the outbox channel writes to (default: the outbox/ prefix of the configured storage).',
  },
  {
    key: 'channels.x.apiBaseUrl',
    env: 'X_API_BASE_URL',
    type: url,
    doc: 'X API base URL, for proxies and tests (default: the real API).',
  },
  {
    key: 'channels.x.reconcileWindowMinutes',
    env: 'X_RECONCILE_WINDOW_MINUTES',
    type: { kind: 'int', min: 1, max: 10080 },
    default: '15',
    doc: "When a publish to X was claimed but its outcome is unknown, the retry looks for the caption among the account's posts since the claim, minus this margin for clock skew.",
  },
  {
    key: 'channels.x.processingDeadlineSeconds',
    env: 'X_PROCESSING_DEADLINE_SECONDS',
    type: { kind: 'int', min: 1, max: 3600 },
    default: '600',
    doc: 'How long to wait for X to finish processing an uploaded video before the attempt fails and is retried.',
  },
  { key: 'channels.x.appKey', env: 'X_APP_KEY', type: secret, doc: 'X app (consumer) key.' },
  { key: 'channels.x.appSecret', env: 'X_APP_SECRET', type: secret, doc: 'X app (consumer) secret.' },
  {
    key: 'channels.x.accessToken',
    env: 'X_ACCESS_TOKEN',
    type: secret,
    doc: 'X user access token (the posting account).',
  },
  {
    key: 'channels.x.accessSecret',
    env: 'X_ACCESS_SECRET',
    type: secret,
    doc: 'X user access token secret.',
  },
  {
    key: 'channels.webhook.url',
    env: 'WEBHOOK_URL',
    type: url,
    doc: 'URL the webhook channel POSTs each post to.',
  },
  {
    key: 'channels.webhook.secret',
    env: 'WEBHOOK_SECRET',
    type: secret,
    doc: 'HMAC-SHA256 key for the webhook signature header.',
  },
  {
    key: 'channels.tokens.key',
    env: 'REELCAST_TOKEN_KEY',
    type: secret,
    doc: "Encrypts the connected accounts' tokens in storage (AES-256-GCM): 32 random bytes as 64 hex digits or base64, e.g. from `openssl rand -base64 32`. Unset: tokens are stored unencrypted and `reelcast channels status` warns. Every worker needs the same key; changing it means connecting the accounts again.",
  },
  {
    key: 'channels.youtube.clientId',
    env: 'YOUTUBE_CLIENT_ID',
    type: secret,
    doc: 'OAuth client id of the Google Cloud project with the YouTube Data API v3 enabled (client type "Desktop app").',
  },
  {
    key: 'channels.youtube.clientSecret',
    env: 'YOUTUBE_CLIENT_SECRET',
    type: secret,
    doc: 'OAuth client secret of that client.',
  },
  {
    key: 'channels.youtube.apiBaseUrl',
    env: 'YOUTUBE_API_BASE_URL',
    type: url,
    default: 'https://www.googleapis.com',
    doc: 'YouTube Data API and upload base URL, for proxies and tests.',
  },
  {
    key: 'channels.youtube.oauthBaseUrl',
    env: 'YOUTUBE_OAUTH_BASE_URL',
    type: url,
    doc: "Replaces Google's OAuth hosts for tests: consent at `BASE/o/oauth2/v2/auth`, tokens at `BASE/token` (default: accounts.google.com and oauth2.googleapis.com).",
  },
  {
    key: 'channels.instagram.appId',
    env: 'INSTAGRAM_APP_ID',
    type: secret,
    doc: 'Instagram app ID (App Dashboard > Instagram > API setup with Instagram login), for `reelcast channels connect instagram`.',
  },
  {
    key: 'channels.instagram.appSecret',
    env: 'INSTAGRAM_APP_SECRET',
    type: secret,
    doc: 'Instagram app secret: exchanges the login code for a token and renews tokens.',
  },
  {
    key: 'channels.instagram.graphBaseUrl',
    env: 'INSTAGRAM_GRAPH_BASE_URL',
    type: url,
    default: 'https://graph.instagram.com',
    doc: 'Instagram Graph API host (containers, publishing, tokens); a proxy, or the fake Instagram in tests.',
  },
  {
    key: 'channels.instagram.uploadBaseUrl',
    env: 'INSTAGRAM_UPLOAD_BASE_URL',
    type: url,
    default: 'https://rupload.facebook.com',
    doc: 'Host the reel videos are uploaded to (resumable upload).',
  },
  {
    key: 'channels.instagram.apiVersion',
    env: 'INSTAGRAM_API_VERSION',
    type: str,
    default: 'v25.0',
    doc: 'Graph API version in every Instagram request path.',
  },
  {
    key: 'channels.instagram.oauthBaseUrl',
    env: 'INSTAGRAM_OAUTH_BASE_URL',
    type: url,
    doc: "Replaces Instagram's log-in page (www.instagram.com) and code exchange (api.instagram.com) hosts, for a proxy or the fake Instagram in tests.",
  },
  {
    key: 'channels.instagram.publicStorage',
    env: 'INSTAGRAM_VIDEO_URL_FROM_STORAGE',
    type: bool,
    default: 'false',
    doc: 'The storage is reachable from the internet: Instagram downloads each reel from a presigned storage link (video_url) instead of Reelcast uploading it.',
  },
  {
    key: 'channels.tiktok.clientKey',
    env: 'TIKTOK_CLIENT_KEY',
    type: secret,
    doc: 'TikTok app client key (TikTok for Developers → Manage apps), for connecting accounts and refreshing their tokens.',
  },
  {
    key: 'channels.tiktok.clientSecret',
    env: 'TIKTOK_CLIENT_SECRET',
    type: secret,
    doc: 'TikTok app client secret.',
  },
  {
    key: 'channels.tiktok.apiBaseUrl',
    env: 'TIKTOK_API_BASE_URL',
    type: url,
    default: 'https://open.tiktokapis.com',
    doc: 'TikTok Open API base URL (posting, status, video list, token endpoint); change it for a proxy or the fake TikTok in tests.',
  },
  {
    key: 'channels.tiktok.authBaseUrl',
    env: 'TIKTOK_AUTH_BASE_URL',
    type: url,
    default: 'https://www.tiktok.com',
    doc: 'Where `reelcast channels connect tiktok` sends a person to grant access (/v2/auth/authorize/).',
  },
  {
    key: 'channels.tiktok.processingDeadlineSeconds',
    env: 'TIKTOK_PROCESSING_DEADLINE_SECONDS',
    type: { kind: 'int', min: 1, max: 3600 },
    default: '600',
    doc: 'How long one attempt waits for TikTok to publish an uploaded video. Past it the attempt fails and is retried; the retry checks the same upload and never uploads a second video.',
  },
  {
    key: 'channels.tiktok.reconcileWindowMinutes',
    env: 'TIKTOK_RECONCILE_WINDOW_MINUTES',
    type: { kind: 'int', min: 1, max: 10080 },
    default: '15',
    doc: "When a publish to TikTok was claimed but its outcome is unknown, the retry looks for the caption among the account's public posts since the claim, minus this margin for clock skew.",
  },
  {
    key: 'channels.youtube.reconcileWindowMinutes',
    env: 'YOUTUBE_RECONCILE_WINDOW_MINUTES',
    type: { kind: 'int', min: 1, max: 10080 },
    default: '15',
    doc: "When a YouTube upload's outcome is unknown, the retry looks for the caption among the channel's uploads since the claim, minus this margin for clock skew.",
  },
  {
    key: 'channels.youtube.chunkMiB',
    env: 'YOUTUBE_UPLOAD_CHUNK_MIB',
    type: { kind: 'int', min: 1, max: 256 },
    default: '8',
    doc: 'Size of each resumable upload request to YouTube in MiB; after a dropped connection the upload continues from what YouTube holds, so at most one chunk is sent again.',
  },
  {
    key: 'studio.host',
    env: 'REELCAST_STUDIO_HOST',
    type: str,
    default: '127.0.0.1',
    doc: 'Address `reelcast studio` listens on (loopback: only this machine; `0.0.0.0` in a container behind a proxy).',
  },
  {
    key: 'studio.port',
    env: 'REELCAST_STUDIO_PORT',
    type: port,
    default: '8484',
    doc: 'Port `reelcast studio` listens on.',
  },
  {
    key: 'studio.usersFile',
    env: 'REELCAST_STUDIO_USERS_FILE',
    type: path,
    doc: "Studio's users with their roles and scrypt password hashes, written by `reelcast studio add-user` (default: studio-users.json in dataDir).",
  },
  {
    key: 'studio.token',
    env: 'REELCAST_STUDIO_TOKEN',
    type: secret,
    doc: 'One access token for a single-person set-up: typed as the password it signs in as admin, and sent as `Authorization: Bearer <token>` it opens the API. At least 20 characters, e.g. from `openssl rand -base64 24`.',
  },
  {
    key: 'studio.secureCookies',
    env: 'REELCAST_STUDIO_SECURE_COOKIES',
    type: bool,
    default: 'false',
    doc: 'Mark the sign-in cookie Secure on every answer: set it when Studio is served over TLS by a proxy that does not send `X-Forwarded-Proto: https` (with that header the cookie is Secure anyway).',
  },
  {
    key: 'studio.streamMedia',
    env: 'REELCAST_STUDIO_STREAM_MEDIA',
    type: bool,
    default: 'false',
    doc: "With S3 storage, stream videos and posters through Studio instead of sending the browser to a presigned S3 URL: set it when people's browsers cannot reach S3_ENDPOINT (as in docker-compose.yml).",
  },
  {
    key: 'worker.gpuLoadedModels',
    env: 'REELCAST_GPU_LOADED_MODELS',
    type: { kind: 'int', min: 1, max: 16 },
    default: '2',
    doc: "Model directories a GPU worker keeps loaded at once (campaigns' `video.model`): alternating campaigns reuse them instead of reloading; the least recently used one is closed first. Each costs the model's GPU memory.",
  },
  {
    key: 'studio.publicUrl',
    env: 'REELCAST_STUDIO_PUBLIC_URL',
    type: url,
    doc: "Studio's address as people open it (e.g. `https://studio.example.com`): notifications link to the post's page there (default: http://<studio.host>:<studio.port>).",
  },
  {
    key: 'notify.smtp.host',
    env: 'SMTP_HOST',
    type: str,
    doc: "SMTP server for notification e-mails (a calendar's `notify: email:`); unset: no e-mail is sent.",
  },
  {
    key: 'notify.smtp.port',
    env: 'SMTP_PORT',
    type: port,
    default: '587',
    doc: 'Port of the SMTP server (587 with STARTTLS, 465 with `secure`, 25 or 1025 on a local relay).',
  },
  {
    key: 'notify.smtp.user',
    env: 'SMTP_USER',
    type: str,
    doc: 'User name for the SMTP server, when it asks for one.',
  },
  { key: 'notify.smtp.password', env: 'SMTP_PASSWORD', type: secret, doc: 'Password for the SMTP server.' },
  {
    key: 'notify.smtp.from',
    env: 'SMTP_FROM',
    type: str,
    default: 'Reelcast <reelcast@localhost>',
    doc: 'Sender of notification e-mails.',
  },
  {
    key: 'notify.smtp.secure',
    env: 'SMTP_SECURE',
    type: bool,
    default: 'false',
    doc: 'Connect with TLS from the start (port 465); otherwise STARTTLS is used when the server offers it.',
  },
  {
    key: 'provenance.signing',
    env: 'REELCAST_C2PA_SIGNING',
    type: { kind: 'enum', values: ['auto', 'required', 'off'] },
    default: 'auto',
    doc: 'Content Credentials (C2PA) on every rendition. `required`: nothing is published unsigned; a worker whose certificate or key is missing or bad refuses to start. `auto`: required when a certificate is configured; without one, signed with a development CA made in `<dataDir>/provenance/dev` on first use (viewers show it as untrusted), or unsigned with a warning when that cannot be done. `off`: renditions are not signed.',
  },
  {
    key: 'provenance.certificateChain',
    env: 'REELCAST_C2PA_CERT_CHAIN',
    type: secret,
    doc: 'The signing certificate chain, PEM: the signing certificate first, then its intermediates (`reelcast provenance init` makes one). Not a secret, but read like one: the PEM in REELCAST_C2PA_CERT_CHAIN, or its path in REELCAST_C2PA_CERT_CHAIN_FILE.',
  },
  {
    key: 'provenance.privateKey',
    env: 'REELCAST_C2PA_PRIVATE_KEY',
    type: secret,
    doc: "The signing certificate's private key, PEM (PKCS#8): in REELCAST_C2PA_PRIVATE_KEY, or its path in REELCAST_C2PA_PRIVATE_KEY_FILE.",
  },
  {
    key: 'provenance.algorithm',
    env: 'REELCAST_C2PA_ALGORITHM',
    type: { kind: 'enum', values: ['es256', 'es384', 'es512', 'ps256', 'ps384', 'ps512', 'ed25519'] },
    default: 'es256',
    doc: 'Signature algorithm; it must fit the key (es256: an EC P-256 key, ps*: RSA, ed25519: Ed25519).',
  },
  {
    key: 'provenance.tsaUrl',
    env: 'REELCAST_C2PA_TSA_URL',
    type: url,
    doc: 'RFC 3161 time-stamp authority for the signatures, so they stay valid after the certificate expires (e.g. one on the C2PA TSA trust list). Unset: no time-stamp.',
  },
  {
    key: 'model.memoryLimitMb',
    env: 'REELCAST_MODEL_MEMORY_LIMIT_MB',
    type: { kind: 'int', min: 0 },
    default: '0',
    doc: "Memory (MB) the models a worker keeps loaded may take together: a model directory whose graphs and weights do not fit (with the other loaded ones) is refused before it loads, with what it needs. 0: only what the machine has free (its cgroup limit; for cuda/tensorrt also the GPU's free memory) is checked.",
  },
] as const satisfies readonly Setting[];

/** Variables Reelcast reads that are not settings: they steer the tools and tests, not the pipeline. */
export const OTHER_VARIABLES = [
  {
    env: 'REELCAST_CONFIG',
    doc: 'Path of the config file (default: ./reelcast.config.yaml when it exists).',
  },
  {
    env: 'REELCAST_TOOL_CACHE',
    doc: 'Where set-up keeps the tools it installs, by version (default: ~/.cache/reelcast/tools).',
  },
  { env: 'REELCAST_LOG_LEVEL', doc: "The Temporal SDK's log level in workers (default: WARN)." },
  { env: 'REELCAST_DEBUG', doc: '`1`: an error also prints its stack trace.' },
  { env: 'REELCAST_KEEP_TEST_DATA', doc: "Tests: `1` keeps the test stack's data folder after the run." },
  { env: 'REELCAST_FUZZ_SEED', doc: "Tests: the calendar fuzz test's seed." },
  { env: 'REELCAST_TEMPORAL_UI_URL', doc: "Tests: set by the test stack to its Temporal Web UI's address." },
] as const;
