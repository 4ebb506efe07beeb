/**
 * The topology file: the one document that describes a deployment (management servers, the shared
 * Redis, the DNS record agents use, and the policies for verification, reconnection and approvals).
 * A bad file fails with every wrong field named by its path; nothing starts.
 */
import { readFileSync } from 'node:fs';
import { InvalidTopology } from './errors.ts';
import * as z from './z.ts';

/** AWS commercial and GovCloud regions a management cluster may run in. */
export const AWS_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
] as const;

const region = z.enum(AWS_REGIONS, {
  error: (i) => `expected an AWS region name (e.g. us-east-1), got ${JSON.stringify(i.input)}`,
});

/** A Kubernetes-style cluster name, as in Gloo's `common.cluster`. */
const clusterName = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
      'expected a DNS-1123 label (lowercase letters, digits, "-"), as in common.cluster',
    ),
  );

/** Our id of a management server: a DNS-1123 label of at most 40 characters (it goes into execution names). */
const serverId = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/,
      'expected a server id: 1-40 lowercase letters, digits or "-" (a DNS-1123 label)',
    ),
  );

const hostPort = z.string().check(
  z.regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. mgmt.example.com:9900'),
  z.refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(':') + 1));
    return port > 0 && port < 65536;
  }, 'port must be 1-65535'),
);

const httpUrl = z.url({
  protocol: /^https?$/,
  error: 'expected an http(s) URL, e.g. http://mgmt.example.com:9091/metrics',
});
const secretRef = z
  .string()
  .check(
    z.regex(
      /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|[A-Za-z0-9/_+=.@-]{1,512})$/,
      'expected a Secrets Manager secret ARN or name',
    ),
  );

/** A Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`). */
const labelName = z
  .string()
  .check(
    z.regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,99}$/, 'expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)'),
  );
/** A label value for an equality matcher: printable, no quotes, backslashes or braces (no PromQL injection). */
const labelValue = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9 _.:/@+-]{1,200}$/,
      'expected 1-200 letters, digits, spaces or "_.:/@+-" (no quotes, backslashes or braces)',
    ),
  );

/** Scrape each replica's own metrics page (port 9091 is on the pod, not on the Service). */
const ScrapeMetrics = z
  .strictObject({
    source: z.literal('scrape'),
    /** The metrics URL of every management-server pod (one per replica). */
    urls: z.optional(z.array(httpUrl).check(z.minLength(1), z.maxLength(50))),
    /**
     * Or a headless Service: the URL's host name is resolved to all its A records (one per ready
     * pod) and each address is scraped with the URL's port and path.
     */
    headlessServiceUrl: z.optional(httpUrl),
    /** DNS servers (`ip:port`) to resolve the headless name with (default: the system resolver). */
    nameservers: z.optional(z.array(hostPort).check(z.minLength(1), z.maxLength(3))),
    /** A page larger than this is refused (read stops there); default 16 MiB. */
    maxPageBytes: z._default(z.number().check(z.int(), z.gte(1_024), z.lte(268_435_456)), 16_777_216),
  })
  .check(
    z.refine((m) => (m.urls === undefined) !== (m.headlessServiceUrl === undefined), {
      message: 'expected exactly one of "urls" (pod metrics URLs) or "headlessServiceUrl"',
    }),
  );

/** A Prometheus HTTP API (in-cluster, Amazon Managed Prometheus, or compatible). */
const PrometheusMetrics = z.strictObject({
  source: z.literal('prometheus'),
  /**
   * The API base URL, the part before `/api/v1/query`: e.g. `http://prometheus.monitoring:9090`,
   * or `https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-…` for Amazon Managed Prometheus.
   */
  url: httpUrl,
  /**
   * Label matchers that select THIS server's management-server scrape targets, added to every
   * query (e.g. `{"job": "gloo-mesh-mgmt-server", "k8s_cluster": "mgmt-east"}`). Not `cluster`:
   * the relay gauges use that label for the agent.
   */
  selector: z.record(labelName, labelValue).check(
    z.refine((s) => Object.keys(s).length >= 1, 'expected at least one label matcher (e.g. "job")'),
    z.refine(
      (s) => !('cluster' in s),
      '"cluster" is the agent label of the relay gauges; select by another label',
    ),
  ),
  /** The target label that names a replica in `up` (default `pod`, else `instance`). */
  replicaLabel: z._default(labelName, 'pod'),
  auth: z.optional(
    z.discriminatedUnion(
      'kind',
      [
        /** SigV4 (Amazon Managed Prometheus: service `aps`), with the Lambda's own credentials. */
        z.strictObject({
          kind: z.literal('sigv4'),
          region,
          service: z._default(z.string().check(z.regex(/^[a-z0-9-]{1,40}$/)), 'aps'),
        }),
        /** `Authorization: Bearer <token>`; the secret holds `{"token": "..."}`. */
        z.strictObject({ kind: z.literal('bearer'), secret: secretRef }),
        /** Basic auth; the secret holds `{"username": "...", "password": "..."}`. */
        z.strictObject({ kind: z.literal('basic'), secret: secretRef }),
      ],
      { error: 'expected auth.kind "sigv4", "bearer" or "basic"' },
    ),
  ),
  /** An answer larger than this is refused; default 16 MiB. */
  maxResponseBytes: z._default(z.number().check(z.int(), z.gte(1_024), z.lte(268_435_456)), 16_777_216),
});

const metricsSchema = z.discriminatedUnion('source', [ScrapeMetrics, PrometheusMetrics], {
  error: 'expected metrics.source "scrape" or "prometheus"',
});

/** An HTTP status code, or a class such as `2xx`. */
const statusMatcher = z.union([
  z.number().check(z.int(), z.gte(100), z.lte(599)),
  z.enum(['1xx', '2xx', '3xx', '4xx', '5xx']),
]);

const healthSchema = z.discriminatedUnion(
  'kind',
  [
    /** GET `url`; healthy when the status is one of `expectStatus`. */
    z.strictObject({
      kind: z.literal('http'),
      url: httpUrl,
      expectStatus: z._default(z.array(statusMatcher).check(z.minLength(1), z.maxLength(20)), [200]),
    }),
    /**
     * A TCP connect to the relay address, as the vendor's NLB examples check (TCP 9900). The
     * verification quorum then counts the relay probe once, not twice.
     */
    z.strictObject({ kind: z.literal('tcp') }),
  ],
  { error: 'expected health.kind "http" or "tcp"' },
);

/** A PEM certificate bundle inline, or a Secrets Manager secret holding it (`{"ca.crt": "..."}`). */
const pemOrSecret = z.union([
  z.strictObject({
    pem: z
      .string()
      .check(
        z.maxLength(65_536),
        z.regex(/-----BEGIN CERTIFICATE-----/, 'expected a PEM certificate (-----BEGIN CERTIFICATE-----)'),
      ),
  }),
  z.strictObject({ secret: secretRef }),
]);

