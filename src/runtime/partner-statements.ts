import type { PartnerStatementAnswer, PartnerStatementRoute } from '../edge/partner-statement-route.js';
import { settlementCsv, settlementFileName, writeSettlementPdf } from '../modules/settlement/index.js';
import { clockOf } from '../platform/context.js';
import { InputValidator } from '../platform/errors.js';
import { requirePartner } from '../platform/guards.js';
import { negotiateLocale } from '../platform/localized.js';
import type { Logger } from '../platform/logger.js';
import { zonedInstant } from '../platform/zoned-time.js';
import type { Core } from './core.js';
import { routeErrorAnswer } from './route-errors.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An ISO 8601 date-time with its offset (as `DateTimeISO` takes it). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A bound of the period: `YYYY-MM-DD` is that day's 00:00 in the program time zone, or an ISO
 * date-time with its offset; null when it is neither.
 */
function periodBound(value: string | null, timeZone: string): Date | null {
  if (value === null) return null;
  const day = DATE.exec(value);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const check = new Date(Date.UTC(year, month - 1, date));
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return null;
    return zonedInstant({ year, month, day: date, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  }
  if (!DATE_TIME.test(value)) return null;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? null : instant;
}

/**
 * A partner's settlement statement as a file: `GET /partner/settlement.csv` and `.pdf` with
 * `from` and `to` ([from, to), at most 366 days, as `partnerSettlement`), authenticated with the
 * partner's API key exactly as a GraphQL request is (the same `Authenticator`, which honours a
 * rotated key's end) and authorized as `partnerSettlement` (partners only). The figures are
 * `SettlementService.document`'s, the query's own; refusals are the API's coded errors as JSON.
 * The CSV follows `Accept-Language` for names; the PDF is in English (its font has no CJK glyphs).
 */
export function partnerStatementRoute(core: Core, options: { logger: Logger }): PartnerStatementRoute {
  const timeZone = core.deps.timeZone;
  return async (request): Promise<PartnerStatementAnswer> => {
    try {
      const principal = await core.authenticator.authenticate(request.headers.authorization);
      const partner = requirePartner(principal, `GET /partner/settlement.${request.format}`);
      const from = periodBound(request.query.get('from'), timeZone);
      const to = periodBound(request.query.get('to'), timeZone);
      const expected = `a date (YYYY-MM-DD, 00:00 in ${timeZone}) or an ISO 8601 date-time with its offset`;
      new InputValidator().check(from !== null, 'from', `must be ${expected}`).check(to !== null, 'to', `must be ${expected}`).throwIfInvalid();
      const settlements = core.modules.createServices(core.orm.em.fork(), core.deps).settlements;
      const locale = request.format === 'pdf' ? 'en' : negotiateLocale(request.headers['accept-language']);
      const document = await settlements.document(partner.partnerId, { from: from!, to: to! }, locale);
      const fileName = settlementFileName(document, timeZone, request.format);
      const disposition = `attachment; filename="${fileName}"`;
      if (request.format === 'csv') {
        const csv = Buffer.from(settlementCsv(document), 'utf8');
        return {
          status: 200,
          headers: { 'content-type': 'text/csv; charset=utf-8; header=present', 'content-disposition': disposition, 'content-length': String(csv.length) },
          write: async (out) => void out.end(csv),
        };
      }
      const issuedAt = clockOf(core.deps).now?.() ?? new Date();
      return {
        status: 200,
        headers: { 'content-type': 'application/pdf', 'content-disposition': disposition },
        write: (out) => writeSettlementPdf(document, out, { timeZone, issuedAt }),
      };
    } catch (error) {
      return routeErrorAnswer(error, core, options.logger, 'settlement statement request');
    }
  };
}
