export { FiguresBenefit, FiguresCohort, FiguresDay, FiguresPeriodValue, FiguresPointsMonth, FiguresRun, FiguresTierMove } from './figures.entity.js';
export { FigureBucket, MAX_BUCKETS, partnerOfIssuer, ProgramFiguresService, VALUE_BANDS } from './figures.service.js';
export type { FigureRange, FiguresRunView } from './figures.service.js';
export { refreshFigures } from './refresh.js';
export type { FiguresRunSummary, FiguresSnapshot, FiguresTrigger } from './refresh.js';
export { REFRESH_EVERY_MS } from './refresh-job.js';
