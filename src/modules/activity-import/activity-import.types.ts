import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfoType } from '../../platform/graphql-types.js';
import { ActivityImportFormat, ActivityImportLineOutcome, ActivityImportStatus } from './activity-import.entity.js';

registerEnumType(ActivityImportFormat, {
  name: 'ActivityImportFormat',
  valuesConfig: {
    NDJSON: { description: 'application/x-ndjson: one JSON object per line, the fields of ActivityInput' },
    CSV: { description: 'text/csv: a header row naming the columns, then one activity per row (RFC 4180 quoting)' },
  },
});

registerEnumType(ActivityImportStatus, {
  name: 'ActivityImportStatus',
  valuesConfig: {
    QUEUED: { description: 'Stored, waiting for a worker' },
    RUNNING: { description: 'Workers are applying its lines' },
    DONE: { description: 'Every line has its outcome' },
    FAILED: { description: 'Workers gave up on it (see failure); lines without an outcome were not applied' },
  },
});

registerEnumType(ActivityImportLineOutcome, {
  name: 'ActivityImportLineOutcome',
  valuesConfig: {
    ACCEPTED: { description: 'Recorded by this line' },
    DUPLICATE: { description: 'The same (channel, externalId) was recorded already, before or by an earlier line of the file' },
    REJECTED: { description: 'Not recorded; code and message say why (the codes of recordActivity, or MALFORMED_LINE)' },
  },
});

@ObjectType('ActivityImportLine', { description: 'One line of an import and what became of it' })
export class ActivityImportLineType {
  @Field(() => Int, { description: 'Where it is in the file, from 1 (a CSV record: the line it starts on; the header is line 1)' })
  line!: number;

  @Field(() => ActivityImportLineOutcome, { nullable: true, description: 'Null while it waits for a worker' })
  outcome!: ActivityImportLineOutcome | null;

  @Field(() => String, { nullable: true, description: 'Why it was rejected: an error code of the API (BAD_USER_INPUT, NOT_FOUND, PURCHASE_NOT_FOUND, MALFORMED_LINE, …)' })
  code!: string | null;

  @Field(() => String, { nullable: true })
  message!: string | null;

  @Field(() => ID, { nullable: true, description: 'The activity it recorded, or the one it repeats' })
  activityId!: string | null;

  @Field(() => String, { nullable: true, description: 'The member id the line names (null when it did not parse)' })
  memberId!: string | null;

  @Field(() => String, { nullable: true, description: "The line's externalId (null when it did not parse)" })
  externalId!: string | null;

  @Field(() => String, { nullable: true, description: 'The line as uploaded (a CSV row: its fields joined by commas), at most 1,000 characters, when it did not parse' })
  raw!: string | null;
}

@ObjectType('ActivityImportLineEdge')
export class ActivityImportLineEdgeType {
  @Field(() => String, { description: 'Opaque; pass it as `after` to continue after this line' })
  cursor!: string;

  @Field(() => ActivityImportLineType)
  node!: ActivityImportLineType;
}

@ObjectType('ActivityImportLineConnection', { description: "A page of an import's report, in file order" })
export class ActivityImportLineConnectionType {
  @Field(() => [ActivityImportLineEdgeType])
  edges!: ActivityImportLineEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@ObjectType('ActivityImport', { description: 'A bulk import of activities (POST /admin/activity-imports) and its progress' })
export class ActivityImportType {
  @Field(() => ID)
  id!: string;

  @Field(() => ActivityImportFormat)
  format!: ActivityImportFormat;

  @Field(() => ActivityImportStatus)
  status!: ActivityImportStatus;

  @Field(() => ID, { description: 'The admin (member id) who uploaded it' })
  createdBy!: string;

  @Field(() => Int, { description: 'Activity lines in the file (blank lines and the CSV header are not counted)' })
  totalLines!: number;

  @Field(() => Int, { description: 'Lines with an outcome' })
  processed!: number;

  @Field(() => Int)
  accepted!: number;

  @Field(() => Int)
  duplicates!: number;

  @Field(() => Int)
  rejected!: number;

  @Field(() => Float, { description: 'processed / totalLines, in percent (0-100)' })
  percent!: number;

  @Field(() => Float, { nullable: true, description: 'Lines given an outcome per second since a worker started it (until it finished, or now)' })
  linesPerSecond!: number | null;

  @Field(() => Int, { description: 'Size of the upload in bytes' })
  bytes!: number;

  @Field(() => String, { nullable: true, description: 'Why it FAILED' })
  failure!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}
