import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The catalog module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  CATALOG_DRAFT_NOT_EDITABLE: {
    http: 200,
    extensions: ['draftId', 'status'],
    meaning: 'The draft was published or cancelled (`extensions.status`): it is kept as it was; start a new draft. Nothing changed.',
  },
  CATALOG_PUBLICATION_NOT_CANCELABLE: {
    http: 200,
    extensions: ['draftId', 'status'],
    meaning: 'Only a publication still ahead of its effective date can be cancelled (`extensions.status` says where this one is). Nothing changed.',
  },
  NO_LIVE_MEMBERSHIP: {
    http: 200,
    extensions: ['memberId'],
    meaning: 'The member has no live membership to preview a draft on.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class CatalogError extends AppError {
  static notEditable(draftId: string, status: string): CatalogError {
    return new CatalogError('CATALOG_DRAFT_NOT_EDITABLE', `Draft ${draftId} is ${status}: it can no longer change; nothing changed.`, { draftId, status });
  }

  static notCancelable(draftId: string, status: string): CatalogError {
    return new CatalogError('CATALOG_PUBLICATION_NOT_CANCELABLE', `Draft ${draftId} is ${status}: only a publication still ahead of its effective date can be cancelled; nothing changed.`, { draftId, status });
  }

  static noMembership(memberId: string): CatalogError {
    return new CatalogError('NO_LIVE_MEMBERSHIP', `Member ${memberId} has no live membership to preview on.`, { memberId });
  }
}
