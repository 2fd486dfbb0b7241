import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('DataExport', {
  description: 'Everything held about a member, as one machine-readable JSON document (PIPL / GDPR access and portability)',
})
export class DataExportType {
  @Field(() => ID)
  memberId!: string;

  @Field(() => String, { description: 'A file name to save `json` under' })
  fileName!: string;

  @Field(() => String, { description: 'Media type of `json`: application/json' })
  format!: string;

  @Field(() => Int, { description: 'Version of the document layout (also inside the document)' })
  schemaVersion!: number;

  @Field(() => Date)
  generatedAt!: Date;

  @Field(() => String, { description: 'Hex SHA-256 of the UTF-8 bytes of `json`; recorded in the audit log' })
  sha256!: string;

  @Field(() => Int, { description: 'Size of `json` in UTF-8 bytes' })
  byteLength!: number;

  @Field(() => String, { description: 'The document: every section, its source table, description and rows' })
  json!: string;
}

@ObjectType('MemberErasure', {
  description: 'What erasing a member did; a repeat answers alreadyErased and changes nothing',
})
export class MemberErasureType {
  @Field(() => ID)
  memberId!: string;

  @Field(() => Date)
  erasedAt!: Date;

  @Field(() => Boolean, { description: 'True when the member had already been erased: nothing changed' })
  alreadyErased!: boolean;

  @Field(() => Int, { description: 'Live memberships ended now (no refund)' })
  membershipsEnded!: number;

  @Field(() => Int, { description: 'Live rights revoked now' })
  rightsRevoked!: number;

  @Field(() => Int, { description: 'Revocations queued for partners' })
  revocationsQueued!: number;

  @Field(() => Int, { description: "Partner references about the member's rights removed" })
  partnerReferencesRemoved!: number;
}
