export { VoucherCode } from './voucher.entity.js';
export { voucherLoaders } from './voucher.loaders.js';
export { MAX_CODES_PER_UPLOAD, VoucherService } from './voucher.service.js';
export type { ClaimedVoucher, VoucherPoolStatus, VoucherServiceOptions, VoucherUploadReport } from './voucher.service.js';
