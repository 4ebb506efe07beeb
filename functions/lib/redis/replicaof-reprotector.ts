/**
 * {@link RedisReprotector} for self-managed Redis (`REPLICAOF`): the member in the recovered region
 * (a fresh or restarted server at its configured endpoint) is pointed at the survivor and followed
 * until its link is up and its offset within `maxLagBytes`. `REPLICAOF` discards the member's own
 * data: a member that holds keys of its own (an island that took writes) is only wiped when the
 * operator chose `delete` (approval-gated); with `keep` (the default) the run refuses.
 */
import { ReprotectFailed } from '../errors.ts';
import type { RedisReprotector, ReprotectRequest, ReprotectStatus } from '../ports.ts';
import type { Region } from '../topology.ts';
import { parseInfo, type RedisEndpointOptions, splitHostPort, withRedis } from './connect.ts';

/** Reads of the member after a REPLICAOF without a reply, and the pause between them. */
const LOST_REPLY_READS = 5;
const LOST_REPLY_PAUSE_MS = 200;

/** Settings of {@link ReplicaOfReprotector}. */
export interface ReplicaOfReprotectorOptions extends RedisEndpointOptions {
  members: Partial<Record<Region, string>>;
  maxLagBytes: number;
  /** Keys the orchestrator itself writes (lock, epoch, write probe): not the member's "own data". */
  ownKeys: string[];
}

/** REPLICAOF re-protection. */
export class ReplicaOfReprotector implements RedisReprotector {
  private readonly o: ReplicaOfReprotectorOptions;
  constructor(o: ReplicaOfReprotectorOptions) {
    this.o = o;
  }

  private endpoint(region: Region): string {
    const e = this.o.members[region];
    if (!e) throw new ReprotectFailed(`no Redis member configured for region ${region}`, { region });
    return e;
  }

  private async info(region: Region): Promise<Record<string, string> | { error: string }> {
    try {
      return parseInfo(await withRedis(this.endpoint(region), this.o, (r) => r.info('replication')));
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  /** Whether R follows S, read up to {@link LOST_REPLY_READS} times (null answers count as not yet). */
  private async followsAfterLostReply(R: Region, host: string, port: number): Promise<boolean> {
    for (let i = 0; i < LOST_REPLY_READS; i++) {
      const r = await this.info(R);
      if (!('error' in r))
        return r.role === 'slave' && Number(r.master_port) === port && r.master_host === host;
      await new Promise((res) => setTimeout(res, LOST_REPLY_PAUSE_MS));
    }
    return false;
  }

  async advance(req: ReprotectRequest): Promise<ReprotectStatus> {
    const { survivorRegion: S, recoveredRegion: R, generation, dryRun } = req;
    const s = await this.info(S);
    if ('error' in s) throw new ReprotectFailed(`the survivor in ${S} does not answer: ${s.error}`, { S });
    if (s.role !== 'master')
      throw new ReprotectFailed(`the survivor in ${S} is not primary (role ${s.role})`, { S });
    const r = await this.info(R);
    if ('error' in r)
      return {
        state: 'in-progress',
        phase: 'add-secondary',
        detail: `the member in ${R} does not answer yet: ${r.error}`,
      };
    const { host, port } = splitHostPort(this.endpoint(S));
    const follows = r.role === 'slave' && Number(r.master_port) === port && r.master_host === host;
    if (follows) {
      const lag = Math.max(0, Number(s.master_repl_offset) - Number(r.slave_repl_offset));
      if (r.master_link_status !== 'up' || lag > this.o.maxLagBytes)
        return {
          state: 'in-progress',
          phase: 'sync',
          detail: `${R} follows ${S}: link ${r.master_link_status}, lag ${lag} bytes`,
        };
      return {
        state: 'complete',
        phase: 'done',
        detail: `${R} follows ${S}, link up, lag ${lag} bytes (bound ${this.o.maxLagBytes})`,
        record: {
          generation,
          members: { [S]: { endpoint: this.endpoint(S) }, [R]: { endpoint: this.endpoint(R) } },
          recordedAt: new Date().toISOString(),
          recordedBy: req.executionId,
        },
      };
    }
    // Its own data: every key but the orchestrator's own (lock, epoch, probe).
    const own = await withRedis(this.endpoint(R), this.o, async (c) => {
      const size = await c.dbsize();
      const ours = this.o.ownKeys.length ? await c.exists(...this.o.ownKeys) : 0;
      return size - ours;
    });
    if (own > 0 && req.oldMember !== 'delete')
      throw new ReprotectFailed(
        `the member in ${R} holds ${own} key(s) of its own (it took writes as an island): REPLICAOF would discard them. Re-run with "oldRedis": "delete" (approval-gated, irreversible), or replace it with a fresh member.`,
        { R, keys: own },
      );
    const removed =
      own > 0 ? `${own} key(s) the member in ${R} held on its own (discarded by REPLICAOF)` : undefined;
    const what = `REPLICAOF ${host} ${port} on the member in ${R} (role ${r.role}): it follows ${S}`;
    if (dryRun)
      return {
        state: 'would-reprotect',
        phase: 'add-secondary',
        detail: `would send ${what}`,
        ...(removed ? { removed } : {}),
      };
    try {
      await withRedis(this.endpoint(R), this.o, (c) => c.call('REPLICAOF', host, String(port)));
    } catch (e) {
      // No answer is not "not done": the command may have run and its reply been lost. Had it run,
      // a retry would find R following S and could no longer say what REPLICAOF discarded: read R
      // again until it answers, and report the (irreversible) discard when it did run.
      if (!(await this.followsAfterLostReply(R, host, port))) throw e;
    }
    return {
      state: 'in-progress',
      phase: 'add-secondary',
      detail: `sent ${what}`,
      ...(removed ? { removed } : {}),
    };
  }
}
