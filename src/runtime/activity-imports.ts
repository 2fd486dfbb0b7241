import type { ActivityImportRoute } from '../edge/activity-import-route.js';
import { ActivityImportError, ActivityImportFormat, type ActivityImportView } from '../modules/activity-import/index.js';
import { requireAdmin, requireStaff } from '../platform/guards.js';
import { StaffRole } from '../platform/principal.js';
import type { Logger } from '../platform/logger.js';
import type { Core } from './core.js';
import { routeErrorAnswer } from './route-errors.js';

const FORMATS: Readonly<Record<string, ActivityImportFormat>> = {
  'application/x-ndjson': ActivityImportFormat.NDJSON,
  'application/ndjson': ActivityImportFormat.NDJSON,
  'application/jsonl': ActivityImportFormat.NDJSON,
  'text/csv': ActivityImportFormat.CSV,
};

/**
 * Admins' bulk imports over HTTP: `POST /admin/activity-imports` (an NDJSON or CSV body, at most
 * `maxBytes`, streamed into the import line by line: 202 with the import and its `Location`) and
 * `GET /admin/activity-imports/{id}` (its progress). The caller is authenticated exactly as the
 * membership subgraph authenticates a GraphQL request (the same `Authenticator`: a JWT of a
 * trusted issuer), and authorized as the GraphQL operations are: an upload by admins only, the
 * progress also by analysts (as `activityImport`); refusals are the API's coded errors, as JSON.
 */
export function activityImportRoute(core: Core, options: { maxBytes: number; logger: Logger }): ActivityImportRoute {
  return async (request) => {
    try {
      const principal = await core.authenticator.authenticate(request.headers.authorization);
      const caller =
        request.method === 'GET'
          ? requireStaff(principal, 'GET /admin/activity-imports/{id}', [StaffRole.ANALYST])
          : requireAdmin(principal, 'POST /admin/activity-imports');
      const imports = core.modules.createServices(core.orm.em.fork(), core.deps).activityImports;
      if (request.method === 'GET') return { status: 200, body: await imports.get(request.id!).then(importJson) };
      const contentType = request.headers['content-type'];
      const format = FORMATS[(contentType ?? '').split(';')[0]!.trim().toLowerCase()];
      if (!format) throw ActivityImportError.unsupportedMediaType(contentType);
      if (Number(request.headers['content-length'] ?? 0) > options.maxBytes) throw ActivityImportError.tooLarge(options.maxBytes);
      const created = await imports.receive(caller.memberId, format, limited(request.body, options.maxBytes));
      const location = `/admin/activity-imports/${created.id}`;
      return { status: 202, headers: { location }, body: { ...importJson(created), location } };
    } catch (error) {
      return routeErrorAnswer(error, core, options.logger, 'activity import request');
    }
  };
}

/** The body, refused (IMPORT_TOO_LARGE) once it grows past `maxBytes`: the upload's transaction rolls back. */
async function* limited(body: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw ActivityImportError.tooLarge(maxBytes);
    yield chunk;
  }
}

function importJson(view: ActivityImportView): Record<string, unknown> {
  return { ...view, createdAt: view.createdAt.toISOString(), startedAt: view.startedAt?.toISOString() ?? null, finishedAt: view.finishedAt?.toISOString() ?? null };
}
