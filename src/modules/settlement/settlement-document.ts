import type { PriceView } from '../bundle/index.js';
import { decimalAmount } from '../../platform/money.js';
import { localParts } from '../../platform/zoned-time.js';
import type { SettlementDocument } from './settlement.service.js';

// The downloadable statements (GET /partner/settlement.csv and .pdf): renderings of the figures
// of `partnerSettlement`, computed once by SettlementService.document.

const CSV_HEADER = ['kind', 'code', 'description', 'redemptions', 'voided_redemptions', 'units', 'unit_price', 'price_per', 'amount', 'currency', 'payable_by'];

/** Who owes a line's amount: we pay for redemptions and burned points, the partner for the points its till issued. */
type PayableBy = 'coalition' | 'partner';

/** What the partner is owed for the period, all lines together; null when the amounts are not all in one currency (or none is priced). */
function net(document: SettlementDocument): { amount: number; currency: string } | null {
  const { settlement, points } = document;
  const parts: Array<[PriceView | null, 1 | -1]> = [
    [settlement.totalAmount, 1],
    [points.burnedAmount, 1],
    [points.issuedAmount, -1],
  ];
  const priced = parts.filter((part): part is [PriceView, 1 | -1] => part[0] !== null);
  const currencies = new Set(priced.map(([money]) => money.currency));
  if (currencies.size !== 1) return null;
  return { amount: priced.reduce((sum, [money, sign]) => sum + sign * money.amount, 0), currency: [...currencies][0]! };
}

