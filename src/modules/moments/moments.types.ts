import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { MomentKind } from './moment.entity.js';

registerEnumType(MomentKind, {
  name: 'MomentKind',
  description: 'Something that happened to a member that the program may send them a message about',
  valuesConfig: {
    JOINED: { description: 'The member joined (their first membership). Marketing.' },
    TIER_UP: { description: 'The member moved up a tier. Marketing.' },
    TIER_DOWN: { description: 'The member moved down a tier.' },
    POINTS_EARNED: { description: 'Points were credited. Marketing; the first to be capped.' },
    POINTS_EXPIRING: { description: 'Points are about to expire, with what they buy in rewards. Never capped.' },
    BENEFIT_ACTIVATED: { description: 'A right became usable at a partner.' },
    RENEWAL_DUE: { description: 'A membership is about to renew, with its price. Never capped.' },
    MEMBER_DAY: { description: 'A member day and its offer. Marketing.' },
  },
});

@ObjectType('QuietHours', { description: 'When no message is sent (one due then waits until they end)' })
export class QuietHoursType {
  @Field(() => String, { description: 'HH:MM' })
  start!: string;

  @Field(() => String, { description: 'HH:MM; before `start`: the window runs past midnight' })
  end!: string;

  @Field(() => String, { description: 'The program time zone both are in (IANA name)' })
  timeZone!: string;
}

@InputType('QuietHoursInput', { description: 'A member\'s own quiet hours, HH:MM in the program time zone; the same start and end: none' })
export class QuietHoursInput {
  @Field(() => String)
  start!: string;

  @Field(() => String)
  end!: string;
}

@ObjectType('MessagingPreferences', { description: "How the member wants to hear about their moments (the program's defaults where they chose nothing)" })
export class MessagingPreferencesType {
  @Field(() => String, { description: 'The locale messages are written in: en or zh-CN' })
  locale!: string;

  @Field(() => Boolean, { description: "False: the locale is the program's default" })
  localeChosen!: boolean;

  @Field(() => [MomentKind], { description: 'Kinds the member wants no message about' })
  optOut!: MomentKind[];

  @Field(() => Boolean, { description: 'No marketing moments at all (JOINED, TIER_UP, POINTS_EARNED, MEMBER_DAY)' })
  marketingOptOut!: boolean;

  @Field(() => QuietHoursType, { nullable: true, description: 'The quiet hours that apply; null: none' })
  quietHours!: QuietHoursType | null;

  @Field(() => Boolean, { description: "True: the member's own quiet hours, not the program's" })
  quietHoursChosen!: boolean;

  @Field(() => [MomentKind], { description: 'Kinds the member hears about (not opted out, directly or as marketing)' })
  receiving!: MomentKind[];
}
