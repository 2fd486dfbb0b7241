import { Arg, Ctx, Field, ID, InputType, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MoneyInput } from '../activity/index.js';
import { AuditLog, auditContextOf, type AuditContext } from '../audit/index.js';
import { LocalizedTextInput } from '../campaign/index.js';
import type { RequestContext } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability } from '../../platform/guards.js';
import { localize, type LocalizedText } from '../../platform/localized.js';
import { uniqueViolation } from '../../platform/sql.js';
import { Money } from '../../platform/graphql-types.js';

@InputType('PartnerInput', { description: 'A partner company of the coalition and the prices agreed with it' })
export class PartnerInput {
  @Field(() => String, { nullable: true, description: 'Its slug (creation only): 2-40 lower-case letters, digits or -; the aud of its tokens' })
  id?: string | null;

  @Field(() => LocalizedTextInput)
  name!: LocalizedTextInput;

  @Field(() => MoneyInput, { nullable: true, description: 'What it pays per 1,000 points its till issues; null: it issues none' })
  pointsIssuePricePer1000?: MoneyInput | null;

  @Field(() => MoneyInput, { nullable: true, description: 'What we pay it per 1,000 points burned at its till; null: none burn there' })
  pointsBurnPricePer1000?: MoneyInput | null;
}

@ObjectType('PartnerTerms', { description: 'A partner and the point prices agreed with it' })
export class PartnerTermsType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => Money, { nullable: true, description: 'What it pays per 1,000 points its till issues' })
  pointsIssuePricePer1000!: Money | null;

  @Field(() => Money, { nullable: true, description: 'What we pay it per 1,000 points burned at its till' })
  pointsBurnPricePer1000!: Money | null;
}

interface PartnerRow {
  id: string;
  name: LocalizedText;
  points_issue_price_per1000: number | null;
  points_burn_price_per1000: number | null;
  points_currency: string | null;
}

function check(input: PartnerInput, creating: boolean): void {
  const validator = new InputValidator();
  if (creating) validator.check(/^[a-z][a-z0-9-]{1,39}$/.test(input.id?.trim() ?? ''), 'id', 'must be 2-40 lower-case letters, digits or -, starting with a letter');
  for (const [field, text] of [['name.en', input.name.en], ['name.zhCN', input.name.zhCN]] as const) validator.check(text.trim().length >= 1 && text.length <= 100, field, 'must be 1-100 characters');
  for (const field of ['pointsIssuePricePer1000', 'pointsBurnPricePer1000'] as const) {
    const price = input[field];
    if (price) {
      validator.check(Number.isInteger(price.amount) && price.amount >= 0 && price.amount <= 10_000_000, `${field}.amount`, 'must be a whole amount in minor units, 0 or more');
      validator.check(/^[A-Z]{3}$/.test(price.currency), `${field}.currency`, 'must be an ISO currency code');
    }
  }
  if (input.pointsIssuePricePer1000 && input.pointsBurnPricePer1000) {
    validator.check(input.pointsIssuePricePer1000.currency === input.pointsBurnPricePer1000.currency, 'pointsBurnPricePer1000.currency', 'must be the issue price currency');
  }
  validator.throwIfInvalid();
}

/** Partners and the prices agreed with them: created and changed by product managers and admins, every change audited. */
export class PartnerTermsService {
  constructor(private readonly em: EntityManager) {}

  async save(partnerId: string | null, input: PartnerInput, audit: AuditContext): Promise<PartnerRow> {
    check(input, partnerId === null);
    const currency = input.pointsIssuePricePer1000?.currency ?? input.pointsBurnPricePer1000?.currency ?? null;
    const values = [
      JSON.stringify({ en: input.name.en.trim(), 'zh-CN': input.name.zhCN.trim() }),
      input.pointsIssuePricePer1000?.amount ?? null,
      input.pointsBurnPricePer1000?.amount ?? null,
      currency,
    ];
    return this.em.transactional(async (tx) => {
      const columns = `id, name, points_issue_price_per1000, points_burn_price_per1000, points_currency`;
      if (partnerId === null) {
        const id = input.id!.trim();
        try {
          const [row] = await tx.execute<PartnerRow[]>(
            `insert into partner (id, name, points_issue_price_per1000, points_burn_price_per1000, points_currency) values (?, ?, ?, ?, ?) returning ${columns}`,
            [id, ...values],
          );
          await AuditLog.append(tx, audit, { action: 'partner.create', subject: id, before: null, after: row });
          return row!;
        } catch (error) {
          if (uniqueViolation(error) !== undefined) throw AppError.badInput([{ field: 'id', message: `a partner ${id} exists already` }]);
          throw error;
        }
      }
      const [before] = await tx.execute<PartnerRow[]>(`select ${columns} from partner where id = ? for update`, [partnerId]);
      if (!before) throw AppError.notFound('Partner', partnerId);
      const [row] = await tx.execute<PartnerRow[]>(
        `update partner set name = ?, points_issue_price_per1000 = ?, points_burn_price_per1000 = ?, points_currency = ?, updated_at = now() where id = ? returning ${columns}`,
        [...values, partnerId],
      );
      await AuditLog.append(tx, audit, { action: 'partner.update', subject: partnerId, before, after: row });
      return row!;
    });
  }
}

@Resolver(() => PartnerTermsType)
export class PartnerTermsResolver {
  @Mutation(() => PartnerTermsType, { description: 'Adds a partner company to the coalition with its agreed point prices (admins, product managers)' })
  async createPartner(@Arg('input', () => PartnerInput) input: PartnerInput, @Ctx() ctx: RequestContext): Promise<PartnerTermsType> {
    requireCapability(ctx.principal, 'createPartner', Capability.CONFIGURE);
    return view(await new PartnerTermsService(ctx.services.catalog.entityManager).save(null, input, auditContextOf(ctx)), ctx);
  }

  @Mutation(() => PartnerTermsType, { description: "Changes a partner's name and agreed point prices; audited with before and after (admins, product managers)" })
  async updatePartner(@Arg('partnerId', () => ID) partnerId: string, @Arg('input', () => PartnerInput) input: PartnerInput, @Ctx() ctx: RequestContext): Promise<PartnerTermsType> {
    requireCapability(ctx.principal, 'updatePartner', Capability.CONFIGURE);
    return view(await new PartnerTermsService(ctx.services.catalog.entityManager).save(partnerId, input, auditContextOf(ctx)), ctx);
  }
}

function price(amount: number | null, currency: string | null): Money | null {
  return amount === null || currency === null ? null : { amount, currency: currency.trim() };
}

function view(row: PartnerRow, ctx: RequestContext): PartnerTermsType {
  return {
    id: row.id,
    name: localize(row.name, ctx.locale),
    pointsIssuePricePer1000: price(row.points_issue_price_per1000, row.points_currency),
    pointsBurnPricePer1000: price(row.points_burn_price_per1000, row.points_currency),
  };
}
