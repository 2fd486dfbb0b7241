import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The activity import's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  MALFORMED_LINE: {
    http: 200,
    extensions: [],
    meaning:
      'A line of an activity import that does not parse: not a JSON object (NDJSON), not a row of the header\'s columns (CSV), or longer than 64 KB. The line is REJECTED with this code in the import\'s report; the rest of the file goes on.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    http: 415,
    extensions: [],
    meaning: 'An activity import whose `Content-Type` is neither `application/x-ndjson` nor `text/csv`; nothing was stored.',
  },
  IMPORT_TOO_LARGE: {
    http: 413,
    extensions: ['maxBytes'],
    meaning: 'An activity import larger than `ACTIVITY_IMPORT_MAX_BYTES` (`extensions.maxBytes`); nothing was stored.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class ActivityImportError extends AppError {
  static malformed(message: string): ActivityImportError {
    return new ActivityImportError('MALFORMED_LINE', message);
  }

  static unsupportedMediaType(contentType: string | undefined): ActivityImportError {
    return new ActivityImportError(
      'UNSUPPORTED_MEDIA_TYPE',
      `An activity import is application/x-ndjson or text/csv, not ${contentType ? `"${contentType}"` : 'a body without a Content-Type'}`,
    );
  }

  static tooLarge(maxBytes: number): ActivityImportError {
    return new ActivityImportError('IMPORT_TOO_LARGE', `An activity import is at most ${maxBytes} bytes (ACTIVITY_IMPORT_MAX_BYTES); nothing was stored`, { maxBytes });
  }
}