/** A text cell a spreadsheet would take for a formula is kept as text (OWASP's CSV injection advice). */
function text(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const money = (value: PriceView | null) => (value ? decimalAmount(value) : null);

/**
 * The statement as CSV (RFC 4180, UTF-8, CRLF, one header row): a `benefit` row per benefit of
 * the partner, `points_issued` and `points_burned`, `total_redemptions` (the sum of the benefit
 * lines, `partnerSettlement.totalAmount`) and `net` (what is owed for the period, all lines
 * together, with who pays it; absent when the amounts are in several currencies). Money is a
 * decimal in major units (`35.00`) with its currency.
 */
export function settlementCsv(document: SettlementDocument): string {
  const { settlement, points, benefits } = document;
  const rows: Array<Array<string | number | null>> = [CSV_HEADER];
  settlement.lines.forEach((line, i) => {
    rows.push([
      'benefit',
      benefits[i]!.code,
      text(benefits[i]!.name),
      line.redemptions,
      line.voidedRedemptions,
      line.units,
      money(line.unitPrice),
      line.unitPrice ? '1 unit' : null,
      money(line.amount),
      line.amount?.currency ?? line.unitPrice?.currency ?? null,
      'coalition' satisfies PayableBy,
    ]);
  });
  const pointsRow = (kind: string, description: string, units: number, price: PriceView | null, amount: PriceView | null, payableBy: PayableBy) =>
    rows.push([kind, null, description, null, null, units, money(price), price ? '1000 points' : null, money(amount), amount?.currency ?? price?.currency ?? null, payableBy]);
  pointsRow('points_issued', 'Coalition points issued at your till', points.issued, points.issuePricePer1000, points.issuedAmount, 'partner');
  pointsRow('points_burned', 'Coalition points burned at your till', points.burned, points.burnPricePer1000, points.burnedAmount, 'coalition');
  rows.push([
    'total_redemptions',
    null,
    'Redemptions, all benefits',
    settlement.totalRedemptions,
    settlement.totalVoidedRedemptions,
    settlement.totalUnits,
    null,
    null,
    money(settlement.totalAmount),
    settlement.totalAmount?.currency ?? null,
    'coalition',
  ]);
  const owed = net(document);
  if (owed) {
    const payableBy: PayableBy = owed.amount >= 0 ? 'coalition' : 'partner';
    rows.push(['net', null, 'Net for the period', null, null, null, null, null, decimalAmount({ amount: Math.abs(owed.amount), currency: owed.currency }), owed.currency, payableBy]);
  }
  return `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** `YYYY-MM-DD` of `instant` in `timeZone`, with `HH:MM` when it is not midnight there. */
function localDate(instant: Date, timeZone: string, withTime = false): string {
  const p = localParts(instant, timeZone);
  const day = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  const midnight = p.hour === 0 && p.minute === 0 && p.second === 0 && p.millisecond === 0;
  return withTime || !midnight ? `${day} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}` : day;
}

/** `settlement-sparkwash-2026-01-01-2026-02-01.csv`: the partner and the period's bounds in the program time zone (the end excluded). */
export function settlementFileName(document: SettlementDocument, timeZone: string, extension: 'csv' | 'pdf'): string {
  const day = (instant: Date) => localDate(instant, timeZone).replace(' ', 'T').replace(':', '');
  return `settlement-${document.settlement.partnerId}-${day(document.settlement.from)}-${day(document.settlement.to)}.${extension}`;
}

/** The period as a reader says it: `2026-01-01 – 2026-01-31` for whole days (the end excluded becomes the last day included). */
function periodText(from: Date, to: Date, timeZone: string): string {
  const start = localDate(from, timeZone);
  const end = localDate(to, timeZone);
  if (!start.includes(' ') && !end.includes(' ')) return `${start} – ${localDate(new Date(to.getTime() - 1), timeZone).slice(0, 10)} (${timeZone})`;
  return `${localDate(from, timeZone, true)} to ${localDate(to, timeZone, true)}, end excluded (${timeZone})`;
}

export interface SettlementPdfOptions {
  /** The program time zone: how the period and the issue date are stated. */
  timeZone: string;
  /** When the statement was made. */
  issuedAt: Date;
  /** Compress the PDF's streams (tests read the text with it off). @default true */
  compress?: boolean;
}

/** A number with thousands separators. */
const count = (n: number) => n.toLocaleString('en-US');
/** `CNY 1,234.56`; an empty cell when not priced. */
const moneyText = (value: PriceView | null) => {
  if (!value) return '—';
  const [whole, fraction] = decimalAmount(value).split('.');
  return `${value.currency} ${Number(whole).toLocaleString('en-US')}${fraction !== undefined ? `.${fraction}` : ''}`;
};

/**
 * Writes the statement as an A4 PDF to `out` (pdfkit, loaded on first use): the partner, the
 * period and the issue date, a table of the benefit lines with their total, the points issued and
 * burned with their prices, and the net for the period. The built-in Helvetica has no CJK
 * glyphs, so the caller gives English names. Resolves once the last byte was handed to `out`.
 */
export async function writeSettlementPdf(document: SettlementDocument, out: NodeJS.WritableStream, options: SettlementPdfOptions): Promise<void> {
  const { default: PDFDocument } = await import('pdfkit');
  const { settlement, points, benefits, partnerName } = document;
  const pdf = new PDFDocument({
    size: 'A4',
    margin: 50,
    compress: options.compress ?? true,
    info: { Title: `Settlement statement ${partnerName}`, Author: 'Coalition gateway', Subject: periodText(settlement.from, settlement.to, options.timeZone), CreationDate: options.issuedAt },
  });
  const done = new Promise<void>((resolve, reject) => {
    pdf.once('end', resolve);
    pdf.once('error', reject);
  });
  pdf.pipe(out);

  const left = pdf.page.margins.left;
  const width = pdf.page.width - left - pdf.page.margins.right;
  pdf.font('Helvetica-Bold').fontSize(18).text('Settlement statement', left, pdf.y);
  pdf.moveDown(0.5);
  pdf.font('Helvetica').fontSize(10);
  for (const [label, value] of [
    ['Partner', `${partnerName} (${settlement.partnerId})`],
    ['Period', periodText(settlement.from, settlement.to, options.timeZone)],
    ['Issued', `${localDate(options.issuedAt, options.timeZone, true)} (${options.timeZone})`],
    ['Currency', settlement.currency ?? 'no price agreed'],
  ] as const) {
    pdf.font('Helvetica-Bold').text(`${label}: `, { continued: true }).font('Helvetica').text(value);
  }
  pdf.moveDown();

  // Redemptions: one row per benefit, then the total.
  const columns = [
    { title: 'Benefit', width: 0.27, align: 'left' },
    { title: 'Code', width: 0.15, align: 'left' },
    { title: 'Redemptions', width: 0.13, align: 'right' },
    { title: 'Voided', width: 0.09, align: 'right' },
    { title: 'Units', width: 0.08, align: 'right' },
    { title: 'Unit price', width: 0.13, align: 'right' },
    { title: 'Amount', width: 0.15, align: 'right' },
  ] as const;
  const row = (cells: string[], bold = false) => {
    if (pdf.y > pdf.page.height - pdf.page.margins.bottom - 40) pdf.addPage();
    const y = pdf.y;
    let x = left;
    let bottom = y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    cells.forEach((cell, i) => {
      const column = columns[i]!;
      const w = column.width * width;
      pdf.text(cell, x + 2, y, { width: w - 4, align: column.align });
      bottom = Math.max(bottom, pdf.y);
      x += w;
    });
    pdf.y = bottom + 4;
  };
  const rule = () => {
    pdf.moveTo(left, pdf.y).lineTo(left + width, pdf.y).lineWidth(0.5).stroke();
    pdf.y += 4;
  };
  pdf.font('Helvetica-Bold').fontSize(12).text('Redemptions', left, pdf.y);
  pdf.moveDown(0.3);
  row(columns.map((c) => c.title), true);
  rule();
  settlement.lines.forEach((line, i) =>
    row([benefits[i]!.name, benefits[i]!.code, count(line.redemptions), count(line.voidedRedemptions), count(line.units), moneyText(line.unitPrice), moneyText(line.amount)]),
  );
  rule();
  row(['Total', '', count(settlement.totalRedemptions), count(settlement.totalVoidedRedemptions), count(settlement.totalUnits), '', moneyText(settlement.totalAmount)], true);
  pdf.moveDown();

  pdf.font('Helvetica-Bold').fontSize(12).text('Coalition points', left, pdf.y);
  pdf.moveDown(0.3);
  pdf.font('Helvetica').fontSize(10);
  const per1000 = (price: PriceView | null) => (price ? `${moneyText(price)} per 1,000` : 'no price agreed');
  pdf.text(`Issued at your till: ${count(points.issued)} points at ${per1000(points.issuePricePer1000)} = ${moneyText(points.issuedAmount)} (payable by you)`);
  pdf.text(`Burned at your till: ${count(points.burned)} points at ${per1000(points.burnPricePer1000)} = ${moneyText(points.burnedAmount)} (payable to you)`);
  pdf.moveDown();

  const owed = net(document);
  pdf.font('Helvetica-Bold').fontSize(12);
  if (owed) {
    const amount = moneyText({ amount: Math.abs(owed.amount), currency: owed.currency });
    pdf.text(owed.amount >= 0 ? `Net for the period, payable to you: ${amount}` : `Net for the period, payable by you: ${amount}`);
  } else {
    pdf.text('Net for the period: amounts in several currencies or unpriced, see the lines above');
  }
  pdf.moveDown(2);
  pdf
    .font('Helvetica')
    .fontSize(8)
    .fillColor('#555555')
    .text(
      'Redemptions count by when they were redeemed; a void cancels its redemption in that redemption\'s period. Points count by when their activity happened. ' +
        'The same figures as the partnerSettlement query for this period.',
      { width },
    );
  pdf.end();
  await done;
}