const relayTlsSchema = z.strictObject({
  /** The agents' root CA (`relay-root-tls-secret`, key `ca.crt`). */
  rootCa: pemOrSecret,
  /** `glooAgent.relay.authority`: the TLS server name agents send and expect in the certificate. */
  authority: z._default(
    z.string().check(z.regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, 'expected a DNS name')),
    'gloo-mesh-mgmt-server.gloo-mesh',
  ),
});

const telemetryGatewaySchema = z.strictObject({
  /** `host:port` of the gateway (`gloo-telemetry-gateway`, OTLP gRPC 4317). */
  address: hostPort,
  /** Check TLS too (handshake with this CA and server name); omitted: TCP only. */
  tls: z.optional(
    z.strictObject({
      rootCa: pemOrSecret,
      serverName: z
        .string()
        .check(z.regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, 'expected a DNS name')),
    }),
  ),
});

/** One management server (a Gloo management cluster). */
export const ServerSchema = z.pipe(
  z.strictObject({
    /**
     * Our id for this server: unique in the topology; used in state, execution names, ARNs and
     * Slack. Not Gloo's cluster name (both servers may share that).
     */
    id: serverId,
    /**
     * Gloo's `common.cluster` Helm value for this management cluster, as `meshctl experimental
     * switch-active --mgmt-cluster-name` receives it. May be identical on both servers (the vendor
     * requires that in the write-to-one mode, and its AWS HA demo does it in write-to-all).
     * Defaults to the server id.
     */
    glooClusterName: z.optional(clusterName),
    region,
    /** Relay address agents would use to reach this server directly (gRPC, usually :9900). */
    relayAddress: hostPort,
    /** Where the agent gauges of this server are read: its pods' pages, or a Prometheus. */
    metrics: metricsSchema,
    /** How this server's health is checked (preflight and the verification probes). */
    health: healthSchema,
    /** Relay TLS as the agents see it (root CA, authority); checked by preflight when set. */
    relayTls: z.optional(relayTlsSchema),
    /** This server's telemetry gateway (OTLP gRPC, usually :4317); preflight checks the target's. */
    telemetryGateway: z.optional(telemetryGatewaySchema),
    /** Optional Route 53 health check watching this server. */
    route53HealthCheckId: z.optional(
      z.string().check(z.regex(/^[0-9a-f-]{36}$/, 'expected a Route 53 health check id (uuid)')),
    ),
    /** CloudWatch alarms that mean "this server is down" (they may trigger a failover away from it). */
    alarmNames: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(255))), []),
  }),
  z.transform((s) => ({ ...s, glooClusterName: s.glooClusterName ?? s.id })),
);

/**
 * Topologies written before server ids existed name each server by `cluster` and the home server
 * by `homeCluster`. Such a file keeps working: `cluster` becomes both the server id and
 * `glooClusterName`, `homeCluster` becomes `homeServer`. A file that mixes old and new names for
 * the same thing is left alone, so the schema names the unexpected field.
 */
export function upgradeLegacyTopology(doc: unknown): unknown {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const { homeCluster, ...t } = doc as Record<string, unknown>;
  const out: Record<string, unknown> =
    homeCluster !== undefined && !('homeServer' in t)
      ? { ...t, homeServer: homeCluster }
      : { ...(doc as object) };
  // First release: the lock settings lived in redis.lock and the lock was always switched.
  const redis = out.redis as Record<string, unknown> | undefined;
  if (redis && typeof redis === 'object' && redis.lock !== undefined && !('lock' in out)) {
    const { lock, ...restRedis } = redis;
    out.redis = restRedis;
    out.lock =
      lock && typeof lock === 'object' && !Array.isArray(lock) ? { adapter: 'redis-key', ...lock } : lock;
    if (!('configMode' in out)) out.configMode = 'write-to-one';
  }
  if (Array.isArray(out.servers))
    out.servers = out.servers.map((server: unknown) => {
      if (!server || typeof server !== 'object' || Array.isArray(server)) return server;
      return upgradeLegacyServer(upgradeLegacyId(server as Record<string, unknown>));
    });
  return out;
}

function upgradeLegacyId(server: Record<string, unknown>): Record<string, unknown> {
  const { cluster, ...rest } = server;
  if (cluster === undefined || 'id' in rest) return server;
  return { ...rest, id: cluster, glooClusterName: rest.glooClusterName ?? cluster };
}

/**
 * First-release servers name one `metricsUrl` and one `healthUrl`. They keep working: the metrics
 * URL becomes a scrape of that one target (right only when it reaches the single replica: behind a
 * Service with several replicas each pod reports only its own agents), the health URL an HTTP
 * check that accepts any 2xx, as before.
 */
function upgradeLegacyServer(server: Record<string, unknown>): Record<string, unknown> {
  const { metricsUrl, healthUrl, ...rest } = server;
  const out: Record<string, unknown> = { ...rest };
  if (metricsUrl !== undefined)
    if ('metrics' in rest) out.metricsUrl = metricsUrl;
    else out.metrics = { source: 'scrape', urls: [metricsUrl] };
  if (healthUrl !== undefined)
    if ('health' in rest) out.healthUrl = healthUrl;
    else out.health = { kind: 'http', url: healthUrl, expectStatus: ['2xx'] };
  return out;
}

/** Placeholders a redis-key lock value template may use. */
export const LOCK_PLACEHOLDERS = ['{serverId}', '{glooClusterName}', '{cluster}'] as const;

const valueTemplate = z.string().check(
  z.minLength(1),
  z.maxLength(512),
  z.refine(
    (s) => LOCK_PLACEHOLDERS.some((p) => s.includes(p)),
    "must contain {serverId} or {glooClusterName} ({cluster} is the first release's name for {serverId})",
  ),
);

/** `redis-key`: the lock is a Redis key we compare-and-set ourselves (Lua), with a fencing epoch. */
const RedisKeyLockSchema = z.strictObject({
  adapter: z.literal('redis-key'),
  /** The Redis key that names the active management server (calibrate it: `npm run calibrate`). */
  key: z._default(z.string().check(z.minLength(1), z.maxLength(512)), '{gloo-mesh}:global-lock'),
  /** The fencing epoch key, incremented on every switch; defaults to `<key>:epoch`. */
  epochKey: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
  /**
   * How the holder is written: `{serverId}` and `{glooClusterName}` are replaced by the holder's
   * values. It must render differently for the two servers (with a shared glooClusterName that
   * means using {serverId}).
   */
  valueFormat: z._default(valueTemplate, '{serverId}'),
  /** Expiry of the lock key in seconds (Gloo's lease, when it has one); absent: no expiry. */
  ttlSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(86_400))),
});

