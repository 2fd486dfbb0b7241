import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('Voucher', { description: 'A code from the partner pool, claimed for one use of a VOUCHER benefit' })
export class VoucherType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { description: 'What the partner scans: the code in a QR payload naming its partner' })
  qrPayload!: string;

  @Field(() => Date)
  claimedAt!: Date;
}

@ObjectType('VoucherUploadReport', { description: 'What an upload of codes added to a pool' })
export class VoucherUploadReportType {
  @Field(() => ID)
  batchId!: string;

  @Field(() => Int)
  received!: number;

  @Field(() => Int)
  accepted!: number;

  @Field(() => Int, { description: 'Codes already in the pool or repeated in the upload: never stored twice' })
  duplicates!: number;

  @Field(() => [String], { description: 'Up to 20 of the duplicates' })
  duplicateSamples!: string[];

  @Field(() => Int, { description: 'Unclaimed codes after the upload' })
  available!: number;
}

@ObjectType('VoucherPoolStatus', { description: "A partner's voucher pool for one benefit" })
export class VoucherPoolStatusType {
  @Field(() => String)
  benefitCode!: string;

  @Field(() => Int)
  available!: number;

  @Field(() => Int)
  claimed!: number;

  @Field(() => Int)
  lowWatermark!: number;

  @Field(() => Boolean, { description: 'True when fewer than lowWatermark codes are left: upload more' })
  low!: boolean;
}
