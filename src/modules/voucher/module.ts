import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { VoucherCode } from './voucher.entity.js';
import { voucherLoaders } from './voucher.loaders.js';
import { VoucherResolver } from './voucher.resolver.js';
import { VoucherService } from './voucher.service.js';

declare module '../../platform/context.js' {
  interface Services {
    vouchers: VoucherService;
  }
  interface Loaders extends VoucherLoaders {}
}
type VoucherLoaders = ReturnType<typeof voucherLoaders>;

/** Voucher pools: partners upload codes, members claim one per use of a VOUCHER right. */
export const module = defineModule({
  name: 'voucher',
  entities: [VoucherCode],
  resolvers: [VoucherResolver],
  loaders: voucherLoaders,
  services: { vouchers: ({ em, deps }) => new VoucherService(em, clockOf(deps)) },
});