/** `meshctl`: the vendor's `meshctl experimental switch-active`, run with a timeout. */
const MeshctlServerSchema = z.strictObject({
  /** `--kubecontext`: the kube context of this server's management cluster. */
  kubeContext: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(253),
      z.regex(/^[^\s]+$/, 'expected a kube context name without spaces'),
    ),
  /**
   * `--redis-address`: the Redis address this server was installed with (Helm `redis.address`);
   * defaults to the Redis member endpoint of its region.
   */
  redisAddress: z.optional(hostPort),
  /**
   * In AWS: the EKS cluster of this management cluster. The lock function writes a kubeconfig for
   * it (token signed by its own role) and the stack grants that role an EKS access entry.
   */
  eks: z.optional(
    z.strictObject({
      clusterName: z
        .string()
        .check(z.regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'expected an EKS cluster name')),
      /** The cluster's API server endpoint (`aws eks describe-cluster ... cluster.endpoint`). */
      endpoint: z.url({ protocol: /^https$/, error: 'expected the https:// API server endpoint' }),
      /** Base64 PEM of the cluster CA (`cluster.certificateAuthority.data`). */
      certificateAuthorityData: z
        .string()
        .check(
          z.minLength(20),
          z.regex(/^[A-Za-z0-9+/=]+$/, 'expected base64 (cluster.certificateAuthority.data)'),
        ),
      /** The EKS access policy associated with the lock function's role. */
      accessPolicy: z._default(
        z
          .string()
          .check(
            z.regex(/^[A-Za-z0-9]{1,128}$/, 'expected an EKS access policy name, e.g. AmazonEKSEditPolicy'),
          ),
        'AmazonEKSEditPolicy',
      ),
      /** The namespaces the access is scoped to (Gloo's management namespace). */
      namespaces: z._default(
        z
          .array(
            z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a namespace name')),
          )
          .check(z.minLength(1)),
        ['gloo-mesh'],
      ),
    }),
  ),
});

const MeshctlLockSchema = z.strictObject({
  adapter: z.literal('meshctl'),
  /** The executable (a path, or a name found on PATH). */
  binary: z._default(z.string().check(z.minLength(1), z.maxLength(1024)), 'meshctl'),
  /** The pinned meshctl version the AWS container image installs (a build argument). */
  version: z.optional(
    z.string().check(z.regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'expected a version like v2.6.7')),
  ),
  /** The command is killed after this many seconds. */
  timeoutSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(600)), 60),
  /** kubeconfig path outside AWS (default `$KUBECONFIG`); in AWS the function writes its own. */
  kubeconfig: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
  /** Per server id: its kube context, Redis address and (in AWS) EKS cluster. */
  servers: z.record(z.string(), MeshctlServerSchema),
});

/** The lock adapter; `none` in write-to-all (no lock step at all). */
const lockSchema = z.discriminatedUnion(
  'adapter',
  [z.strictObject({ adapter: z.literal('none') }), RedisKeyLockSchema, MeshctlLockSchema],
  { error: 'expected lock.adapter "none", "redis-key" or "meshctl"' },
);

/** The two configuration modes the vendor documents (CI/CD pipeline configuration). */
export const CONFIG_MODES = ['write-to-all', 'write-to-one'] as const;

const redisCommon = {
  tls: z._default(z.boolean(), false),
  /** Where the Redis AUTH credentials live (a Secrets Manager secret with `password` and optional `username`). */
  authSecret: z.optional(secretRef),
  /** A planned promotion is refused when the target lags the primary by more than this many bytes. */
  maxLagBytes: z._default(z.number().check(z.int(), z.nonnegative()), 1_048_576),
  /** Timeouts for Redis calls, so a frozen member fails fast. */
  connectTimeoutMs: z._default(z.number().check(z.int(), z.positive(), z.lte(60_000)), 2_000),
  commandTimeoutMs: z._default(z.number().check(z.int(), z.positive(), z.lte(60_000)), 2_000),
};

const endpointsByRegion = z.partialRecord(region, z.strictObject({ endpoint: hostPort }));

/** ElastiCache Global Datastore: one replication group per region. */
const ElastiCacheGlobalSchema = z.strictObject({
  kind: z.literal('elasticache-global'),
  globalReplicationGroupId: z.string().check(z.minLength(1), z.maxLength(255)),
  members: z.partialRecord(
    region,
    z.strictObject({
      replicationGroupId: z
        .string()
        .check(z.regex(/^[a-zA-Z][a-zA-Z0-9-]{0,39}$/, 'expected an ElastiCache replication group id')),
      /** The member's primary endpoint (host:port), used for the lock and readiness checks. */
      endpoint: hostPort,
      /**
       * Where re-protection creates a NEW secondary in this region (`CreateReplicationGroup` with
       * `GlobalReplicationGroupId`; node type, engine and encryption come from the global datastore).
       */
      cacheSubnetGroupName: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
      securityGroupIds: z.optional(
        z
          .array(z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group id')))
          .check(z.maxLength(5)),
      ),
    }),
  ),
  ...redisCommon,
});

/** Self-managed Redis where one member replicates the other (`REPLICAOF`). */
const ReplicaOfSchema = z.strictObject({
  kind: z.literal('replicaof'),
  members: endpointsByRegion,
  /**
   * Data-layer fencing: the `min-replicas-to-write` of a primary with its replica attached, so an
   * old primary cut off from its replica refuses writes by itself (set it in redis.conf too). The
   * promoter sets 0 on the member it promotes (no replica yet) and every fencing pass restores this
   * value once a replica is online. 0 turns it off: the primary then keeps writing with no replica,
   * and an island accepts writes until the next fencing pass. Needs CONFIG SET for the
   * orchestrator's Redis user.
   */
  minReplicasToWrite: z._default(z.number().check(z.int(), z.gte(0), z.lte(1)), 1),
  /**
   * `min-replicas-max-lag`, seconds: a replica silent for longer no longer counts, so a primary
   * partitioned from its replica refuses writes after this long. Keep it below the outage
   * detection time (the relay alarm's window): the old primary then refuses writes before any
   * promotion. Also how long a healthy primary keeps writing after its replica is lost.
   */
  minReplicasMaxLagSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(3600)), 10),
  ...redisCommon,
});

const Route53Dns = z.strictObject({
  kind: z.literal('route53'),
  hostedZoneId: z
    .string()
    .check(
      z.regex(
        /^(\/hostedzone\/)?Z[A-Z0-9]{1,32}$/,
        'expected a Route 53 hosted zone id, e.g. Z0123456789ABCDEFGHIJ',
      ),
    ),
});
/** The sandbox's own DNS zone, served over real UDP DNS; changed through the sandbox control API. */
const SandboxDns = z.strictObject({ kind: z.literal('sandbox') });

const healthCheckIdSchema = z
  .string()
  .check(z.regex(/^[0-9a-f-]{36}$/, 'expected a Route 53 health check id (uuid)'));
const dnsName = z
  .string()
  .check(
    z.regex(
      /^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}\.?$/,
      'expected a fully qualified DNS name',
    ),
  );

