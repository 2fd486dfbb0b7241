import { defineModule } from '../../platform/module.js';
import { segmentDueWork } from './segment-due-work.js';
import { MemberSegment, MemberSegmentChange, MemberSegmentScore, SegmentConfigVersion, SegmentRun, SegmentSchedule } from './segment.entity.js';
import { SegmentResolver } from './segment.resolver.js';
import { SegmentService } from './segment.service.js';

declare module '../../platform/context.js' {
  interface Services {
    segments: SegmentService;
  }
}

/** Segments: RFM scores and segments, lifecycle stages and value segments, computed daily per clock and on demand, configurable. */
export const module = defineModule({
  name: 'segment',
  entities: [SegmentConfigVersion, MemberSegment, MemberSegmentScore, MemberSegmentChange, SegmentRun, SegmentSchedule],
  resolvers: [SegmentResolver],
  services: { segments: ({ em, deps, services }) => new SegmentService(em, deps, () => services.testClocks) },
  // One schedule row per clock, claimed FOR UPDATE SKIP LOCKED and computed in that transaction: safe with several workers.
  dueWork: [segmentDueWork],
});
