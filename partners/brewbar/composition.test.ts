import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildMembershipSubgraph } from '../../src/hosting/membership-schema.js';
import { sparkwash } from '../sparkwash/index.js';
import { composeWithMembership as compose, printedSubgraphOf, subgraphOf, typeBlock } from '../testing/composition.js';
import { brewbar } from './index.js';
import { loadModules } from '../../src/modules/index.js';

const brewbarSubgraph = subgraphOf(brewbar);
const sparkwashSubgraph = subgraphOf(sparkwash);

describe('brewbar subgraph composition', () => {
  it('composes with the membership entities without errors or hints', () => {
    const result = compose([brewbarSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.coffee requiring the benefit partner id and the claimed codes from membership', () => {
    const result = compose([brewbarSubgraph]);
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: BREWBAR, key: "id")');
    expect(entitlement).toMatch(/coffee: CoffeeCard @join__field\(graph: BREWBAR, requires: "benefit \{ partner \{ id \} \} vouchers \{ code \}"\)/);
    expect(entitlement).toContain('vouchers: [Voucher!]! @join__field(graph: BREWBAR, external: true) @join__field(graph: MEMBERSHIP)');
  });

  it('leaves Voucher to membership: brewbar only reads its code', () => {
    const result = compose([brewbarSubgraph]);
    if (result.errors) throw result.errors[0];
    const voucher = typeBlock(result.supergraphSdl, 'Voucher');
    expect(voucher).toContain('code: String! @join__field(graph: BREWBAR, external: true) @join__field(graph: MEMBERSHIP)');
    expect(voucher).toContain('qrPayload: String! @join__field(graph: MEMBERSHIP)');
    expect(voucher).toContain('claimedAt: DateTimeISO! @join__field(graph: MEMBERSHIP)');
  });

  it('refuses a Voucher.code brewbar would claim to resolve itself, which is why it is @external', () => {
    const sdl = brewbar.typeDefs.loc!.source.body.replace(/type Voucher \{\n {2}code: String! @external/, 'type Voucher {\n  code: String!');
    const result = compose([{ name: brewbar.id, typeDefs: parse(sdl) }]);
    expect(result.errors?.map((error) => error.message)).toEqual([expect.stringContaining('Non-shareable field "Voucher.code"')]);
  });

  it('composes together with sparkwash, both declaring the Benefit and Partner stubs, without errors or hints', () => {
    const result = compose([sparkwashSubgraph, brewbarSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
    if (result.errors) return;
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain(
      'benefit: Benefit! @join__field(graph: BREWBAR, external: true) @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true)',
    );
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires:/);
    expect(entitlement).toMatch(/coffee: CoffeeCard @join__field\(graph: BREWBAR, requires:/);
  });

  it('composes from the SDL the running subgraph prints, as the build does', () => {
    const result = compose([printedSubgraphOf(brewbar), sparkwashSubgraph]);
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('scalar DateTimeISO');
  });

  it('composes with the membership subgraph as src/ builds it, vouchers and all', async () => {
    const membership = await buildMembershipSubgraph(await loadModules());
    const result = compose([sparkwashSubgraph, brewbarSubgraph], parse(membership.typeDefs));
    expect(result.errors).toBeUndefined();
    if (result.errors) return;
    expect(typeBlock(result.supergraphSdl, 'Entitlement')).toMatch(/coffee: CoffeeCard @join__field\(graph: BREWBAR, requires: "benefit \{ partner \{ id \} \} vouchers \{ code \}"\)/);
  });
});