/** One record of a Route 53 failover pair (plain or alias), as ListResourceRecordSets shows it. */
const FailoverRecordSchema = z.strictObject({
  /** The server this record sends agents to (its value is `dns.values[server]`). */
  server: serverId,
  /** The record's `SetIdentifier`. */
  setIdentifier: z.string().check(z.minLength(1), z.maxLength(128)),
  /**
   * The record's `HealthCheckId`: the health check the DNS switch drives (see `dns.switch`).
   * Required, except with `dns.create` (the deployment creates the health check).
   */
  healthCheckId: z.optional(healthCheckIdSchema),
  /** Set for an alias record (e.g. to an internal NLB, as external-dns publishes it in the vendor's demo). */
  alias: z.optional(
    z.strictObject({
      hostedZoneId: z
        .string()
        .check(z.regex(/^Z[A-Z0-9]{1,32}$/, 'expected the alias target hosted zone id')),
      dnsName,
      evaluateTargetHealth: z._default(z.boolean(), true),
    }),
  ),
});

const arcArnPrefix = 'arn:aws[a-z-]*:route53-recovery-control::\\d{12}:';
const clusterArn = z
  .string()
  .check(
    z.regex(
      new RegExp(`^${arcArnPrefix}cluster/[A-Za-z0-9-]{1,64}$`),
      'expected an ARC cluster ARN, e.g. arn:aws:route53-recovery-control::111122223333:cluster/abc123',
    ),
  );
const controlPanelArn = z
  .string()
  .check(
    z.regex(
      new RegExp(`^${arcArnPrefix}controlpanel/[A-Za-z0-9-]{1,64}$`),
      'expected an ARC control panel ARN (arn:aws:route53-recovery-control::ACCOUNT:controlpanel/ID)',
    ),
  );
const routingControlArn = z
  .string()
  .check(
    z.regex(
      new RegExp(`^${arcArnPrefix}controlpanel/[A-Za-z0-9-]{1,64}/routingcontrol/[A-Za-z0-9-]{1,64}$`),
      'expected an ARC routing control ARN (…:controlpanel/ID/routingcontrol/ID)',
    ),
  );

/** The switch modes of the relay name (DNS_MODES in dns-modes.ts describes each). */
export const DNS_MODES = ['route53-record', 'arc-routing-control', 'health-check-metric'] as const;

const dnsSwitchSchema = z.discriminatedUnion(
  'mode',
  [
    /** Compare-and-swap of one simple record (Route 53 control plane, served from us-east-1). */
    z.strictObject({ mode: z.literal('route53-record') }),
    /** ARC routing controls: each failover record's health check follows one routing control. */
    z.strictObject({
      mode: z.literal('arc-routing-control'),
      /**
       * The ARC cluster. Required, except with `dns.create`: given, the deployment creates the
       * control panel (unless `controlPanelArn` is given too) and routing controls in it; absent, it
       * creates a cluster as well (a cluster is billed by the hour: share one where you can).
       */
      clusterArn: z.optional(clusterArn),
      /** The control panel (in that cluster) holding the routing controls. Required, except with `dns.create`. */
      controlPanelArn: z.optional(controlPanelArn),
      /**
       * The cluster's five regional endpoints (`DescribeCluster` ClusterEndpoints). Optional: the
       * CDK app discovers them once at deploy time when absent.
       */
      endpoints: z.optional(
        z
          .array(
            z.strictObject({
              region,
              endpoint: z.url({
                protocol: /^https?$/,
                error: 'expected the endpoint URL, e.g. https://host-abc.us-west-2.example.com/v1',
              }),
            }),
          )
          .check(z.minLength(1), z.maxLength(5)),
      ),
      /**
       * By server id: the routing control that turns the server's failover record on, and the ARC
       * health check made for it. With `dns.create` both are left out (the deployment creates them):
       * write `{}` for each server.
       */
      routingControls: z.record(
        z.string(),
        z.strictObject({
          arn: z.optional(routingControlArn),
          healthCheckId: z.optional(healthCheckIdSchema),
        }),
      ),
      /** Reaction of a routing-control health check once the state changed (assumption; see README). */
      reaction: z.prefault(
        z.strictObject({
          intervalSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(300)), 10),
          failureThreshold: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 1),
        }),
        {},
      ),
    }),
    /** CloudWatch-metric health checks on alarms that the surviving region's orchestrator controls. */
    z.strictObject({
      mode: z.literal('health-check-metric'),
      /** The metric the orchestrator publishes: 1 = take the server's record out of service, 0 = back in. */
      namespace: z._default(z.string().check(z.minLength(1), z.maxLength(255)), 'GlooFailover/Dns'),
      metricName: z._default(z.string().check(z.minLength(1), z.maxLength(255)), 'OutOfService'),
      /**
       * By server id: the alarm on that server's metric and the health check that watches it. The
       * alarm must live in the OTHER server's region: the region that takes over from this server.
       */
      alarms: z.record(
        z.string(),
        z.strictObject({
          alarmName: z.string().check(z.minLength(1), z.maxLength(255)),
          region,
          /** The CLOUDWATCH_METRIC health check on the alarm. Required, except with `dns.create`. */
          healthCheckId: z.optional(healthCheckIdSchema),
        }),
      ),
      /** The alarm's period (standard resolution: Route 53 does not support high-resolution alarms) x evaluation periods. */
      reaction: z.prefault(
        z.strictObject({
          intervalSeconds: z._default(
            z.number().check(z.int(), z.gte(60), z.lte(3_600), z.multipleOf(60)),
            60,
          ),
          failureThreshold: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 1),
        }),
        {},
      ),
    }),
  ],
  { error: `expected dns.switch.mode one of ${DNS_MODES.join(', ')}` },
);

const dnsConfirmSchema = z.prefault(
  z.strictObject({
    /**
     * The zone's authoritative name servers (e.g. ns-123.awsdns-45.com), asked directly. Absent:
     * found by querying NS records up the name's labels (a data-plane lookup, no Route 53 API call).
     */
    nameServers: z.optional(
      z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.minLength(1)),
    ),
    /** Resolvers asked as well (e.g. the VPC resolver, 169.254.169.253), as `ip` or `ip:port`. */
    resolvers: z._default(
      z.array(z.string().check(z.regex(/^[0-9a-fA-F.:[\]]+$/, 'expected an IP address (optionally :port)'))),
      [],
    ),
    timeoutMs: z._default(z.number().check(z.int(), z.gte(100), z.lte(10_000)), 2_000),
  }),
  {},
);

