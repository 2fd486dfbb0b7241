import { defineModule } from '../../platform/module.js';
import { FiguresBenefit, FiguresCohort, FiguresDay, FiguresPeriodValue, FiguresPointsMonth, FiguresRun, FiguresTierMove } from './figures.entity.js';
import { ProgramFiguresResolver } from './figures.resolver.js';
import { ProgramFiguresService } from './figures.service.js';
import { figuresRefreshJob } from './refresh-job.js';

declare module '../../platform/context.js' {
  interface Services {
    programFigures: ProgramFiguresService;
  }
}

/** The program's economics for PMs' dashboards: figures rebuilt from the real tables hourly (and on demand), served to admins. */
export const module = defineModule({
  name: 'program-figures',
  entities: [FiguresRun, FiguresDay, FiguresCohort, FiguresPeriodValue, FiguresBenefit, FiguresPointsMonth, FiguresTierMove],
  resolvers: [ProgramFiguresResolver],
  services: { programFigures: ({ em, deps }) => new ProgramFiguresService(em, deps) },
  // A refresh takes a transaction advisory lock; the job only tries it, so several workers run one refresh at a time.
  jobs: [figuresRefreshJob],
});
