import type { GraphQLResolverMap } from '@apollo/subgraph';
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { BREWBAR_ID, brewbarQrPayload, type BrewbarClient, type CoffeeStoreRecord, type VoucherCodeRecord } from './client.js';
import { DateTimeISO, InputValidator, localize, negotiateLocale, type LocalizedText, type PartnerSubgraphContext } from '../sdk/index.js';

/** An `Entitlement` representation from the gateway, with the fields `coffee` requires. */
interface EntitlementRepresentation {
  id: string;
  benefit?: { partner?: { id?: string } | null } | null;
  /** Codes claimed for the entitlement, newest first (the membership subgraph's order). */
  vouchers?: Array<{ code?: string } | null> | null;
}

/** Parent of the `CoffeeCard` fields: what the gateway sent; BrewBar is asked only for what is selected. */
interface CoffeeCardParent {
  entitlementId: string;
  newestCode: string | null;
}

/** Parent of the `BrewbarVoucher` fields: the code, and BrewBar's record of it when a field needs it. */
interface BrewbarVoucherParent {
  code: string;
  record: VoucherCodeRecord | null;
}

/** The `BrewbarVoucher` fields read from BrewBar; `code` and `qrPayload` need no call. */
const FIELDS_FROM_BREWBAR = new Set(['scanned', 'scannedAt']);

const MAX_STORES = 50;

/** Resolvers of the BrewBar subgraph, reading BrewBar's API through `client`. */
export function brewbarResolvers(client: BrewbarClient): GraphQLResolverMap<PartnerSubgraphContext> {
  const localized =
    (pick: (store: CoffeeStoreRecord) => LocalizedText) =>
    (store: CoffeeStoreRecord, _args: unknown, context: PartnerSubgraphContext): string =>
      localize(pick(store), negotiateLocale(context.acceptLanguage));

  return {
    DateTimeISO,
    Entitlement: {
      coffee(entitlement: EntitlementRepresentation): CoffeeCardParent | null {
        if (entitlement.benefit?.partner?.id !== BREWBAR_ID) return null;
        const newestCode = entitlement.vouchers?.find((voucher) => voucher?.code)?.code ?? null;
        return { entitlementId: entitlement.id, newestCode };
      },
    },
    CoffeeCard: {
      async status({ entitlementId }: CoffeeCardParent, _args: unknown, context: PartnerSubgraphContext) {
        const member = await client.getMember(entitlementId, { requestId: context.requestId });
        return member?.status ?? 'NOT_PROVISIONED';
      },
      async voucher({ newestCode }: CoffeeCardParent, _args: unknown, context: PartnerSubgraphContext, info: GraphQLResolveInfo): Promise<BrewbarVoucherParent | null> {
        if (!newestCode) return null;
        // Ask BrewBar only when the operation wants the scan: the code and its QR payload
        // still show at the till while BrewBar's API is down.
        const record = selects(info, FIELDS_FROM_BREWBAR) ? await client.getCode(newestCode, { requestId: context.requestId }) : null;
        return { code: newestCode, record };
      },
      stores(_card: CoffeeCardParent, args: { city?: string | null; limit?: number | null }, context: PartnerSubgraphContext) {
        const limit = args.limit ?? 5;
        new InputValidator().check(limit >= 1 && limit <= MAX_STORES, 'limit', `must be from 1 to ${MAX_STORES}`).throwIfInvalid();
        return client.listStores({ city: args.city?.trim() || undefined, limit }, { requestId: context.requestId });
      },
    },
    BrewbarVoucher: {
      code: ({ code }: BrewbarVoucherParent) => code,
      qrPayload: ({ code }: BrewbarVoucherParent) => brewbarQrPayload(code),
      // A code BrewBar never issued cannot have been scanned at its tills.
      scanned: ({ record }: BrewbarVoucherParent) => record?.scanned ?? false,
      scannedAt: ({ record }: BrewbarVoucherParent) => record?.scannedAt ?? null,
    },
    CoffeeStore: {
      name: localized((store) => store.name),
      address: localized((store) => store.address),
      city: localized((store) => store.city),
      openingHours: localized((store) => store.openingHours),
    },
  };
}

/** Whether the field being resolved selects any of `names` directly, through fragments too. */
function selects(info: GraphQLResolveInfo, names: ReadonlySet<string>): boolean {
  const visit = (selectionSet: SelectionSetNode | undefined): boolean =>
    (selectionSet?.selections ?? []).some((selection) => {
      switch (selection.kind) {
        case Kind.FIELD:
          return names.has(selection.name.value);
        case Kind.INLINE_FRAGMENT:
          return visit(selection.selectionSet);
        case Kind.FRAGMENT_SPREAD:
          return visit(info.fragments[selection.name.value]?.selectionSet);
      }
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}