const dnsSchema = z.strictObject({
  provider: z.discriminatedUnion('kind', [Route53Dns, SandboxDns], {
    error: 'expected provider.kind "route53" or "sandbox"',
  }),
  /** How the relay name is switched (default: record compare-and-swap). */
  switch: z._default(dnsSwitchSchema, { mode: 'route53-record' }),
  /**
   * Create the failover pair's records, their health checks and, in `arc-routing-control` mode, the
   * routing controls (and their control panel and cluster when not given) with the deployment, in
   * one stack of their own (docs/deploying.md, "Creating the DNS resources"), instead of referencing
   * existing ones by id. The ids the deployment generates are then left out of this file.
   * Data-plane modes only: the `route53-record` mode's record is the orchestrator's to change.
   */
  create: z._default(z.boolean(), false),
  /** The PRIMARY/SECONDARY failover pair behind the name; required by the data-plane modes. */
  failover: z.optional(z.strictObject({ primary: FailoverRecordSchema, secondary: FailoverRecordSchema })),
  /** How a switch is confirmed: by resolving the name on the data plane. */
  confirm: dnsConfirmSchema,
  /** The name agents use (`glooAgent.relay.serverAddress` without the port). */
  recordName: z
    .string()
    .check(
      z.regex(
        /^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}\.?$/,
        'expected a fully qualified DNS name',
      ),
    ),
  recordType: z.enum(['A', 'AAAA', 'CNAME']),
  ttl: z._default(z.number().check(z.int(), z.gte(0), z.lte(86_400)), 30),
  /**
   * What the name resolves to when it points at each server, by server id: the address (A/AAAA),
   * the target name (CNAME), or for an alias record the alias target's DNS name.
   */
  values: z.record(z.string(), z.string().check(z.minLength(1), z.maxLength(255))),
});

const verificationSchema = z.prefault(
  z.strictObject({
    /** Probes of the relay port and the health endpoint, each repeated this many times. */
    probeAttempts: z._default(z.number().check(z.int(), z.gte(1), z.lte(20)), 3),
    probeIntervalSeconds: z._default(z.number().check(z.gte(0), z.lte(60)), 5),
    probeTimeoutMs: z._default(z.number().check(z.int(), z.gte(50), z.lte(30_000)), 2_000),
    /** How many signals must agree (down for failover, healthy for failback). */
    quorum: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 2),
    /** A signal is "down" when at least this share of its attempts failed. */
    probeFailureShare: z._default(z.number().check(z.gt(0), z.lte(1)), 1),
    /** Route 53 health check: "down" when at most this share of checkers sees it healthy (Route 53 uses 18%). */
    healthyCheckerShare: z._default(z.number().check(z.gte(0), z.lte(1)), 0.18),
  }),
  {},
);

const reconnectionSchema = z.prefault(
  z.strictObject({
    /** Where the list of expected agent clusters comes from. */
    expectedClusters: z._default(
      z.discriminatedUnion('source', [
        z.strictObject({ source: z.literal('static'), clusters: z.array(clusterName).check(z.minLength(1)) }),
        z.strictObject({ source: z.literal('last-seen') }),
      ]),
      { source: 'last-seen' },
    ),
    /** The share of expected clusters that must be connected and warmed. */
    minFraction: z._default(z.number().check(z.gt(0), z.lte(1)), 1),
    timeoutSeconds: z._default(z.number().check(z.int(), z.gte(10), z.lte(3_600)), 300),
    pollIntervalSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(300)), 10),
  }),
  {},
);

/** Names of the steps an approval gate may precede. */
export const GATES = ['before-promotion', 'before-dns', 'before-failback'] as const;

const approvalsSchema = z.prefault(
  z.strictObject({
    gates: z._default(z.array(z.enum(GATES)), []),
    timeoutSeconds: z._default(z.number().check(z.int(), z.gte(30), z.lte(86_400)), 900),
    /** What an unanswered approval means; `proceed-if-alarm` proceeds only for alarm-triggered failovers. */
    onTimeout: z._default(z.enum(['reject', 'proceed-if-alarm']), 'reject'),
    slack: z.optional(
      z.strictObject({
        channel: z
          .string()
          .check(z.regex(/^[CG][A-Z0-9]{6,}$/, 'expected a Slack channel id, e.g. C0OPSFAIL1')),
        approvers: z
          .array(z.string().check(z.regex(/^[UW][A-Z0-9]{6,}$/, 'expected a Slack user id, e.g. U0A1B2C3D')))
          .check(z.minLength(1)),
        botTokenSecret: secretRef,
        signingSecret: secretRef,
      }),
    ),
  }),
  {},
);

