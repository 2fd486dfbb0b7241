// Bulk imports of activities in tests: uploads over real HTTP to the public port, workers
// driven by hand (the test app runs no jobs), the report read through the gateway.
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ActivityImportWorker, type ActivityImportWorkerOptions } from '../../src/modules/activity-import/index.js';
import { ActivityImportLinesDocument, ActivityImportProgressDocument, type ActivityImportLinesQuery } from '../generated/operations.js';
import type { GraphQLResponse, TestApp } from './app.js';

export interface UploadAnswer {
  status: number;
  location: string | null;
  body: any;
}

/** POSTs a file to /admin/activity-imports. */
export async function upload(t: TestApp, body: string, contentType: string, bearer?: string, headers: Record<string, string> = {}): Promise<UploadAnswer> {
  const response = await fetch(`${t.app.url}/admin/activity-imports`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers },
    body,
  });
  return { status: response.status, location: response.headers.get('location'), body: await response.json() };
}

/** A worker of the test app's process (its own pool when `orm` is given). */
export function importWorker(t: TestApp, options: ActivityImportWorkerOptions & { orm?: MikroORM } = {}): ActivityImportWorker {
  const { orm, ...rest } = options;
  return new ActivityImportWorker(orm ?? t.app.orm, t.app.deps, { owner: `test-worker-${randomUUID().slice(0, 8)}`, ...rest });
}

export interface Progress {
  id: string;
  status: string;
  totalLines: number;
  processed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  percent: number;
  linesPerSecond: number | null;
  failure: string | null;
}

/** The import's progress through the gateway. */
export async function progress(t: TestApp, admin: string, id: string): Promise<Progress> {
  const res = await t.graphql(ActivityImportProgressDocument, { id }, { bearer: admin });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.activityImport as Progress;
}

export interface ReportLine {
  line: number;
  outcome: string | null;
  code: string | null;
  message: string | null;
  activityId: string | null;
  memberId: string | null;
  externalId: string | null;
  raw: string | null;
}

/** Every line of the import's report (or of one outcome), page by page. */
export async function report(t: TestApp, admin: string, id: string, outcome?: string, pageSize = 500): Promise<ReportLine[]> {
  const lines: ReportLine[] = [];
  let after: string | null = null;
  for (;;) {
    const res: GraphQLResponse<ActivityImportLinesQuery> = await t.graphql(ActivityImportLinesDocument, { id, first: pageSize, after, ...(outcome ? { outcome: outcome as 'ACCEPTED' } : {}) }, { bearer: admin });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    const page: NonNullable<ActivityImportLinesQuery['activityImport']>['lines'] = res.data.activityImport!.lines;
    lines.push(...page.edges.map((e) => e.node as ReportLine));
    if (!page.pageInfo.hasNextPage) return lines;
    after = page.pageInfo.endCursor;
  }
}

/** Runs `worker` until the import is DONE or FAILED. */
export async function drainUntilFinished(t: TestApp, admin: string, id: string, worker: ActivityImportWorker, timeoutMs = 45_000): Promise<Progress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await worker.drain({ budgetMs: 10_000 });
    const now = await progress(t, admin, id);
    if (now.status === 'DONE' || now.status === 'FAILED') return now;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${now.status} (${now.processed}/${now.totalLines}) after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `count` members on real time, created directly (as an earlier migration of members would). */
export async function seedMembers(t: TestApp, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await t.db.query(`insert into member (id, issuer, subject, created_at) select id, 'import-test', id::text, now() - interval '1 day' from unnest($1::uuid[]) as id`, [ids]);
  return ids;
}

/** Members' points balances, by member id. */
export async function balances(t: TestApp, memberIds: string[]): Promise<Map<string, number>> {
  const rows = await t.db.query<{ member_id: string; balance: string }>(`select member_id, balance from points_account where kind = 'MEMBER' and member_id = any($1::uuid[])`, [memberIds]);
  return new Map(rows.map((r) => [r.member_id, Number(r.balance)]));
}
