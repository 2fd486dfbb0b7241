import type { EntityManager } from '@mikro-orm/postgresql';
import { loadLoyaltyProgram, type LoyaltyProgramSnapshot } from './program.js';

/** The loyalty program in force, for one request. */
export class LoyaltyProgramService {
  constructor(
    private readonly em: EntityManager,
    /** The program time zone (`PROGRAM_TIME_ZONE`). */
    readonly timeZone: string,
  ) {}

  current(): Promise<LoyaltyProgramSnapshot> {
    return loadLoyaltyProgram(this.em);
  }
}