const activeSignalSchema = z.prefault(
  z.strictObject({
    /**
     * An SSM parameter written in every reachable region of the topology after a switch:
     * `{"server","glooClusterName","region","epoch","at","execution"}` (JSON, type String).
     */
    ssm: z.optional(
      z.strictObject({
        parameterName: z.string().check(
          z.regex(
            /^\/[a-zA-Z0-9_.\-/]{1,1010}$/,
            'expected an SSM parameter name starting with "/", e.g. /gloo-failover/gloo-mgmt/active',
          ),
          z.refine((n) => !/^\/(aws|ssm)\//i.test(n), 'names under /aws or /ssm are reserved by AWS'),
        ),
      }),
    ),
    /** A JSON POST signed with HMAC-SHA256 (`X-Gloo-Failover-Signature`), retried with backoff. */
    webhook: z.optional(
      z.strictObject({
        url: z.url({
          protocol: /^https$/,
          error: 'expected an https URL (the payload is signed, not encrypted)',
        }),
        /** The HMAC key: a Secrets Manager secret holding `{"key": "..."}`. */
        secret: secretRef,
        /** Trust this CA for the endpoint (an internal CA); default: the system's roots. */
        rootCa: z.optional(pemOrSecret),
        maxAttempts: z._default(z.number().check(z.int(), z.gte(1), z.lte(8)), 4),
        timeoutMs: z._default(z.number().check(z.int(), z.gte(100), z.lte(30_000)), 3_000),
        /** First retry delay; doubled per attempt, capped at 8x. */
        backoffMs: z._default(z.number().check(z.int(), z.gte(0), z.lte(60_000)), 500),
      }),
    ),
  }),
  {},
);

interface RawIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Checks across fields (duplicates, references between sections). Written defensively so it can
 * also run on a document that failed the schema: a bad file reports every problem at once.
 */
function crossFieldIssues(doc: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: walks an unvalidated document defensively
  const t = (doc ?? {}) as Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const servers: any[] = Array.isArray(t.servers) ? t.servers : [];
  const members =
    t.redis && typeof t.redis.members === 'object' && t.redis.members ? t.redis.members : undefined;
  const values = t.dns && typeof t.dns.values === 'object' && t.dns.values ? t.dns.values : undefined;
  const ids = servers.map((s) => s?.id);
  const regions = servers.map((s) => s?.region);
  servers.forEach((s, i) => {
    if (typeof s?.id === 'string' && ids.indexOf(s.id) !== i)
      out.push({ path: ['servers', i, 'id'], message: `duplicate server id "${s.id}"` });
    if (typeof s?.region === 'string' && regions.indexOf(s.region) !== i)
      out.push({
        path: ['servers', i, 'region'],
        message: `duplicate region "${s.region}": the servers must be in different regions`,
      });
    if (members && typeof s?.region === 'string' && !(s.region in members))
      out.push({
        path: ['redis', 'members'],
        message: `missing the Redis member for region ${s.region} (server ${s.id})`,
      });
    if (values && typeof s?.id === 'string' && !(s.id in values))
      out.push({ path: ['dns', 'values'], message: `missing the record value for server ${s.id}` });
  });
  if (members && servers.length)
    for (const r of Object.keys(members))
      if (!regions.includes(r))
        out.push({ path: ['redis', 'members', r], message: `no management server runs in region ${r}` });
  if (values && servers.length) {
    for (const c of Object.keys(values))
      if (!ids.includes(c))
        out.push({
          path: ['dns', 'values', c],
          message: `unknown server id "${c}" (expected one of ${ids.join(', ')})`,
        });
    const vals = Object.values(values);
    if (new Set(vals).size !== vals.length)
      out.push({ path: ['dns', 'values'], message: 'each server needs a distinct record value' });
  }
  out.push(...dnsSwitchIssues(t.dns, servers));
  if (typeof t.homeServer === 'string' && servers.length && !ids.includes(t.homeServer))
    out.push({ path: ['homeServer'], message: `expected one of the server ids ${ids.join(', ')}` });
  if (Array.isArray(t.approvals?.gates) && t.approvals.gates.length > 0 && !t.approvals.slack)
    out.push({ path: ['approvals', 'slack'], message: 'required when approval gates are configured' });
  if (t.dns?.provider?.kind === 'sandbox' && !t.sandbox?.controlUrl)
    out.push({ path: ['sandbox', 'controlUrl'], message: 'required when dns.provider.kind is "sandbox"' });
  out.push(...modeIssues(t, servers));
  if (typeof t.verification?.quorum === 'number' && t.verification.quorum > 4)
    out.push({
      path: ['verification', 'quorum'],
      message: 'at most 4: there are four signal kinds (relay, health, alarm, Route 53 health check)',
    });
  return out;
}

/** The account of an ARC ARN (`arn:aws:route53-recovery-control::ACCOUNT:...`). */
function arcAccount(arn: unknown): string | undefined {
  return typeof arn === 'string' ? /::(\d{12}):/.exec(arn)?.[1] : undefined;
}

/**
 * The DNS switch against the servers and the failover pair: the data-plane modes need a pair of two
 * distinct servers; each record's health check must be the one the switch drives for that server
 * (ids not declared under `dns.switch` are refused); routing controls must belong to the declared
 * control panel of the declared cluster; a server's alarm must live in the region that takes over.
 */
// biome-ignore lint/suspicious/noExplicitAny: walks an unvalidated document defensively
function dnsSwitchIssues(dns: any, servers: any[]): RawIssue[] {
  const out: RawIssue[] = [];
  if (!dns || typeof dns !== 'object') return out;
  const mode: string = dns.switch?.mode ?? 'route53-record';
  const ids = servers.map((s) => s?.id).filter((x): x is string => typeof x === 'string');
  const regionOf = (id: string) => servers.find((s) => s?.id === id)?.region;
  const pair = dns.failover;
  const create = dns.create === true;
  if (create && mode === 'route53-record')
    out.push({
      path: ['dns', 'create'],
      message:
        'applies to the data-plane modes only (arc-routing-control, health-check-metric): the route53-record mode swaps a record the orchestrator owns, and a deployment owning it would put it back',
    });
  if (create && dns.provider?.kind === 'sandbox')
    out.push({ path: ['dns', 'create'], message: 'requires dns.provider.kind "route53"' });
  /** An id the topology must give unless the deployment creates it. */
  const need = (value: unknown, path: (string | number)[], what: string) => {
    if (!create && value === undefined)
      out.push({
        path,
        message: `required: ${what} (or set dns.create to true to have the deployment create it)`,
      });
  };
  if (mode === 'route53-record') {
    if (pair)
      out.push({
        path: ['dns', 'failover'],
        message:
          'a failover pair is switched on the data plane: set dns.switch.mode to "arc-routing-control" or "health-check-metric" (route53-record swaps one simple record)',
      });
    return out;
  }
  if (!pair || typeof pair !== 'object') {
    out.push({
      path: ['dns', 'failover'],
      message: `required when dns.switch.mode is "${mode}": the PRIMARY/SECONDARY failover pair the switch drives`,
    });
    return out;
  }
  const byServer: Record<string, { healthCheckId?: string }> =
    mode === 'arc-routing-control' ? (dns.switch?.routingControls ?? {}) : (dns.switch?.alarms ?? {});
  const where = mode === 'arc-routing-control' ? 'routingControls' : 'alarms';
  for (const k of Object.keys(byServer))
    if (ids.length && !ids.includes(k))
      out.push({
        path: ['dns', 'switch', where, k],
        message: `unknown server id "${k}" (expected one of ${ids.join(', ')})`,
      });
  for (const id of ids)
    if (!byServer[id])
      out.push({ path: ['dns', 'switch', where], message: `missing the entry for server ${id}` });
  const declared = Object.values(byServer)
    .map((x) => x?.healthCheckId)
    .filter(Boolean);
  for (const role of ['primary', 'secondary'] as const) {
    const r = pair[role];
    if (!r || typeof r !== 'object') continue;
    need(r.healthCheckId, ['dns', 'failover', role, 'healthCheckId'], 'the id of the record’s health check');
    if (typeof r.server === 'string' && ids.length && !ids.includes(r.server))
      out.push({
        path: ['dns', 'failover', role, 'server'],
        message: `expected one of the server ids ${ids.join(', ')}`,
      });
    const want = typeof r.server === 'string' ? byServer[r.server]?.healthCheckId : undefined;
    if (typeof r.healthCheckId === 'string' && want !== undefined && r.healthCheckId !== want)
      out.push({
        path: ['dns', 'failover', role, 'healthCheckId'],
        message: declared.includes(r.healthCheckId)
          ? `health check ${r.healthCheckId} belongs to the other server; expected dns.switch.${where}.${r.server}.healthCheckId (${want})`
          : `health check ${r.healthCheckId} is not in the topology: expected dns.switch.${where}.${r.server}.healthCheckId (${want})`,
      });
    const value = typeof r.server === 'string' ? dns.values?.[r.server] : undefined;
    if (r.alias?.dnsName && typeof value === 'string' && normName(value) !== normName(r.alias.dnsName))
      out.push({
        path: ['dns', 'values', r.server],
        message: `expected the alias target of the ${role.toUpperCase()} record (${r.alias.dnsName})`,
      });
  }
  if (pair.primary?.server && pair.primary.server === pair.secondary?.server)
    out.push({
      path: ['dns', 'failover', 'secondary', 'server'],
      message: `must differ from dns.failover.primary.server (${pair.primary.server})`,
    });
  if (
    typeof pair.primary?.setIdentifier === 'string' &&
    pair.primary.setIdentifier === pair.secondary?.setIdentifier
  )
    out.push({
      path: ['dns', 'failover', 'secondary', 'setIdentifier'],
      message: 'must differ from the PRIMARY record set identifier',
    });

  for (const [id, x] of Object.entries(byServer) as [string, { healthCheckId?: unknown; arn?: unknown }][]) {
    if (!x || typeof x !== 'object') continue;
    need(
      x.healthCheckId,
      ['dns', 'switch', where, id, 'healthCheckId'],
      `the health check of ${id}’s record`,
    );
    if (mode === 'arc-routing-control')
      need(x.arn, ['dns', 'switch', where, id, 'arn'], `the routing control of ${id}`);
  }
  if (mode === 'arc-routing-control') {
    const sw = dns.switch;
    need(sw?.clusterArn, ['dns', 'switch', 'clusterArn'], 'the ARC cluster');
    need(sw?.controlPanelArn, ['dns', 'switch', 'controlPanelArn'], 'the control panel');
    if (create && sw?.controlPanelArn !== undefined && sw?.clusterArn === undefined)
      out.push({
        path: ['dns', 'switch', 'controlPanelArn'],
        message: 'a given control panel needs its cluster: set dns.switch.clusterArn too',
      });
    const clusterAccount = arcAccount(sw.clusterArn);
    const panel: unknown = sw.controlPanelArn;
    if (typeof panel === 'string' && clusterAccount && arcAccount(panel) !== clusterAccount)
      out.push({
        path: ['dns', 'switch', 'controlPanelArn'],
        message: `account ${arcAccount(panel)} differs from the cluster's (${clusterAccount}): the control panel must be in dns.switch.clusterArn`,
      });
    for (const [id, rc] of Object.entries(byServer) as [string, { arn?: unknown }][])
      if (
        typeof rc?.arn === 'string' &&
        typeof panel === 'string' &&
        !rc.arn.startsWith(`${panel}/routingcontrol/`)
      )
        out.push({
          path: ['dns', 'switch', 'routingControls', id, 'arn'],
          message: `routing control of another control panel or cluster: expected one under ${panel} (cluster ${sw.clusterArn})`,
        });
    const arns = Object.values(byServer)
      .map((x) => (x as { arn?: string })?.arn)
      .filter((a) => a !== undefined);
    if (new Set(arns).size !== arns.length)
      out.push({
        path: ['dns', 'switch', 'routingControls'],
        message: 'each server needs its own routing control',
      });
    if (Array.isArray(sw.endpoints)) {
      const regions = sw.endpoints.map((e: { region?: string }) => e?.region);
      if (new Set(regions).size !== regions.length)
        out.push({ path: ['dns', 'switch', 'endpoints'], message: 'one endpoint per region' });
    }
  } else if (mode === 'health-check-metric') {
    for (const [id, a] of Object.entries(byServer) as [string, { region?: unknown }][]) {
      const peer = ids.find((x) => x !== id);
      const want = peer ? regionOf(peer) : undefined;
      if (typeof a?.region === 'string' && want && a.region !== want)
        out.push({
          path: ['dns', 'switch', 'alarms', id, 'region'],
          message: `expected ${want}: the alarm that takes ${id} out of service must live in the region that takes over from it (${peer}), never in ${id}'s own`,
        });
    }
  }
  return out;
}

/** Checks of the configuration mode against the lock adapter (see docs/modes.md). */
// biome-ignore lint/suspicious/noExplicitAny: walks an unvalidated document defensively
function modeIssues(t: Record<string, any>, servers: any[]): RawIssue[] {
  const out: RawIssue[] = [];
  const mode = t.configMode ?? 'write-to-all';
  if (!(CONFIG_MODES as readonly string[]).includes(mode)) return out;
  const adapter: unknown = t.lock?.adapter ?? 'none';
  if (mode === 'write-to-all' && adapter !== 'none')
    out.push({
      path: ['lock', 'adapter'],
      message: `${JSON.stringify(adapter)} is not allowed in write-to-all mode (configuration is written to every management cluster: there is no lock to move); expected "none", or set configMode to "write-to-one"`,
    });
  if (mode === 'write-to-one' && adapter === 'none')
    out.push({
      path: ['lock'],
      message:
        'write-to-one mode needs a lock adapter: expected { "adapter": "meshctl", ... } or { "adapter": "redis-key", ... }',
    });
  const gloo = servers.map((s) => (typeof s?.glooClusterName === 'string' ? s.glooClusterName : s?.id));
  if (mode === 'write-to-one' && servers.length === 2 && typeof gloo[0] === 'string' && gloo[0] !== gloo[1])
    out.push({
      path: ['servers', 1, 'glooClusterName'],
      message: `write-to-one mode needs the same glooClusterName (Gloo's common.cluster) on both servers, as the vendor requires; got ${JSON.stringify(gloo[1])}, server ${servers[0]?.id} has ${JSON.stringify(gloo[0])}`,
    });
  if (adapter === 'redis-key' && typeof t.lock?.valueFormat === 'string' && servers.length === 2) {
    const [a, b] = [0, 1].map((i) =>
      renderLockValue(t.lock.valueFormat, { id: servers[i]?.id, glooClusterName: gloo[i] }),
    );
    if (a === b)
      out.push({
        path: ['lock', 'valueFormat'],
        message: `renders ${JSON.stringify(a)} for both servers, so the lock could not tell them apart; use {serverId} (the servers share glooClusterName)`,
      });
  }
  if (adapter === 'meshctl' && t.lock?.servers && typeof t.lock.servers === 'object') {
    const ids = servers.map((s) => s?.id);
    for (const id of ids)
      if (typeof id === 'string' && !(id in t.lock.servers))
        out.push({
          path: ['lock', 'servers', id],
          message: `missing the meshctl settings of server ${id}: expected { "kubeContext": "..." }`,
        });
    for (const id of Object.keys(t.lock.servers))
      if (!ids.includes(id))
        out.push({
          path: ['lock', 'servers', id],
          message: `unknown server id "${id}" (expected one of ${ids.join(', ')})`,
        });
  }
  return out;
}

function normName(n: string): string {
  return n.toLowerCase().replace(/\.$/, '');
}

/** Renders a redis-key lock value template for a server. `{cluster}` is the first release's `{serverId}`. */
export function renderLockValue(template: string, server: { id: string; glooClusterName: string }): string {
  return template
    .replaceAll('{serverId}', server.id)
    .replaceAll('{cluster}', server.id)
    .replaceAll('{glooClusterName}', server.glooClusterName);
}

/** The whole topology file. */
export const TopologySchema = z
  .strictObject({
    /** A short name for this management plane, used in execution names and messages. */
    name: z.string().check(z.regex(/^[a-zA-Z0-9-]{1,40}$/, 'expected 1-40 letters, digits or "-"')),
    servers: z
      .array(ServerSchema)
      .check(z.length(2, 'expected exactly two management servers (active/passive)')),
    /**
     * How Gloo configuration reaches the management plane (vendor: "CI/CD pipeline configuration").
     * `write-to-all` (default, the vendor's recommendation): every management cluster gets the same
     * config, failover has no lock step. `write-to-one`: only the active cluster gets it; the lock
     * is moved (lock adapter) and the CI/CD pipeline must be pointed at the new cluster.
     */
    configMode: z._default(
      z.enum(CONFIG_MODES, {
        error: (i) => `expected "write-to-all" or "write-to-one", got ${JSON.stringify(i.input)}`,
      }),
      'write-to-all',
    ),
    /** How the lock is moved in write-to-one mode; `none` (the default) in write-to-all. */
    lock: z._default(lockSchema, { adapter: 'none' }),
    /** The id of the server that is active in normal operation; failback returns to it. */
    homeServer: serverId,
    redis: z.discriminatedUnion('kind', [ElastiCacheGlobalSchema, ReplicaOfSchema], {
      error: 'expected redis.kind "elasticache-global" or "replicaof"',
    }),
    dns: dnsSchema,
    verification: verificationSchema,
    reconnection: reconnectionSchema,
    approvals: approvalsSchema,
    /** How CI/CD pipelines learn the active server after a switch (SSM parameter, signed webhook). */
    activeSignal: activeSignalSchema,
    /**
     * Set only for the local sandbox: the sandbox control API that serves the ports AWS would
     * (DNS record, alarm states, Route 53 health-check observations, last-seen clusters).
     */
    sandbox: z.optional(
      z.strictObject({
        controlUrl: httpUrl,
        /** The sandbox's CloudWatch stand-in per region (the `health-check-metric` switch publishes there). */
        cloudWatchEndpoints: z.optional(z.partialRecord(region, httpUrl)),
        /** The sandbox's parameter-store stand-in (the SSM port of the active-server signal). */
        parameterStoreUrl: z.optional(httpUrl),
      }),
    ),
  })
  .check(
    z.superRefine((t, ctx) => {
      for (const issue of crossFieldIssues(t))
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }),
  );

/** A validated topology. */
export type Topology = z.infer<typeof TopologySchema>;
/** One management server of a topology. */
export type Server = z.infer<typeof ServerSchema>;
/** A region name. */
export type Region = (typeof AWS_REGIONS)[number];
/** A topology file before defaults are applied. */
export type TopologyInput = z.input<typeof TopologySchema>;

/** One problem in a topology file: the path of the field and what was expected. */
export interface TopologyIssue {
  path: string;
  message: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (acc, seg) =>
        typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg),
      '',
    ) || '(root)'
  );
}

