/**
 * The one audit-log key of every app a test process starts (the audit key is process-wide:
 * configureAuditLog refuses a second, different one). test/support/app.ts passes it as
 * AUDIT_HMAC_KEY; a test that builds its own configuration or spawns a server passes it too.
 */
export const TEST_AUDIT_HMAC_KEY = 'test-audit-hmac-key-0123456789abcdefghijklmnop';
