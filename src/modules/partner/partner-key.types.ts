import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

@ObjectType('PartnerApiKeyCreated', { description: 'A new partner API key: the key itself is shown this once' })
export class PartnerApiKeyCreatedType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => String, { description: 'Send as Authorization: Bearer <key>. Only its hash is stored; it cannot be shown again.' })
  key!: string;

  @Field(() => String, { description: 'The first characters, to tell keys apart later' })
  prefix!: string;

  @Field(() => String, { nullable: true, description: "The partner's own name for the key; null when none was given" })
  label!: string | null;
}

/** Where a partner API key stands now. */
export const PartnerApiKeyStatus = {
  ACTIVE: 'ACTIVE',
  ROTATING: 'ROTATING',
  EXPIRED: 'EXPIRED',
  REVOKED: 'REVOKED',
} as const;

registerEnumType(PartnerApiKeyStatus, {
  name: 'PartnerApiKeyStatus',
  valuesConfig: {
    ACTIVE: { description: 'Works, with no end set' },
    ROTATING: { description: 'Rotated: works until expiresAt, the overlap given to its successor' },
    EXPIRED: { description: 'Rotated, and its overlap is over: refused' },
    REVOKED: { description: 'Revoked: refused' },
  },
});

@ObjectType('PartnerApiKey', { description: "One of the calling partner's API keys; never the key itself or its hash" })
export class PartnerApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The first characters of the key, to tell keys apart' })
  prefix!: string;

  @Field(() => String, { nullable: true, description: "The partner's own name for the key" })
  label!: string | null;

  @Field(() => PartnerApiKeyStatus)
  status!: keyof typeof PartnerApiKeyStatus;

  @Field(() => Boolean, { description: 'True for the key this request was made with' })
  current!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When a rotated key stops (or stopped) working; null when no end is set' })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The key that replaced this one by rotation' })
  replacedById!: string | null;
}

@ObjectType('PartnerApiKeyRotation', { description: 'A rotated key: its successor (shown this once) and the old key, working until its expiresAt' })
export class PartnerApiKeyRotationType {
  @Field(() => PartnerApiKeyCreatedType)
  successor!: PartnerApiKeyCreatedType;

  @Field(() => PartnerApiKeyType)
  previous!: PartnerApiKeyType;
}