/** Validates a parsed topology document; throws {@link InvalidTopology} naming every bad field. */
export function parseTopology(doc: unknown, source = 'topology'): Topology {
  doc = upgradeLegacyTopology(doc);
  const result = TopologySchema.safeParse(doc);
  if (result.success) return result.data;
  const issues: TopologyIssue[] = result.error.issues.map((i) => ({
    path: formatPath(i.path),
    message: i.message.replace(/^Invalid input: expected (.+), received undefined$/, 'missing: expected $1'),
  }));
  // The schema stops before cross-field checks when a field is wrong: add them so all show at once.
  for (const extra of crossFieldIssues(doc)) {
    const path = formatPath(extra.path);
    if (!issues.some((i) => i.path === path && i.message === extra.message))
      issues.push({ path, message: extra.message });
  }
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
  throw new InvalidTopology(
    `${source} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`,
    { issues },
  );
}

/** Reads and validates a topology file (JSON). */
export function loadTopology(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidTopology(`cannot read topology file ${path}: ${(e as Error).message}`, {
      issues: [{ path: '(file)', message: (e as Error).message }],
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InvalidTopology(`${path} is not valid JSON: ${(e as Error).message}`, {
      issues: [{ path: '(file)', message: (e as Error).message }],
    });
  }
  return parseTopology(doc, path);
}

/** The two servers of a direction: `source` is the one being left, `target` the one taking over. */
export interface Pair {
  source: Server;
  target: Server;
}

/** Finds a server by its id, or throws {@link InvalidTopology}. */
export function serverById(t: Topology, id: string): Server {
  const s = t.servers.find((x) => x.id === id);
  if (!s)
    throw new InvalidTopology(
      `unknown server id "${id}" (expected one of ${t.servers.map((x) => x.id).join(', ')})`,
    );
  return s;
}

/** The other server of the pair. */
export function peerOf(t: Topology, id: string): Server {
  serverById(t, id);
  return t.servers.find((x) => x.id !== id)!;
}

/** The settings of a `redis-key` lock: key, epoch key, value template and TTL after defaults. */
export interface RedisKeyLockSettings {
  key: string;
  epochKey: string;
  valueFormat: string;
  ttlSeconds?: number;
  holders: { id: string; glooClusterName: string }[];
}

/** The redis-key lock settings, or null when the topology's lock adapter is not `redis-key`. */
export function lockSettings(t: Topology): RedisKeyLockSettings | null {
  const l = t.lock;
  if (l.adapter !== 'redis-key') return null;
  return {
    key: l.key,
    epochKey: l.epochKey ?? `${l.key}:epoch`,
    valueFormat: l.valueFormat,
    ...(l.ttlSeconds ? { ttlSeconds: l.ttlSeconds } : {}),
    holders: t.servers.map((s) => ({ id: s.id, glooClusterName: s.glooClusterName })),
  };
}

/** The meshctl settings of a server, with its `--redis-address` resolved (default: its region's member). */
export function meshctlTarget(
  t: Topology,
  serverId: string,
): { kubeContext: string; mgmtClusterName: string; redisAddress: string } {
  const l = t.lock;
  if (l.adapter !== 'meshctl') throw new InvalidTopology('lock.adapter is not "meshctl"');
  const server = serverById(t, serverId);
  const s = l.servers[serverId];
  if (!s) throw new InvalidTopology(`lock.servers.${serverId}: missing the meshctl settings`);
  const member = t.redis.members[server.region];
  const redisAddress = s.redisAddress ?? member?.endpoint;
  if (!redisAddress) throw new InvalidTopology(`lock.servers.${serverId}.redisAddress: missing`);
  return { kubeContext: s.kubeContext, mgmtClusterName: server.glooClusterName, redisAddress };
}

/**
 * The TCP ports a function reaches on a server (relay, metrics pods or Prometheus, HTTP health,
 * telemetry gateway) and the UDP ports of the DNS servers named for a headless Service, so the
 * stack opens exactly those.
 */
export function serverEgressPorts(s: Server): { tcp: number[]; udp: number[] } {
  const urlPort = (u: string) => {
    const url = new URL(u);
    return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  };
  const hostPortOf = (hp: string) => Number(hp.slice(hp.lastIndexOf(':') + 1));
  const tcp = new Set<number>([hostPortOf(s.relayAddress)]);
  const udp = new Set<number>();
  const m = s.metrics;
  if (m.source === 'prometheus') tcp.add(urlPort(m.url));
  else {
    for (const u of m.urls ?? []) tcp.add(urlPort(u));
    if (m.headlessServiceUrl) tcp.add(urlPort(m.headlessServiceUrl));
    for (const ns of m.nameservers ?? []) udp.add(hostPortOf(ns));
  }
  if (s.health.kind === 'http') tcp.add(urlPort(s.health.url));
  if (s.telemetryGateway) tcp.add(hostPortOf(s.telemetryGateway.address));
  return { tcp: [...tcp], udp: [...udp] };
}
